"""What a channel push does, over the centers (外卖同步服务): create, move, refund an order.

The same decisions as the legacy's ``ingest`` (see :mod:`zhongtai.legacy.events`), taken on
the order's legacy status and carried out by order-center commands that carry the push key
(channel, channel order id, push type): the order center records the key in the same
transaction as the change and answers a repeat as a duplicate, so a re-delivered push — also
one racing the first — changes nothing and gets the channel's success body.

Refunds of takeout orders are recorded twice, as the legacy's ``t_order``/``t_refund`` pair
was: the refund track of the order (order center) and a refund record (payment center) with
the legacy number ``RF{order_no}{n:02d}`` and the channel's refund id.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhongtai.legacy.clock import now_local
from zhongtai.legacy.envelope import ILLEGAL_TRANSITION, WRONG_STORE, LegacyError, bad_request
from zhongtai.legacy.events import Action, Event, already_reached
from zhongtai.legacy.intake import NewOrder
from zhongtai.legacy.money import yuan_to_fen
from zhongtai.legacy.status import OrderStatus
from zhongtai.migrate.transforms import CHANNEL_NAMES
from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.gateway import intake
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.catalog import resolve_codes
from zhongtai.platform.gateway.context import Gateway
from zhongtai.platform.gateway.legacy_format import refund_open, status_of
from zhongtai.platform.gateway.orders import (
    check_move,
    find_push,
    get_order,
    main_status,
    move_main,
    unknown_channel_order,
    write,
)
from zhongtai.platform.gateway.refunds import (
    create_refund,
    next_refund_no,
    open_refund,
    order_refunds,
    set_refund_status,
)
from zhongtai.platform.gateway.stores import unknown_store

SOURCE = {1: "MT_PUSH", 2: "ELE_PUSH"}


async def ingest_new(
    gw: Gateway,
    calls: CenterCalls,
    order: NewOrder,
    shop: tuple[str, Any],
    *,
    now: datetime | None = None,
) -> bool:
    """Record a new takeout order for the store ``shop`` names; False for a re-push.

    The order center recognises a re-push itself (the push key), so the happy path asks
    nothing extra; only a push about to be refused is first checked against the push log,
    because a re-push is answered with success whatever changed since (as in the legacy)."""
    try:
        store, skus = await asyncio.gather(
            gw.stores.require(calls, *shop),
            resolve_codes(
                gw, calls, order.channel, [(i.code, i.channel_sku_id) for i in order.items]
            ),
        )
        body = intake.channel_order(order, store, skus, now or now_local())
        try:
            result = await calls.post("order", "/orders", body, view="coarse")
        except CenterCallError as exc:
            if exc.status != 400:
                raise
            raise bad_request(
                f"{CHANNEL_NAMES[order.channel].title()} order {order.channel_order_id}: "
                f"the platform refused it: {exc.message}"
            ) from None
    except LegacyError:
        name = CHANNEL_NAMES[order.channel]
        _, seen = await find_push(calls, name, order.channel_order_id, order.push_type)
        if seen:
            return False
        raise
    return not result["duplicate"]


@dataclass(frozen=True)
class Change:
    """A status or refund push about an existing takeout order."""

    channel: int
    channel_order_id: str
    push_type: str
    event: Event
    shop: tuple[str, Any] | None  # the store the push names; it must own the order
    remark: str | None = None
    amount: float | None = None
    refund_id: str | None = None

    def push(self) -> dict[str, str]:
        return {
            "channel": CHANNEL_NAMES[self.channel],
            "channel_order_id": self.channel_order_id,
            "push_type": self.push_type,
        }


async def apply_change(gw: Gateway, calls: CenterCalls, change: Change) -> bool:
    """Apply a status/refund push once; False if it was a duplicate."""
    name = CHANNEL_NAMES[change.channel]
    lookups: list = [find_push(calls, name, change.channel_order_id, change.push_type)]
    if change.shop is not None:
        lookups.append(gw.stores.find(calls, *change.shop))
    found = await asyncio.gather(*lookups)
    order, seen = found[0]
    if seen:
        return False
    if order is None:
        raise unknown_channel_order(change.channel_order_id)
    if change.shop is not None:
        store = found[1]
        if store is None:
            raise unknown_store(*change.shop)
        if store["id"] != order["store_id"]:
            owner = await get_order(calls, order["order_no"])  # the store code it was taken with
            raise LegacyError(
                WRONG_STORE,
                f"platform order {change.channel_order_id} belongs to store "
                f"{owner['store_snapshot'].get('store_code')}, not to the store this push names",
            )
    await _apply(calls, change, order)
    return True


async def _apply(calls: CenterCalls, change: Change, order: dict[str, Any]) -> None:
    order_no, current = order["order_no"], status_of(order)
    action, target = change.event.action, change.event.target
    push = change.push()
    source = SOURCE[change.channel]
    if action is not Action.REFUND_REJECT and already_reached(current, target):
        await write(calls, order_no, "/pushes", push)  # acknowledged, nothing to change
        return
    if action is Action.STATUS:
        check_move(order_no, current, target)
        body = {"to": main_status(target, order["order_type"]), "source": source, "push": push}
        await move_main(calls, order, {**body, "reason": change.remark})
        return
    if action is Action.REFUND_REJECT and current != OrderStatus.REFUNDING:
        raise LegacyError(
            ILLEGAL_TRANSITION,
            f"order {order_no} has no refund in progress (status {current}); there is "
            "nothing to reject",
        )
    if action is not Action.REFUND_REJECT:
        check_move(order_no, current, target)
    refunds = await order_refunds(calls, order_no)
    common = {"source": source, "push": push, "reason": change.remark}
    if action is Action.REFUND_APPLY:
        total = order["paid_amount"]
        amount = total if change.amount is None else yuan_to_fen(change.amount)
        record = {
            "refund_no": next_refund_no(order_no, refunds),
            "order_no": order_no,
            "amount": amount,
            "source": "USER",
            "status": "APPLIED",
            "paid_amount": total,
            "kind": "FULL" if amount >= total else "PARTIAL",
            "reason": change.remark,
            "channel_refund_id": change.refund_id,
        }
        if refund_open(order):  # set aside (legacy 7 → 5 → 7): under way again, a new record
            track = write(calls, order_no, "/sub-status", {"sub_status": None, **common})
        else:
            track = write(calls, order_no, "/refund-status", {"to": "APPLIED", **common})
        await asyncio.gather(track, create_refund(calls, order_no, record))
        return
    pending = open_refund(refunds, change.refund_id)
    if action is Action.REFUND_AGREE:
        amount = pending["amount"] if pending else order["paid_amount"] - order["refunded_amount"]
        body = {"to": "SUCCEEDED", "amount": amount, **common}
        steps = [write(calls, order_no, "/refund-status", body)]
        if pending:
            steps.append(set_refund_status(calls, order_no, pending["refund_no"], "SUCCEEDED"))
    else:
        steps = [write(calls, order_no, "/refund-status", {"to": "REJECTED", **common})]
        if pending:
            steps.append(set_refund_status(calls, order_no, pending["refund_no"], "REJECTED"))
    await asyncio.gather(*steps)
