"""After backfill, every store's menu on the product center is the legacy app's menu.

The legacy menu (``zhongtai.legacy.catalog.menu``, the function behind ``GET
/api/mp/stores/{id}/menu``) sells a SKU without a ``t_store_product`` row in every store at the
SKU price; the product center does the same for a SKU without a ``store_sku_price`` row. The
seed leaves ~3% of SKUs unlisted per store; the test also plants a store with no listing at
all, a listed sold-out SKU, a price override, a live SKU under a soft-deleted twin of a
product (the legacy menu hides it; the migration moves it to the live twin), and a stale
category name on the first product of a category (the legacy menu shows that name).
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.legacy import catalog as legacy_catalog
from zhongtai.legacy import schema as ls
from zhongtai.migrate.backfill import backfill
from zhongtai.platform.product import service as product_service
from zhongtai.platform.product.uow import SqlProductUnitOfWork


def _plant(migrate_env) -> dict[str, int]:
    """Rows that make each menu rule observable whatever the seed produced."""
    sp, s, p = ls.t_store_product.c, ls.t_product_sku.c, ls.t_product.c
    stores = [r[0] for r in migrate_env.legacy(sa.select(ls.t_store.c.id).order_by("id"))]
    bare, other = stores[0], stores[1]
    # A store that lists nothing: its whole menu is the brand's SKUs at their SKU prices.
    migrate_env.legacy(sa.delete(ls.t_store_product).where(sp.store_id == bare))
    live = (
        sa.select(s.id, s.price)
        .select_from(ls.t_product_sku.join(ls.t_product, p.id == s.product_id))
        .where(s.is_deleted == 0, p.is_deleted == 0, p.status == 1)
        .order_by(s.id)
    )
    (sold, _), (priced, price), (unlisted, _), *_ = migrate_env.legacy(live)
    migrate_env.legacy(sa.delete(ls.t_store_product).where(sp.store_id == other))
    top = migrate_env.legacy(sa.select(sa.func.max(sp.id)))[0][0] or 0
    migrate_env.legacy(
        sa.insert(ls.t_store_product),
        [
            {"id": top + 1, "store_id": other, "sku_id": sold, "price": None, "sold_out": 1},
            {
                "id": top + 2,
                "store_id": other,
                "sku_id": priced,
                "price": price + 3.5,
                "sold_out": 0,
            },
        ],  # fmt: skip
    )
    # A soft-deleted twin (same ERP code) of a live product, with a live SKU of its own.
    live_product = migrate_env.legacy(
        sa.select(ls.t_product).where(p.is_deleted == 0, p.status == 1).order_by(p.id).limit(1)
    )[0]._mapping
    twin_id = migrate_env.legacy(sa.select(sa.func.max(p.id)))[0][0] + 1
    migrate_env.legacy(sa.insert(ls.t_product), [dict(live_product, id=twin_id, is_deleted=1)])
    sku = migrate_env.legacy(sa.select(ls.t_product_sku).where(s.product_id == live_product["id"]))
    twin_sku = migrate_env.legacy(sa.select(sa.func.max(s.id)))[0][0] + 1
    row = dict(sku[0]._mapping, id=twin_sku, product_id=twin_id, sku_code=f"TWIN-{twin_sku}")
    row.update(mt_app_food_code=None, mt_sku_id=None, ele_item_id=None, ele_sku_id=None)
    migrate_env.legacy(sa.insert(ls.t_product_sku), [row])
    # The first product a category shows on the menu still carries the category's old name,
    # while most of its products carry the new one.
    first = migrate_env.legacy(
        sa.select(p.id, p.category_id)
        .select_from(ls.t_product.join(ls.t_product_sku, s.product_id == p.id))
        .where(p.is_deleted == 0, p.status == 1, s.is_deleted == 0, p.category_id.is_not(None))
        .order_by(p.category_id, p.sort, p.id)
        .limit(1)
    )[0]
    migrate_env.legacy(
        sa.update(ls.t_product).where(p.id == first.id).values(category_name="旧名凉菜小吃")
    )
    return {"bare": bare, "other": other, "sold": sold, "priced": priced,
            "unlisted": unlisted, "twin_sku": twin_sku, "stale": first.category_id}  # fmt: skip


def _legacy_menus(url: str) -> dict[int, list[tuple]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            stores = conn.execute(sa.select(ls.t_store)).mappings().all()
            return {
                store["id"]: [
                    (
                        c["category_id"],
                        c["category_name"],
                        p["product_id"],
                        k["sku_id"],
                        round(k["price"] * 100),
                        bool(k["sold_out"]),
                    )
                    for c in legacy_catalog.menu(conn, dict(store))["categories"]
                    for p in c["products"]
                    for k in p["skus"]
                ]  # fmt: skip
                for store in stores
            }
    finally:
        engine.dispose()


def _center_menu(engine, store_id: int) -> list[tuple]:
    menu = product_service.store_menu(SqlProductUnitOfWork(engine, write=False), store_id)
    return [
        (c.category_id, c.name, p.spu_id, k.sku_id, k.price, k.sold_out)
        for c in menu
        for p in c.products
        for k in p.skus
    ]


def test_every_store_menu_equals_the_legacy_menu_after_backfill(migrate_env):
    planted = _plant(migrate_env)
    legacy = _legacy_menus(migrate_env.url("legacy"))
    backfill(migrate_env.settings, ["products"], chunk_size=64)
    engine = create_engine(migrate_env.url("product"))
    try:
        platform = {store_id: _center_menu(engine, store_id) for store_id in legacy}
    finally:
        engine.dispose()
    assert len(legacy) >= 3
    for store_id, menu in legacy.items():
        assert platform[store_id] == menu, f"store {store_id}"
    # The planted rules are visible in the menus compared above, not vacuously equal.
    bare = {row[3]: row for row in legacy[planted["bare"]]}
    other = {row[3]: row for row in legacy[planted["other"]]}
    assert planted["unlisted"] in bare and planted["unlisted"] in other
    assert other[planted["sold"]][5] is True and bare[planted["sold"]][5] is False
    assert other[planted["priced"]][4] == bare[planted["priced"]][4] + 350
    assert all(planted["twin_sku"] not in {r[3] for r in m} for m in platform.values())
    assert {r[1] for r in bare.values() if r[0] == planted["stale"]} == {"旧名凉菜小吃"}
