"""The POS interface's state (POS接口): which orders a store's POS pulls, and what it reports.

A pull takes the store's orders in status 1 that no POS has pulled yet (``pos_sync_status``
0), oldest first, one page at a time, and marks them pulled (1); ``iscontinue`` tells whether
more are waiting. An ack accepts the order (1 → 2) with the POS ticket number; repeating the
same ack is answered without a change, so a POS may retry after a timeout.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.clock import local_str
from zhongtai.legacy.envelope import WRONG_STORE, LegacyError
from zhongtai.legacy.orders import order_items, require_order
from zhongtai.legacy.schema import t_order, t_product_sku
from zhongtai.legacy.status import OrderStatus, PosSyncStatus
from zhongtai.legacy.stores import require_store
from zhongtai.legacy.transitions import move
from zhongtai.legacy.views import pos_order

PROGRESS = {
    "making": OrderStatus.MAKING,
    "ready": OrderStatus.READY,
    "completed": OrderStatus.COMPLETED,
}


def pull(conn: Connection, store_code: str, page_size: int) -> dict[str, Any]:
    """One page of new orders for the store's POS, marked pulled."""
    store = require_store(conn, "code", store_code)
    stmt = (
        sa.select(t_order)
        .where(
            t_order.c.store_id == store["id"],
            t_order.c.status == OrderStatus.NEW,
            t_order.c.pos_sync_status == PosSyncStatus.TO_PULL,
            t_order.c.del_flag == 0,
        )
        .order_by(t_order.c.id)
        .limit(page_size + 1)
        .with_for_update()
    )
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    more, rows = len(rows) > page_size, rows[:page_size]
    ids = [r["id"] for r in rows]
    items = order_items(conn, ids)
    sku_ids = {i["sku_id"] for lines in items.values() for i in lines if i["sku_id"] is not None}
    codes: dict[int, str] = {}
    if sku_ids:
        stmt = sa.select(t_product_sku.c.id, t_product_sku.c.sku_code).where(
            t_product_sku.c.id.in_(sorted(sku_ids))
        )
        codes = {r.id: r.sku_code for r in conn.execute(stmt)}
    if ids:
        now = local_str()
        conn.execute(
            t_order.update()
            .where(t_order.c.id.in_(ids), t_order.c.pos_sync_status == PosSyncStatus.TO_PULL)
            .values(
                pos_sync_status=int(PosSyncStatus.PULLED),
                pos_pull_time=now,
                update_time=now,
                version=t_order.c.version + 1,
            )
        )
    return {
        "iscontinue": 1 if more else 0,
        "orders": [pos_order(r, items[r["id"]], codes) for r in rows],
    }


def store_order(conn: Connection, store_code: str, order_no: str) -> dict[str, Any]:
    """The order, locked, after checking that it belongs to the calling store."""
    store = require_store(conn, "code", store_code)
    order = require_order(conn, order_no, lock=True)
    if order["store_id"] != store["id"]:
        raise LegacyError(
            WRONG_STORE,
            f"order {order_no} belongs to store {order['store_code']}, not {store_code}",
        )
    return order


def ack(conn: Connection, order: dict[str, Any], ticket_no: str, pos_id: str | None) -> None:
    """Accept (1 → 2) with the POS ticket number; a repeated ack changes nothing."""
    if order["status"] == OrderStatus.ACCEPTED and order["pos_ticket_no"] == ticket_no:
        return  # the same ack again: already done
    values = {
        "pos_sync_status": int(PosSyncStatus.ACKED),
        "pos_ticket_no": ticket_no,
        "pos_ack_time": local_str(),
    }
    move(conn, order, OrderStatus.ACCEPTED, source="POS", operator=pos_id, values=values)


def progress(conn: Connection, order: dict[str, Any], step: str, pickup_code: str | None) -> None:
    """Move to making (3), ready (4, with the pickup code) or completed (5)."""
    values = {"pickup_code": pickup_code} if step == "ready" and pickup_code else {}
    move(conn, order, PROGRESS[step], source="POS", push_type=step, values=values)
