"""Cancelling and refunding orders from the mini-program and the POS (售后).

A paid mini-program/App order that is cancelled is refunded in full at once. A refund asked
from the mini-program is decided at once too: 7 (退款中) then 8 (已退款), whole or partial.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from zhongtai.legacy.envelope import bad_request
from zhongtai.legacy.money import yuan_to_fen
from zhongtai.legacy.refunds import OWN_CHANNELS, WHOLE, add_refund, refund_type
from zhongtai.legacy.status import OrderStatus, PayStatus, RefundStatus
from zhongtai.legacy.transitions import move

REFUNDED_IN_FULL = {
    "refund_status": int(RefundStatus.SUCCESSFUL),
    "pay_status": int(PayStatus.REFUNDED),
}


def require_own_order(order: dict[str, Any]) -> None:
    """Refuse (40001) an order of a takeout platform: it is cancelled and refunded there."""
    if order["channel"] not in OWN_CHANNELS:
        raise bad_request(
            f"order {order['order_no']} came from channel {order['channel']} (a takeout "
            "platform); cancel or refund it on that platform"
        )


def cancel(
    conn: Connection,
    order: dict[str, Any],
    *,
    source: str,
    refund_source: str,
    reason: str | None,
    operator: str | None = None,
) -> None:
    """Move to 6 (已取消); a paid own-channel order also gets its full refund."""
    refund = order["channel"] in OWN_CHANNELS and order["pay_status"] == PayStatus.PAID
    values = REFUNDED_IN_FULL if refund else {}
    move(
        conn,
        order,
        OrderStatus.CANCELLED,
        source=source,
        operator=operator,
        remark=reason,
        values=values,
    )
    if refund:
        add_refund(
            conn,
            order,
            amount=None,
            status=RefundStatus.SUCCESSFUL,
            source=refund_source,
            reason=reason,
        )


def refund(
    conn: Connection, order: dict[str, Any], *, amount: float | None, reason: str | None
) -> dict[str, Any]:
    """Refund a paid own-channel order now (7 then 8); returns the response data."""
    require_own_order(order)
    if order["pay_status"] != PayStatus.PAID:
        raise bad_request(
            f"order {order['order_no']} is not paid (pay_status {order['pay_status']}); "
            "there is nothing to refund"
        )
    total = order["total_amount"] or 0.0
    value = total if amount is None else amount
    if not 0 < yuan_to_fen(value) <= yuan_to_fen(total):
        raise bad_request(f"refund amount {value} must be more than 0 and at most {total} yuan")
    move(
        conn,
        order,
        OrderStatus.REFUNDING,
        source="MP",
        remark=reason,
        values={"refund_status": int(RefundStatus.APPLIED)},
    )
    refund_no = add_refund(
        conn, order, amount=value, status=RefundStatus.SUCCESSFUL, source="user", reason=reason
    )
    values: dict[str, Any] = {"refund_status": int(RefundStatus.SUCCESSFUL)}
    if refund_type(value, total) == WHOLE:
        values["pay_status"] = int(PayStatus.REFUNDED)
    move(conn, order, OrderStatus.REFUNDED, source="MP", remark=reason, values=values)
    return {
        "order_no": order["order_no"],
        "status": order["status"],
        "refund_no": refund_no,
        "refund_amount": round(float(value), 2),
    }
