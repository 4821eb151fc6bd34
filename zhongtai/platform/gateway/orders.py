"""The order center as the gateway uses it: reads in the legacy's words, guarded writes.

Every write the legacy made went through ``transitions.move``: the legacy state machine
(:func:`zhongtai.legacy.status.check_transition`) decided, with its message. The gateway
decides the same way on the order's legacy status (:func:`.legacy_format.status_of`) *before*
calling the order center, so the answer and its words are the legacy's; the center then
enforces its own rules (a refund track, version checks) on top. A center refusal that gets
past the legacy check can only be a concurrent change, answered as the legacy answered a
lost race ("being changed by other requests; retry").
"""

from __future__ import annotations

from typing import Any

from zhongtai.legacy.envelope import (
    ILLEGAL_TRANSITION,
    UNKNOWN_ORDER,
    WRONG_STORE,
    LegacyError,
    bad_request,
)
from zhongtai.legacy.status import IllegalTransition, OrderStatus, check_transition
from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.legacy_format import REFUND_SET_ASIDE, carry_on, refund_open

MAIN = {
    OrderStatus.NEW: "PAID",
    OrderStatus.ACCEPTED: "ACCEPTED",
    OrderStatus.MAKING: "PREPARING",
    OrderStatus.COMPLETED: "COMPLETED",
    OrderStatus.CANCELLED: "CANCELLED",
}


def unknown_order(order_no: str) -> LegacyError:
    return LegacyError(UNKNOWN_ORDER, f"unknown order {order_no!r}; check the order number")


def unknown_channel_order(channel_order_id: str) -> LegacyError:
    return LegacyError(
        UNKNOWN_ORDER, f"unknown platform order {channel_order_id!r}; push the new order first"
    )


def check_move(order_no: str, current: int, target: int) -> None:
    """The legacy state machine's verdict, as the legacy worded a refusal (40901)."""
    try:
        check_transition(current, target)
    except IllegalTransition as exc:
        raise LegacyError(ILLEGAL_TRANSITION, f"order {order_no}: {exc}") from None
    except ValueError as exc:  # a status int the state machine does not know (dead codes)
        raise LegacyError(ILLEGAL_TRANSITION, f"order {order_no}: {exc}") from None


def main_status(target: int, order_type: str) -> str:
    """The center's main status a legacy target status stands for (4: by order type)."""
    if target == OrderStatus.READY:
        return "DELIVERING" if order_type == "DELIVERY" else "READY"
    return MAIN[OrderStatus(target)]


def wrong_store(order_no: str, store_code: str | None, named: str) -> LegacyError:
    return LegacyError(WRONG_STORE, f"order {order_no} belongs to store {store_code}, not {named}")


def refused(order_no: str, exc: CenterCallError) -> LegacyError:
    """A center refusal of a write the legacy rules allowed, in the legacy's terms."""
    if exc.status == 404:
        return unknown_order(order_no)
    if exc.status == 409 and exc.code == "ILLEGAL_TRANSITION":
        return LegacyError(
            ILLEGAL_TRANSITION,
            f"order {order_no}: the order center refuses this move ({exc.message}); the "
            "legacy allowed it, see the platform's known differences",
        )
    if exc.status == 409:
        return LegacyError(
            ILLEGAL_TRANSITION, f"order {order_no} is being changed by other requests; retry"
        )
    if exc.status == 400:
        return bad_request(f"order {order_no}: the platform refused the change: {exc.message}")
    return LegacyError(50000, "internal error; the server log has the details")


async def get_order(calls: CenterCalls, order_no: str, view: str = "fine") -> dict[str, Any]:
    """The order (``fine`` view: lines and all; ``medium``: the header), or the legacy's 40403."""
    try:
        return await calls.get("order", f"/orders/{order_no}", view=view)
    except CenterCallError as exc:
        if exc.status in (400, 404):
            raise unknown_order(order_no) from None
        raise


async def find_push(
    calls: CenterCalls, channel: str, channel_order_id: str, push_type: str, view: str = "medium"
) -> tuple[dict[str, Any] | None, bool]:
    """(the live order a push names or None, whether this push was applied before)."""
    path = f"/pushes/{channel}/{channel_order_id}/{push_type}"
    found = await calls.get("order", path, view=view)
    return found["order"], found["seen"]


async def write(calls: CenterCalls, order_no: str, path: str, body: dict[str, Any]) -> dict:
    """A command on the order (``/status``, ``/refund-status``, ``/pushes``): its new coarse
    view (the gateway answers from what it decided, so the light view is enough)."""
    try:
        result = await calls.post("order", f"/orders/{order_no}{path}", body, view="coarse")
    except CenterCallError as exc:
        raise refused(order_no, exc) from None
    return result["order"]


async def move_main(calls: CenterCalls, order: dict[str, Any], move: dict[str, Any]) -> dict:
    """Move the order's main status (``move`` is the ``/status`` body) as the legacy moved
    its status: with a refund open the refund is set aside (see ``carry_on``), and a move to
    the main status the order already has (legacy 2 → 7 → 2) only sets it aside."""
    move = carry_on(order, move)
    if refund_open(order) and move["to"] == order["main_status"] and "handoff" not in move:
        aside = {k: v for k, v in move.items() if k in ("source", "reason", "push")}
        return await write(
            calls, order["order_no"], "/sub-status", {**aside, "sub_status": REFUND_SET_ASIDE}
        )
    return await write(calls, order["order_no"], "/status", move)


async def search(calls: CenterCalls, params: list[tuple[str, Any]]) -> dict[str, Any]:
    return await calls.request("order", "GET", "/orders", params=params)
