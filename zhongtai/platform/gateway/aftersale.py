"""Cancelling and refunding orders (售后) from the mini-program and the POS, over the centers.

A paid mini-program/App order that is cancelled is refunded in full at once: the order center
moves it to CANCELLED and its refund track to SUCCEEDED in one command (both steps carry one
time, as legacy logs such a cancellation as one move), the payment center records the refund
``RF{order_no}{n:02d}``. A refund asked from the mini-program is decided at once too (legacy
7 then 8): one SUCCEEDED step on the refund track (a dry run cannot build on a step it rolled
back, so the two legacy steps are one here), whole or partial.

Every legacy check runs first, with the legacy's words; the writes of one request go out
together once they are all known to be allowed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from zhongtai.legacy.envelope import bad_request
from zhongtai.legacy.money import yuan_to_fen
from zhongtai.legacy.status import OrderStatus, PayStatus
from zhongtai.migrate.transforms import channel_code
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.legacy_format import (
    OWN_CHANNELS,
    carry_on,
    legacy_amounts,
    pay_status_of,
    status_of,
)
from zhongtai.platform.gateway.orders import check_move, get_order, write
from zhongtai.platform.gateway.refunds import create_refund, next_refund_no, order_refunds


def require_own_order(order: dict[str, Any]) -> None:
    """Refuse (40001) an order of a takeout platform: it is cancelled and refunded there."""
    if order["channel"] not in OWN_CHANNELS:
        raise bad_request(
            f"order {order['order_no']} came from channel {channel_code(order['channel'])} "
            "(a takeout platform); cancel or refund it on that platform"
        )


async def own_order_and_refunds(
    calls: CenterCalls, order_no: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The order (40403 if unknown) and its refund records, read together."""
    return await asyncio.gather(get_order(calls, order_no), order_refunds(calls, order_no))


async def cancel(
    calls: CenterCalls,
    order: dict[str, Any],
    refunds: list[dict[str, Any]],
    *,
    source: str,
    refund_source: str,
    reason: str | None,
) -> int:
    """Move to 6 (已取消); a paid own-channel order also gets its full refund. Returns 6."""
    order_no = order["order_no"]
    check_move(order_no, status_of(order), OrderStatus.CANCELLED)
    refund = order["channel"] in OWN_CHANNELS and pay_status_of(order) == PayStatus.PAID
    move = {"to": "CANCELLED", "source": source, "reason": reason}
    if refund:  # one order-center command: cancel and refund step share one time
        move["refund_amount"] = order["paid_amount"]
    steps = [write(calls, order_no, "/status", carry_on(order, move))]
    if refund:
        amount = order["paid_amount"]
        record = {
            "refund_no": next_refund_no(order_no, refunds),
            "order_no": order_no,
            "amount": amount,
            "source": refund_source,
            "status": "SUCCEEDED",
            "kind": "FULL",
            "reason": reason,
        }
        steps.append(create_refund(calls, order_no, record))
    await asyncio.gather(*steps)
    return int(OrderStatus.CANCELLED)


async def refund(
    calls: CenterCalls,
    order: dict[str, Any],
    refunds: list[dict[str, Any]],
    *,
    amount: float | None,
    reason: str | None,
) -> dict[str, Any]:
    """Refund a paid own-channel order now (legacy 7 then 8); returns the response data."""
    require_own_order(order)
    order_no = order["order_no"]
    pay_status = pay_status_of(order)
    if pay_status != PayStatus.PAID:
        raise bad_request(
            f"order {order_no} is not paid (pay_status {pay_status}); there is nothing to refund"
        )
    total = legacy_amounts(order)["total_amount"] or 0.0
    value = total if amount is None else amount
    if not 0 < yuan_to_fen(value) <= yuan_to_fen(total):
        raise bad_request(f"refund amount {value} must be more than 0 and at most {total} yuan")
    check_move(order_no, status_of(order), OrderStatus.REFUNDING)
    fen = yuan_to_fen(value)
    refund_no = next_refund_no(order_no, refunds)
    whole = fen >= yuan_to_fen(total)
    record = {
        "refund_no": refund_no,
        "order_no": order_no,
        "amount": fen,
        "source": "USER",
        "status": "SUCCEEDED",
        "kind": "FULL" if whole else "PARTIAL",
        "reason": reason,
    }
    step = {"to": "SUCCEEDED", "amount": fen, "source": "MP", "reason": reason}
    await asyncio.gather(
        write(calls, order_no, "/refund-status", step), create_refund(calls, order_no, record)
    )
    return {
        "order_no": order_no,
        "status": int(OrderStatus.REFUNDED),
        "refund_no": refund_no,
        "refund_amount": round(float(value), 2),
    }
