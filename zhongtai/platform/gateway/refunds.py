"""Refund records in the payment center, numbered and decided the legacy's way.

The legacy numbered refunds ``RF{order_no}{n:02d}``, n counting the order's refunds, and a
channel's decision closed the newest open refund (the one with the channel's refund id when
the push names it). The payment center keeps the records (``/refunds``) under those numbers,
so numbers stay what legacy clients and reports expect.
"""

from __future__ import annotations

from typing import Any

from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.orders import refused


async def order_refunds(calls: CenterCalls, order_no: str) -> list[dict[str, Any]]:
    """The order's refund records, oldest first."""
    answer = await calls.get("payment", "/refunds", order_no=order_no)
    return sorted(answer["items"], key=lambda r: r["id"])


def next_refund_no(order_no: str, refunds: list[dict[str, Any]]) -> str:
    return f"RF{order_no}{len(refunds) + 1:02d}"


def open_refund(refunds: list[dict[str, Any]], channel_refund_id: str | None) -> dict | None:
    """The newest APPLIED refund (with ``channel_refund_id`` when given), or None."""
    for refund in reversed(refunds):
        if refund["status"] != "APPLIED":
            continue
        if channel_refund_id and refund["channel_refund_id"] != channel_refund_id:
            continue
        return refund
    return None


async def create_refund(calls: CenterCalls, order_no: str, record: dict[str, Any]) -> dict:
    """Record a refund (``POST /refunds``); a refusal in the legacy's terms."""
    try:
        return (await calls.post("payment", "/refunds", record))["refund"]
    except CenterCallError as exc:
        raise refused(order_no, exc) from None


async def set_refund_status(calls: CenterCalls, order_no: str, refund_no: str, to: str) -> dict:
    """Decide a refund (SUCCEEDED, REJECTED)."""
    try:
        return (await calls.post("payment", f"/refunds/{refund_no}/status", {"to": to}))["refund"]
    except CenterCallError as exc:
        raise refused(order_no, exc) from None
