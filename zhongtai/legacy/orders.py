"""Orders in the legacy database: creating one with its items and activities, finding one.

Rows travel as plain dicts of ``t_order`` columns. Lookups for a write take the row lock
(``FOR UPDATE`` on PostgreSQL and MariaDB; SQLite serialises writers anyway and the version
check in ``transitions.move`` catches what slips between read and write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.clock import local_str, now_local
from zhongtai.legacy.day_seq import next_day_seq
from zhongtai.legacy.envelope import BAD_REQUEST, UNKNOWN_ORDER, LegacyError
from zhongtai.legacy.order_no import make_order_no
from zhongtai.legacy.schema import t_order, t_order_activity, t_order_item, t_order_status_log


def create_order(
    conn: Connection,
    store: Mapping[str, Any],
    channel: int,
    values: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    activities: Sequence[Mapping[str, Any]] = (),
    *,
    source: str,
    push_type: str | None = None,
) -> dict[str, Any]:
    """Insert an order numbered by the store's daily counter; returns the row as a dict.

    ``values`` holds the channel-specific columns, including ``status``; ``day_seq`` there
    (the channel's own daily number) wins over the counter, which always numbers order_no.
    """
    now = now_local()
    serial = next_day_seq(conn, store["id"], now.strftime("%Y%m%d"))
    try:
        order_no = make_order_no(channel, now.date(), store["store_code"], serial)
    except ValueError as exc:
        raise LegacyError(
            BAD_REQUEST, f"cannot number an order for store {store['id']}: {exc}"
        ) from None
    stamp = local_str(now)
    row: dict[str, Any] = {
        "order_no": order_no,
        "channel": channel,
        "store_id": store["id"],
        "store_code": store["store_code"],
        "store_name": store["store_name"],
        "create_time": stamp,
        "update_time": stamp,
        "version": 0,
        "del_flag": 0,
        **values,
    }
    if row.get("day_seq") is None:
        row["day_seq"] = serial
    row["id"] = conn.execute(t_order.insert().values(**row)).inserted_primary_key[0]
    if items:
        conn.execute(t_order_item.insert(), [{**item, "order_id": row["id"]} for item in items])
    if activities:
        conn.execute(
            t_order_activity.insert(), [{**act, "order_id": row["id"]} for act in activities]
        )
    conn.execute(
        t_order_status_log.insert().values(
            order_id=row["id"],
            from_status=None,
            to_status=row["status"],
            source=source,
            push_type=push_type,
            create_time=stamp,
        )
    )
    return row


def _one(conn: Connection, where: sa.ColumnElement, lock: bool) -> dict[str, Any] | None:
    stmt = sa.select(t_order).where(where).order_by(t_order.c.id.desc()).limit(1)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def find_order(conn: Connection, order_no: str, *, lock: bool = False) -> dict[str, Any] | None:
    """The live order with this number, or None."""
    return _one(conn, sa.and_(t_order.c.order_no == order_no, t_order.c.del_flag == 0), lock)


def require_order(conn: Connection, order_no: str, *, lock: bool = False) -> dict[str, Any]:
    """The live order with this number, or 40403."""
    order = find_order(conn, order_no, lock=lock)
    if order is None:
        raise LegacyError(UNKNOWN_ORDER, f"unknown order {order_no!r}; check the order number")
    return order


def find_channel_order(
    conn: Connection, channel: int, channel_order_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    """The newest live order for a platform order id (old re-pushes left duplicates)."""
    where = sa.and_(
        t_order.c.channel == channel,
        t_order.c.channel_order_id == channel_order_id,
        t_order.c.del_flag == 0,
    )
    return _one(conn, where, lock)


def require_channel_order(
    conn: Connection, channel: int, channel_order_id: str, *, lock: bool = False
) -> dict[str, Any]:
    """The newest live order for a platform order id, or 40403."""
    order = find_channel_order(conn, channel, channel_order_id, lock=lock)
    if order is None:
        raise LegacyError(
            UNKNOWN_ORDER,
            f"unknown platform order {channel_order_id!r}; push the new order first",
        )
    return order


def order_items(conn: Connection, order_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Items of several orders at once, in insertion order, keyed by order id."""
    grouped: dict[int, list[dict[str, Any]]] = {oid: [] for oid in order_ids}
    if not order_ids:
        return grouped
    stmt = (
        sa.select(t_order_item)
        .where(t_order_item.c.order_id.in_(order_ids))
        .order_by(t_order_item.c.order_id, t_order_item.c.id)
    )
    for row in conn.execute(stmt).mappings():
        grouped[row["order_id"]].append(dict(row))
    return grouped
