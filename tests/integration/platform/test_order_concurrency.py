"""Concurrent writers on the order center: day sequences, POS claims, re-pushed orders."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest

from tests.integration.platform.platform_support import settings_for
from zhongtai.db import create_engine
from zhongtai.platform.migrations import upgrade_center
from zhongtai.platform.order import dispatch, service
from zhongtai.platform.order.lines import OrderItem
from zhongtai.platform.order.model import Channel, OrderType
from zhongtai.platform.order.placing import OrderDraft
from zhongtai.platform.order.service import PushKey
from zhongtai.platform.order.status import MainStatus
from zhongtai.platform.order.uow import SqlOrderUnitOfWork

NOW = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
WORKERS = 8


@pytest.fixture
def engine(engine_name, make_db, tmp_path):
    url = make_db(engine_name, prefix="zt_order")
    upgrade_center(settings_for({"order": url}, tmp_path), "order")
    eng = create_engine(url, **({} if engine_name == "sqlite" else {"pool_size": WORKERS}))
    yield eng
    eng.dispose()


def new_uow(engine) -> SqlOrderUnitOfWork:
    return SqlOrderUnitOfWork(engine, clock=lambda: NOW)


def draft(no: str, channel_order_id: str | None = None) -> OrderDraft:
    return OrderDraft(
        order_no=no,
        store_id=12,
        channel=Channel.ELEME if channel_order_id else Channel.MINI_PROGRAM,
        channel_order_id=channel_order_id,
        order_type=OrderType.PICKUP,
        items=[OrderItem(1, "米饭", 1, 300, 300, sku_id=1)],
        status=MainStatus.PAID,
    )


def test_concurrent_day_sequence_allocation_never_repeats(engine):
    per_worker = 25
    day = date(2025, 12, 1)

    def take(_: int) -> list[int]:
        return [service.next_day_sequence(new_uow(engine), 12, day) for _ in range(per_worker)]

    with ThreadPoolExecutor(WORKERS) as pool:
        taken = [n for numbers in pool.map(take, range(WORKERS)) for n in numbers]
    assert len(taken) == len(set(taken)) == WORKERS * per_worker
    assert sorted(taken) == list(range(1, WORKERS * per_worker + 1))


def test_concurrent_pos_pulls_never_hand_out_an_order_twice(engine):
    total = 40
    for n in range(total):
        service.create_order(new_uow(engine), draft(f"P{n:03d}"))

    def pull(_: int) -> list[str]:
        got: list[str] = []
        while True:
            orders, more = dispatch.claim_handoffs(new_uow(engine), "POS", 12, limit=3)
            got += [o.order_no for o in orders]
            if not orders and not more:
                return got

    with ThreadPoolExecutor(4) as pool:
        pulled = [no for batch in pool.map(pull, range(4)) for no in batch]
    assert sorted(pulled) == [f"P{n:03d}" for n in range(total)]  # each exactly once


def test_racing_identical_pushes_record_one_order(engine):
    key = PushKey(Channel.ELEME, "E42", "10")

    def push(n: int):
        return service.create_order(new_uow(engine), draft(f"R{n}", "E42"), push=key)

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(push, range(WORKERS)))
    assert sum(not o.duplicate for o in outcomes) == 1
    assert {o.order.order_no for o in outcomes} == {
        next(o for o in outcomes if not o.duplicate).order.order_no
    }
    total, _ = service.search_orders(new_uow(engine), service.OrderQuery())
    assert total == 1
