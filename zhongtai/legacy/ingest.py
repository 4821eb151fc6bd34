"""What a channel push does to the database: create the order, move its status, open or
decide a refund. Each runs in one transaction guarded by ``t_push_log``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Engine

from zhongtai.legacy.catalog import skus_by_channel_code
from zhongtai.legacy.envelope import ILLEGAL_TRANSITION, WRONG_STORE, LegacyError
from zhongtai.legacy.events import Action, Event, already_reached
from zhongtai.legacy.intake import NewOrder, activity_rows, item_rows, order_values
from zhongtai.legacy.orders import create_order, require_channel_order
from zhongtai.legacy.push_log import PushKey, once
from zhongtai.legacy.refunds import add_refund, decide_refund
from zhongtai.legacy.status import Channel, OrderStatus, PayStatus, RefundStatus
from zhongtai.legacy.stores import require_store
from zhongtai.legacy.transitions import move, status_before_refund, update_order

SOURCE = {Channel.MEITUAN: "MT_PUSH", Channel.ELEME: "ELE_PUSH"}
SKU_COLUMN = {Channel.MEITUAN: "mt_app_food_code", Channel.ELEME: "ele_item_id"}


def ingest_new(engine: Engine, order: NewOrder, shop: tuple[str, Any]) -> bool:
    """Store a new platform order for the store ``shop`` names (a ``stores.find_store`` key
    and value); False if this order was pushed before."""
    channel = Channel(order.channel)

    def work(conn: Connection) -> int:
        store = require_store(conn, *shop)
        skus = skus_by_channel_code(conn, SKU_COLUMN[channel], [i.code for i in order.items])
        row = create_order(
            conn,
            store,
            order.channel,
            order_values(order),
            item_rows(order, skus),
            activity_rows(order),
            source=SOURCE[channel],
            push_type=order.push_type,
        )
        return row["id"]

    return once(engine, PushKey(order.channel, order.channel_order_id, order.push_type), work)


@dataclass(frozen=True)
class Change:
    """A status or refund push about an existing platform order."""

    channel: int
    channel_order_id: str
    push_type: str
    event: Event
    shop: tuple[str, Any] | None  # the store the push names (find_store key); owns the order
    remark: str | None = None
    amount: float | None = None
    refund_id: str | None = None


def apply_change(engine: Engine, change: Change) -> bool:
    """Apply a status/refund push once; False if it was a duplicate."""
    key = PushKey(change.channel, change.channel_order_id, change.push_type)
    return once(engine, key, lambda conn: _apply(conn, change))


def _apply(conn: Connection, change: Change) -> int:
    order = require_channel_order(conn, change.channel, change.channel_order_id, lock=True)
    if change.shop is not None and require_store(conn, *change.shop)["id"] != order["store_id"]:
        raise LegacyError(
            WRONG_STORE,
            f"platform order {change.channel_order_id} belongs to store {order['store_code']}, "
            "not to the store this push names",
        )
    source = SOURCE[Channel(change.channel)]
    common = {"source": source, "push_type": change.push_type, "remark": change.remark}
    channel_status = {"channel_status": change.push_type}
    action, target = change.event.action, change.event.target
    if action is not Action.REFUND_REJECT and already_reached(order["status"], target):
        update_order(conn, order, channel_status)  # the order is there already: nothing to do
    elif action is Action.STATUS:
        move(conn, order, target, **common, values=channel_status)
    elif action is Action.REFUND_APPLY:
        values = {**channel_status, "refund_status": int(RefundStatus.APPLIED)}
        move(conn, order, target, **common, values=values)
        add_refund(
            conn,
            order,
            amount=change.amount,
            status=RefundStatus.APPLIED,
            source="user",
            reason=change.remark,
            channel_refund_id=change.refund_id,
        )
    elif action is Action.REFUND_AGREE:
        values = {**channel_status, "refund_status": int(RefundStatus.SUCCESSFUL)}
        if order["pay_status"] == PayStatus.PAID:
            values["pay_status"] = int(PayStatus.REFUNDED)
        move(conn, order, target, **common, values=values)
        decide_refund(conn, order["id"], RefundStatus.SUCCESSFUL, change.refund_id)
    else:  # REFUND_REJECT: back to where the order was before the refund
        if order["status"] != OrderStatus.REFUNDING:
            raise LegacyError(
                ILLEGAL_TRANSITION,
                f"order {order['order_no']} has no refund in progress (status "
                f"{order['status']}); there is nothing to reject",
            )
        back = status_before_refund(conn, order["id"])
        values = {**channel_status, "refund_status": int(RefundStatus.REJECTED)}
        move(conn, order, back, **common, values=values)
        decide_refund(conn, order["id"], RefundStatus.REJECTED, change.refund_id)
    return order["id"]
