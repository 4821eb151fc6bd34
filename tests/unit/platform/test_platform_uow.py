"""The unit of work's transaction rules, on the in-memory twin (the SQL one: integration)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhongtai.platform.uow import InMemoryUnitOfWork

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class NotesUnitOfWork(InMemoryUnitOfWork):
    def _open(self) -> None:
        self.notes = self.table("notes")


def write(uow: NotesUnitOfWork, key: str, value: str, *, commit: bool) -> str | None:
    with uow:
        uow.notes[key] = value
        if commit:
            uow.commit()
        return uow.notes.get(key)  # what a service would put in its response


def test_commit_keeps_the_work():
    uow = NotesUnitOfWork()
    write(uow, "a", "1", commit=True)
    assert uow.db["notes"] == {"a": "1"}
    assert uow.commits == 1


def test_leaving_without_commit_rolls_back():
    uow = NotesUnitOfWork()
    write(uow, "a", "1", commit=True)
    write(uow, "b", "2", commit=False)
    assert uow.db["notes"] == {"a": "1"}


def test_an_exception_rolls_back_and_propagates():
    uow = NotesUnitOfWork()
    with pytest.raises(RuntimeError), uow:
        uow.notes["a"] = "1"
        raise RuntimeError("boom")
    assert uow.db["notes"] == {}


def test_dry_run_sees_its_work_until_the_end_then_keeps_nothing():
    uow = NotesUnitOfWork(dry_run=True)
    seen = write(uow, "a", "1", commit=True)
    assert seen == "1"  # the response is the one a real run would build
    assert uow.would_commit is True
    assert uow.db["notes"] == {}
    assert uow.commits == 0


def test_rollback_restores_updates_and_deletes_in_place():
    uow = NotesUnitOfWork()
    write(uow, "a", "1", commit=True)
    notes = uow.db["notes"]
    with uow:
        uow.notes["a"] = "changed"
        del uow.notes["a"]
    assert notes is uow.db["notes"] and notes == {"a": "1"}


def test_clock_is_injected():
    uow = NotesUnitOfWork(clock=lambda: T0)
    with uow:
        assert uow.now() == T0
