"""Legacy and the order center number one store's orders on one day at the same time.

In the second a store moves between the two (the proxies follow a route change a moment after
its record), both take the store's orders before either sync has carried the other's over.
The numbers must still differ, or forward sync stops on the order center's unique
``orders.order_no`` and reverse sync on legacy's unique ``t_order.order_no``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.integration.legacy.legacy_fixtures import meituan_new
from zhongtai.db import create_engine
from zhongtai.legacy import meituan
from zhongtai.legacy import schema as ls
from zhongtai.legacy.clock import now_local
from zhongtai.legacy.ingest import ingest_new
from zhongtai.legacy.order_no import LEGACY_SERIALS, ORDER_NO, PLATFORM_SERIALS
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.capture import install_capture
from zhongtai.migrate.reverse import ReverseSyncer
from zhongtai.migrate.sync import ForwardSyncer
from zhongtai.migrate.syncloop import run
from zhongtai.platform.gateway import intake
from zhongtai.platform.order import service as orders
from zhongtai.platform.order.schemas import OrderIn, push_key
from zhongtai.platform.order.uow import SqlOrderUnitOfWork

PER_SIDE = 12
OURS = "9_00000000000%"  # the channel order ids this test pushes (91… legacy, 92… platform)


@pytest.fixture
def both_sides(migrate_env):
    settings = migrate_env.settings
    install_capture(settings)
    backfill(settings, chunk_size=100)
    install_capture(settings, reverse=True)
    legacy = create_engine(settings.database("legacy"))
    center = create_engine(settings.database("order"))
    fwd, rev = ForwardSyncer(settings), ReverseSyncer(settings)
    try:
        yield migrate_env, legacy, center, fwd, rev
    finally:
        fwd.close()
        rev.close()
        legacy.dispose()
        center.dispose()


def test_both_systems_numbering_one_store_day_at_once_never_give_the_same_number(both_sides):
    env, legacy, center, fwd, rev = both_sides
    run(fwd), run(rev)
    ((store_id, code),) = env.legacy(
        sa.select(ls.t_store.c.id, ls.t_store.c.store_code).order_by(ls.t_store.c.id).limit(1)
    )
    store = {"id": store_id, "store_code": code, "name": "店", "tenant_id": 1}

    def on_legacy(n: int) -> bool:
        return ingest_new(legacy, meituan.parse_new(meituan_new(f"91000000000001{n:05d}")),
                          ("id", store_id))  # fmt: skip

    def on_platform(n: int) -> bool:
        pushed = meituan.parse_new(meituan_new(f"92000000000002{n:05d}"))
        body = OrderIn(**intake.channel_order(pushed, store, {}, now_local()))
        taken = orders.create_order(
            SqlOrderUnitOfWork(center), body.draft(), push=push_key(body.push),
            numbering=body.numbering_model(),
        )  # fmt: skip
        return not taken.duplicate

    # Interleaved, four at a time: each system numbers the store's day while the other does.
    jobs = [(side, n) for n in range(PER_SIDE) for side in (on_legacy, on_platform)]
    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(lambda job: job[0](job[1]), jobs))

    forward = run(fwd)
    assert forward.applied.get("orders") == PER_SIDE and not forward.quarantined
    back = run(rev)
    assert back.applied.get("orders") == PER_SIDE
    assert run(fwd).applied == {}  # nothing echoes, nothing left behind

    o = ls.t_order
    ours = sa.and_(o.c.store_id == store_id, o.c.channel_order_id.like(OURS))
    today = env.legacy(sa.select(o.c.order_no, o.c.channel_order_id).where(ours))
    with center.connect() as conn:
        centered = conn.execute(
            sa.text("SELECT order_no, channel_order_id FROM orders WHERE store_id = :s "
                    "AND channel_order_id LIKE :ours"), {"s": store_id, "ours": OURS},
        ).all()  # fmt: skip
    assert sorted(map(tuple, today)) == sorted(map(tuple, centered))
    assert len({no for no, _ in today}) == len(today) == 2 * PER_SIDE
    serials = {cid[:2]: set() for _, cid in today}
    for no, cid in today:
        serials[cid[:2]].add(int(ORDER_NO.match(no)["serial"]))
    assert serials["91"] <= set(LEGACY_SERIALS) and serials["92"] <= set(PLATFORM_SERIALS)
    assert sorted(serials["92"]) == [PLATFORM_SERIALS.start + n for n in range(PER_SIDE)]

    # Legacy's next order of the store's day (after a rollback, say) goes on in its own range.
    assert ingest_new(legacy, meituan.parse_new(meituan_new("9100000000000199999")),
                      ("id", store_id))  # fmt: skip
    assert run(fwd).applied.get("orders") == 1
    ((last,),) = env.legacy(sa.select(o.c.order_no)
                            .where(o.c.channel_order_id == "9100000000000199999"))  # fmt: skip
    assert int(ORDER_NO.match(last)["serial"]) == max(serials["91"]) + 1
