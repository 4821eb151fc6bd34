"""Store lookups. Only public columns are ever selected: the channel tokens stored in
``t_store`` (``mt_token``, ``ele_token``) never leave the database through this app.

A store is live unless ``is_deleted = 1`` or ``status = -1`` (two soft-delete conventions).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.envelope import UNKNOWN_STORE, LegacyError
from zhongtai.legacy.money import as_float
from zhongtai.legacy.schema import t_store

OPEN = 1
PUBLIC = (
    t_store.c.id,
    t_store.c.brand_id,
    t_store.c.store_code,
    t_store.c.store_name,
    t_store.c.city_name,
    t_store.c.address,
    t_store.c.phone,
    t_store.c.lng,
    t_store.c.lat,
    t_store.c.business_hours,
    t_store.c.status,
    t_store.c.mt_app_poi_code,
    t_store.c.ele_shop_id,
)
LIVE = sa.and_(t_store.c.is_deleted == 0, t_store.c.status != -1)

# The column a lookup key lives in, with the words an error message uses for it.
_KEYS = {
    "id": (t_store.c.id, "store id"),
    "code": (t_store.c.store_code, "store code"),
    "meituan": (t_store.c.mt_app_poi_code, "Meituan app_poi_code"),
    "eleme": (t_store.c.ele_shop_id, "Eleme shopId"),
}


# One prepared statement per key, built once (store lookups are on every request's path).
_FIND = {
    by: sa.select(*PUBLIC)
    .where(column == sa.bindparam("value"), LIVE)
    .order_by(t_store.c.id)
    .limit(1)
    for by, (column, _) in _KEYS.items()
}


def find_store(conn: Connection, by: str, value: Any) -> dict[str, Any] | None:
    """The live store whose ``by`` key (id, code, meituan, eleme) equals ``value``."""
    row = conn.execute(_FIND[by], {"value": value}).mappings().first()
    return dict(row) if row else None


def require_store(conn: Connection, by: str, value: Any) -> dict[str, Any]:
    """The live store for the key, or 40401 naming the key and value."""
    store = find_store(conn, by, value)
    if store is None:
        raise LegacyError(
            UNKNOWN_STORE, f"unknown store: no live store has {_KEYS[by][1]} {value!r}"
        )
    return store


def public_store(row: dict[str, Any]) -> dict[str, Any]:
    """The store as the mini-program sees it."""
    return {
        "store_id": row["id"],
        "store_code": row["store_code"],
        "store_name": row["store_name"],
        "city_name": row["city_name"],
        "address": row["address"],
        "phone": row["phone"],
        "lng": as_float(row["lng"]),
        "lat": as_float(row["lat"]),
        "business_hours": row["business_hours"],
        "status": row["status"],
    }


def open_stores(conn: Connection, city: str | None) -> list[dict[str, Any]]:
    """Open, live stores (of ``city`` when given), by id."""
    stmt = sa.select(*PUBLIC).where(LIVE, t_store.c.status == OPEN).order_by(t_store.c.id)
    if city:
        stmt = stmt.where(t_store.c.city_name == city)
    return [public_store(dict(row)) for row in conn.execute(stmt).mappings()]
