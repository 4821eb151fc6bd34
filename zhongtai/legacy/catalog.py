"""The menu as one store sells it: products, SKUs, the store's price override and 沽清 flag.

A SKU without a ``t_store_product`` row sells in every store at the SKU price; a row with a
non-NULL ``price`` overrides it there, and ``sold_out = 1`` stops it there. Products with
``status = 0`` (下架) or ``is_deleted = 1`` are not on the menu and cannot be ordered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.money import as_float
from zhongtai.legacy.schema import t_product, t_product_sku, t_store_product

ON_SALE = 1
_p, _s, _sp = t_product.c, t_product_sku.c, t_store_product.c


def _store_skus() -> sa.Select:
    """Products joined to SKUs and to the ``:store_id`` store's overrides."""
    joined = t_product.join(t_product_sku, _s.product_id == _p.id).outerjoin(
        t_store_product, sa.and_(_sp.sku_id == _s.id, _sp.store_id == sa.bindparam("store_id"))
    )
    return sa.select(
        _p.id.label("product_id"),
        _p.name,
        _p.erp_code,
        _p.category_id,
        _p.category_name,
        _p.sort,
        _p.status.label("product_status"),
        _p.brand_id,
        _s.id.label("sku_id"),
        _s.sku_code,
        _s.spec_name,
        _s.price.label("sku_price"),
        _s.box_num,
        _s.box_price,
        _sp.price.label("store_price"),
        _sp.sold_out,
    ).select_from(joined)


# Built once: the menu is the busiest read of the mini-program.
_MENU = _store_skus().where(
    _p.brand_id == sa.bindparam("brand_id"),
    _p.is_deleted == 0,
    _p.status == ON_SALE,
    _s.is_deleted == 0,
)


def _price(row: Any) -> float:
    return as_float(row.store_price if row.store_price is not None else row.sku_price)


def menu(conn: Connection, store: dict[str, Any]) -> dict[str, Any]:
    """The store's menu grouped by category, in a stable order on every engine."""
    params = {"store_id": store["id"], "brand_id": store["brand_id"]}
    rows = sorted(
        conn.execute(_MENU, params).all(),
        key=lambda r: (
            r.category_id is None,
            r.category_id or 0,
            r.sort or 0,
            r.product_id,
            r.sku_id,
        ),
    )
    categories: dict[Any, dict[str, Any]] = {}
    products: dict[int, dict[str, Any]] = {}
    for r in rows:
        category = categories.setdefault(
            r.category_id,
            {"category_id": r.category_id, "category_name": r.category_name, "products": []},
        )
        product = products.get(r.product_id)
        if product is None:
            product = products[r.product_id] = {
                "product_id": r.product_id,
                "name": r.name,
                "skus": [],
            }
            category["products"].append(product)
        product["skus"].append(
            {
                "sku_id": r.sku_id,
                "sku_code": r.sku_code,
                "spec_name": r.spec_name,
                "price": _price(r),
                "sold_out": int(r.sold_out or 0),
            }
        )
    return {
        "store_id": store["id"],
        "store_name": store["store_name"],
        "categories": list(categories.values()),
    }


def priced_skus(
    conn: Connection, store: dict[str, Any], sku_ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """The live SKUs among ``sku_ids`` of the store's brand, priced for the store."""
    ids = sorted(set(sku_ids))
    stmt = _store_skus().where(
        _s.id.in_(ids), _s.is_deleted == 0, _p.is_deleted == 0, _p.brand_id == store["brand_id"]
    )
    return {
        r.sku_id: {
            "sku_id": r.sku_id,
            "sku_code": r.sku_code,
            "erp_code": r.erp_code,
            "name": r.name,
            "spec_name": r.spec_name,
            "price": _price(r),
            "box_num": int(r.box_num or 0),
            "box_price": as_float(r.box_price) or 0.0,
            "sold_out": bool(r.sold_out),
            "on_sale": r.product_status == ON_SALE,
        }
        for r in conn.execute(stmt, {"store_id": store["id"]})
    }


def skus_by_channel_code(
    conn: Connection, column: str, codes: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Map channel item codes (``mt_app_food_code`` or ``ele_item_id``) to live SKUs."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    code_col = t_product_sku.c[column]
    stmt = (
        sa.select(code_col.label("code"), _s.id, _s.sku_code, _p.erp_code)
        .select_from(t_product_sku.join(t_product, _p.id == _s.product_id))
        .where(code_col.in_(wanted), _s.is_deleted == 0)
        .order_by(_s.id.desc())
    )
    # Descending ids, so the oldest SKU wins when a code was (wrongly) reused.
    return {r.code: {"sku_id": r.id, "erp_code": r.erp_code} for r in conn.execute(stmt)}
