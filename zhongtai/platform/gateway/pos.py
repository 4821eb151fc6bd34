"""POS服务 (frozen contract): pull new orders, ack with a ticket, report progress, cancel.

Byte for byte the legacy's answers: the POS cannot change. A pull claims the store's oldest
paid, untouched orders from the order center's POS handoff queue (no refund under way, no
exception flag — what the legacy's ``status = 1 AND pos_sync_status = 0`` selected) and renders
them with the legacy's own POS renderer, money in fen. Ack, progress and cancel check the
calling store and the legacy state machine first, then move the order; the ticket number is
the POS handoff's reference, the pickup code is set with the READY move.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from zhongtai.legacy.api.bodies import PosAck, PosCancel, PosProgress, PosPull
from zhongtai.legacy.envelope import LegacyJSON, ok
from zhongtai.legacy.status import OrderStatus
from zhongtai.platform.gateway import aftersale
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.context import Gateway, center_calls, gateway
from zhongtai.platform.gateway.legacy_format import pos_json, status_of
from zhongtai.platform.gateway.orders import (
    check_move,
    get_order,
    main_status,
    move_main,
    wrong_store,
)
from zhongtai.platform.gateway.refunds import order_refunds
from zhongtai.platform.gateway.stores import unknown_store

router = APIRouter(prefix="/api/pos/orders")
Gw = Annotated[Gateway, Depends(gateway)]
Calls = Annotated[CenterCalls, Depends(center_calls)]
# Refund states in which the legacy order was still status 1 (no refund under way or done).
PULLABLE_REFUNDS = ["NONE", "REJECTED", "FAILED"]
PROGRESS = {
    "making": OrderStatus.MAKING,
    "ready": OrderStatus.READY,
    "completed": OrderStatus.COMPLETED,
}


async def store_order(
    gw: Gateway, calls: CenterCalls, store_code: str, order_no: str, view: str = "medium"
) -> dict[str, Any]:
    """The order (medium view: its header), after checking that it belongs to the calling
    store (40401, 40403, 40903)."""
    store, order = await asyncio.gather(
        gw.stores.find(calls, "code", store_code), _order_or_error(calls, order_no, view)
    )
    if store is None:
        raise unknown_store("code", store_code)
    if isinstance(order, Exception):
        raise order
    if order["store_id"] != store["id"]:
        owner = await get_order(calls, order_no)  # the store code the order was taken with
        raise wrong_store(order_no, owner["store_snapshot"].get("store_code"), store_code)
    return order


async def _order_or_error(
    calls: CenterCalls, order_no: str, view: str
) -> dict[str, Any] | Exception:
    # Returned, not raised: an unknown store is reported before an unknown order.
    try:
        return await get_order(calls, order_no, view)
    except Exception as exc:  # noqa: BLE001 - re-raised by the caller in the legacy's order
        return exc


@router.post("/pull")
async def pull(body: PosPull, gw: Gw, calls: Calls) -> LegacyJSON:
    """One page of the store's new orders, marked pulled."""
    store = await gw.stores.require(calls, "code", body.store_code)
    claim = {
        "store_id": store["id"],
        "main_status": ["PAID"],
        "refund_status": PULLABLE_REFUNDS,
        "without_sub_status": True,
        "limit": body.page_size,
    }
    answer = await calls.post("order", "/handoffs/POS/claim", claim)
    orders = [pos_json(view) for view in answer["orders"]]
    return ok({"iscontinue": 1 if answer["more"] else 0, "orders": orders})


@router.post("/ack")
async def ack(body: PosAck, gw: Gw, calls: Calls) -> LegacyJSON:
    """The POS accepted the order with its ticket number."""
    order = await store_order(gw, calls, body.store_code, body.order_no)
    current = status_of(order)
    ticket = ((order.get("external_refs") or {}).get("POS") or {}).get("ref_no")
    if current == OrderStatus.ACCEPTED and ticket == body.ticket_no:
        return ok({"order_no": body.order_no, "status": current})  # the same ack again
    check_move(order["order_no"], current, OrderStatus.ACCEPTED)
    move = {
        "to": "ACCEPTED",
        "source": "POS",
        "handoff": {"system": "POS", "state": "ACKED", "ref_no": body.ticket_no},
    }
    await move_main(calls, order, move)
    return ok({"order_no": body.order_no, "status": int(OrderStatus.ACCEPTED)})


@router.post("/progress")
async def progress(body: PosProgress, gw: Gw, calls: Calls) -> LegacyJSON:
    """Making, ready (with a pickup code) or completed."""
    order = await store_order(gw, calls, body.store_code, body.order_no)
    target = PROGRESS[body.progress]
    check_move(order["order_no"], status_of(order), target)
    move: dict[str, Any] = {
        "to": main_status(target, order["order_type"]),
        "source": "POS",
        "sub_status": None,
    }
    if body.progress == "ready" and body.pickup_code:
        move["pickup_code"] = body.pickup_code
    await move_main(calls, order, move)
    return ok({"order_no": body.order_no, "status": int(target)})


@router.post("/cancel")
async def cancel(body: PosCancel, gw: Gw, calls: Calls) -> LegacyJSON:
    """The store cancels the order (a paid own-channel order is refunded in full)."""
    order = await store_order(gw, calls, body.store_code, body.order_no)
    refunds = await order_refunds(calls, order["order_no"])
    status = await aftersale.cancel(
        calls, order, refunds, source="POS", refund_source="MERCHANT", reason=body.reason
    )
    return ok({"order_no": body.order_no, "status": status})
