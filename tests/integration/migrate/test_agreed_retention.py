"""Agreed states are pruned after their retention, and older state databases are upgraded."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.migrate import agreed, syncloop
from zhongtai.migrate.agreed import Agreed, Pruner, agreed_table
from zhongtai.migrate.changelog import Backlog
from zhongtai.migrate.syncloop import BatchOutcome


@pytest.fixture
def state(db_url):
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


def _record(engine, *ids: int) -> None:
    with engine.begin() as conn:
        agreed.record(conn, "orders", {i: Agreed(2, {"id": i, "status": 4}) for i in ids})


def _age(engine, days: float, *ids: int) -> None:
    """Make the agreed states of ``ids`` look recorded ``days`` ago."""
    with engine.begin() as conn:
        when = conn.execute(sa.select(sa.func.max(agreed_table.c.recorded_at))).scalar()
        conn.execute(
            sa.update(agreed_table)
            .where(agreed_table.c.legacy_id.in_(ids))
            .values(recorded_at=when - timedelta(days=days))
        )


def _kept(engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(agreed.load(conn, "orders", range(1, 10)))


def test_prune_deletes_only_states_not_renewed_within_the_retention(state):
    agreed.ensure_state(state)
    _record(state, 1, 2, 3)
    _age(state, 15, 1, 2)
    _record(state, 2)  # renewed: recorded again by a sync
    with state.begin() as conn:
        assert agreed.prune(conn, timedelta(days=14)) == 1
    assert _kept(state) == [2, 3]


def test_a_table_made_before_recorded_at_is_upgraded_and_keeps_its_rows(state):
    old = sa.MetaData()
    sa.Table(
        agreed_table.name,
        old,
        sa.Column("mapping", sa.String(64), primary_key=True),
        sa.Column("legacy_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("image", sa.Text, nullable=False),
    )
    old.create_all(state)
    with state.begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO {agreed_table.name} (mapping, legacy_id, version, image) "
                "VALUES ('orders', 5, 3, '{\"id\": 5}')"
            )
        )
    agreed.ensure_state(state)
    agreed.ensure_state(state)  # a second syncer starting: nothing left to do
    with state.connect() as conn:
        assert agreed.load(conn, "orders", [5]) == {5: Agreed(3, {"id": 5})}
    with state.begin() as conn:  # counted as recorded at the upgrade: within any retention
        assert agreed.prune(conn, timedelta(days=1)) == 0
    _record(state, 6)
    assert _kept(state) == [5, 6]


class _Quiet:
    """A syncer with nothing to do."""

    direction = "forward"

    def step(self) -> BatchOutcome:
        return BatchOutcome()

    def backlog(self) -> Backlog:
        return Backlog()

    def close(self) -> None:
        pass


def test_sync_prunes_at_most_once_per_interval_and_reports_it(state):
    agreed.ensure_state(state)
    _record(state, 1, 2, 3)
    _age(state, 20, 1, 2)
    pruner = Pruner(state, retention_days=14)
    report = syncloop.run(_Quiet(), tidy=pruner)
    assert report.pruned == 2
    assert report.as_dict()["agreed_pruned"] == 2
    assert _kept(state) == [3]
    _age(state, 20, 3)
    assert pruner() == 0  # pruned less than an hour ago: not due
    pruner.every = 0.0
    assert pruner() == 1
    assert _kept(state) == []


def test_a_retention_of_zero_keeps_every_state(state):
    agreed.ensure_state(state)
    _record(state, 1)
    _age(state, 3650, 1)
    assert Pruner(state, retention_days=0)() == 0
    assert _kept(state) == [1]
