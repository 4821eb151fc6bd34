"""SqlUnitOfWork and SqlIdAllocator on real databases (the store center's tables)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.integration.platform.platform_support import settings_for
from zhongtai.db import create_engine
from zhongtai.platform.ids import PLATFORM_ID_BASE
from zhongtai.platform.migrations import upgrade_center
from zhongtai.platform.store import service
from zhongtai.platform.store import tables as t
from zhongtai.platform.store.uow import SqlStoreUnitOfWork

T0 = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


@pytest.fixture
def engine(engine_name, make_db, tmp_path):
    settings = settings_for({"store": make_db(engine_name, "zt_store")}, tmp_path)
    upgrade_center(settings, "store")  # only the database these tests touch
    engine = create_engine(settings.database("store"))
    yield engine
    engine.dispose()


def uow(engine, **kw) -> SqlStoreUnitOfWork:
    return SqlStoreUnitOfWork(engine, clock=lambda: T0, **kw)


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t.store)).scalar()


def counter(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(t.id_counter.c.next_id)).scalar()


def test_commit_persists_and_timestamps_round_trip_as_aware_utc(engine):
    service.create_store(uow(engine), store_code="A1", name="a", legacy_id=1)
    stored = service.get_store(uow(engine, write=False), 1)
    assert stored.created_at == T0 and stored.created_at.tzinfo is not None


def test_an_error_rolls_everything_back(engine):
    service.create_store(uow(engine), store_code="A1", name="a")
    before = counter(engine)
    with pytest.raises(Exception):  # noqa: B017 - code taken: Conflict after the id was drawn
        service.create_store(uow(engine), store_code="A1", name="b")
    assert count(engine) == 1 and counter(engine) == before


def test_dry_run_reports_the_id_the_real_call_gets(engine):
    dry = service.create_store(uow(engine, dry_run=True), store_code="B1", name="b")
    assert count(engine) == 0 and counter(engine) == PLATFORM_ID_BASE
    real = service.create_store(uow(engine), store_code="B1", name="b")
    assert dry == real and real.id == PLATFORM_ID_BASE
    assert counter(engine) == PLATFORM_ID_BASE + 1


def test_allocator_skips_ids_synced_in_with_explicit_values(engine):
    service.create_store(uow(engine), store_code="L1", name="l", legacy_id=PLATFORM_ID_BASE + 7)
    assert service.create_store(uow(engine), store_code="N1", name="n").id == PLATFORM_ID_BASE + 8


def test_concurrent_creates_get_distinct_ids(engine):
    made, errors = [], []

    def create(i: int) -> None:
        try:
            made.append(service.create_store(uow(engine), store_code=f"C{i}", name="c").id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sorted(made) == list(range(PLATFORM_ID_BASE, PLATFORM_ID_BASE + 8))
