"""Every money figure legacy showed for an order is what the gateway shows after backfill.

The gateway renders the legacy ``t_order`` figures (original, total, fees, discount, subsidies)
from the order center's fine view (:func:`legacy_format.legacy_amounts`). Migrated orders
carry platform-only discount lines (``ROUNDING`` for float drift, ``GIFT`` for negative gift
lines) and, where a stated figure cannot be derived, ``channel_ext.legacy_amounts``. The test
plants the awkward cases on top of the seed and compares every migrated order in fen.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.legacy import schema as ls
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.transforms import yuan_to_fen
from zhongtai.platform.gateway.legacy_format import derived_amounts, legacy_amounts
from zhongtai.platform.order.uow import SqlOrderUnitOfWork
from zhongtai.platform.order.views import fine

FIGURES = tuple(derived_amounts([], [], {"package_fee": 0, "delivery_fee": 0, "paid_amount": 0}))


def _plant(migrate_env) -> dict[str, int]:
    """A negative gift line, float drift, and a discount figure that is not the sum of its
    activities, each on an order of its own."""
    o, i = ls.t_order.c, ls.t_order_item.c
    ids = [
        r[0]
        for r in migrate_env.legacy(
            sa.select(o.id).where(o.order_type == 1, o.channel.in_([1, 2])).order_by(o.id).limit(3)
        )
    ]
    gift, drift, stated = ids
    top = migrate_env.legacy(sa.select(sa.func.max(i.id)))[0][0]
    migrate_env.legacy(
        sa.insert(ls.t_order_item),
        [{"id": top + 1, "order_id": gift, "name": "赠品", "quantity": 1, "price": -2.0,
          "total": -2.0, "is_gift": 1, "channel_food_code": "GIFT1"}],
    )  # fmt: skip
    # Legacy counted the gift line in its totals (the user paid 2 yuan less).
    migrate_env.legacy(
        sa.update(ls.t_order)
        .where(o.id == gift)
        .values(original_amount=o.original_amount - 2.0, total_amount=o.total_amount - 2.0)
    )
    migrate_env.legacy(
        sa.update(ls.t_order).where(o.id == drift).values(total_amount=o.total_amount + 0.01)
    )
    migrate_env.legacy(
        sa.update(ls.t_order)
        .where(o.id == stated)
        .values(discount_amount=sa.func.coalesce(o.discount_amount, 0) + 1.5)
    )
    return {"gift": gift, "drift": drift, "stated": stated}


def test_gateway_figures_of_every_migrated_order_equal_the_legacy_columns(migrate_env):
    planted = _plant(migrate_env)
    backfill(migrate_env.settings, ["stores", "products", "members", "orders"], chunk_size=64)
    rows = migrate_env.legacy(sa.select(ls.t_order))
    legacy = {r.order_no: {f: yuan_to_fen(r._mapping[f]) for f in FIGURES} for r in rows}
    by_id = {r.id: r.order_no for r in rows}
    engine = create_engine(migrate_env.url("order"))
    try:
        uow = SqlOrderUnitOfWork(engine, write=False)
        with uow:
            orders = uow.orders.get_many(sorted(legacy))
    finally:
        engine.dispose()
    assert len(orders) > 200
    kinds: dict[str, set[str]] = {}
    for order in orders:
        view = fine(order)
        shown = {name: yuan_to_fen(value) for name, value in legacy_amounts(view).items()}
        assert shown == legacy[order.order_no], order.order_no
        kinds[order.order_no] = {d["kind"] for d in view["discounts"]}
    assert "GIFT" in kinds[by_id[planted["gift"]]]
    assert "ROUNDING" in kinds[by_id[planted["drift"]]]
    stated = next(o for o in orders if o.order_no == by_id[planted["stated"]])
    assert "discount_amount" in stated.channel_ext["legacy_amounts"]
