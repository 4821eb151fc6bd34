"""WeChat Pay notifies (支付回调) over the payment and order centers.

The legacy's rules and answers, checked in its order before anything is written: unknown
``out_trade_no`` 40403; an already paid payment is answered SUCCESS and nothing changes; a
failure notify marks a pending payment failed and is answered SUCCESS; a closed payment, a
wrong ``total_fee``, a missing or malformed ``time_end``/``transaction_id`` 40001; an order that
can no longer be paid (cancelled) 40901. Then the payment center records the payment and the
order center moves the order 0 → 1 (PAID), where the POS pulls it. The order's ``paid_at`` is
the notify's ``time_end`` (when the money arrived), as the payment's is: legacy keeps that
time only (``t_payment.time_end``), and it is the one an operator reconciles against WeChat.

The payment and its order are read together: the legacy's ``out_trade_no`` is ``P`` + the
order number, so the order is fetched by that guess and re-fetched only if the payment says
otherwise.
"""

from __future__ import annotations

import asyncio
from typing import Any

from zhongtai.legacy.clock import parse_wechat
from zhongtai.legacy.envelope import UNKNOWN_ORDER, LegacyError, bad_request
from zhongtai.legacy.payloads import Fields, parse_xml
from zhongtai.legacy.status import OrderStatus, PaymentStatus
from zhongtai.migrate.transforms import payment_status_to_legacy
from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.legacy_format import status_of, utc_iso
from zhongtai.platform.gateway.orders import check_move, get_order, refused, write

SUCCESS = "SUCCESS"


async def _payment(calls: CenterCalls, trade_no: str) -> dict[str, Any]:
    try:
        return await calls.get("payment", f"/payments/{trade_no}")
    except CenterCallError as exc:
        if exc.status in (400, 404):
            raise LegacyError(
                UNKNOWN_ORDER, f"unknown out_trade_no {trade_no!r}; no order waits for it"
            ) from None
        raise


async def _guess_order(calls: CenterCalls, trade_no: str) -> dict[str, Any] | None:
    if not trade_no.startswith("P"):
        return None
    try:
        return await get_order(calls, trade_no[1:], "medium")
    except LegacyError:
        return None


async def handle_notify(calls: CenterCalls, body: bytes) -> None:
    """Apply one notify; raises LegacyError (answered FAIL) when it must not be applied."""
    fields = Fields(parse_xml(body), "WeChat notify")
    trade_no = fields.text("out_trade_no", required=True, max_len=32)
    paid = fields.text("return_code") == SUCCESS and fields.text("result_code") == SUCCESS
    raw = body.decode("utf-8", errors="replace")
    pay, guessed = await asyncio.gather(_payment(calls, trade_no), _guess_order(calls, trade_no))
    status = payment_status_to_legacy(pay["status"])
    if status == PaymentStatus.SUCCESS:
        await _settle(calls, pay, guessed)  # already paid: a re-sent notify changes nothing
        return
    if not paid:
        if status == PaymentStatus.PENDING:
            notify = {"success": False, "amount": pay["amount"], "raw": raw}
            await _notify(calls, trade_no, pay["order_no"], notify)
        return
    if status not in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        raise bad_request(f"payment {trade_no} is closed (status {status})")
    fee = fields.integer("total_fee", required=True, low=0)
    if fee != pay["amount"]:
        raise bad_request(
            f"total_fee {fee} does not match the {pay['amount']} fen of {trade_no}; "
            "the payment was not recorded"
        )
    time_end = fields.text("time_end", required=True, max_len=14)
    try:
        paid_at = parse_wechat(time_end)
    except ValueError as exc:
        raise bad_request(f"WeChat notify: {exc}") from None
    transaction_id = fields.text("transaction_id", required=True, max_len=32)
    order = guessed
    if order is None or order["order_no"] != pay["order_no"]:
        order = await get_order(calls, pay["order_no"], "medium")
    order_no = order["order_no"]
    notify = {
        "success": True,
        "amount": fee,
        "transaction_id": transaction_id,
        "paid_at": utc_iso(paid_at),
        "raw": raw,
    }
    move = {"to": "PAID", "source": "MP", "reason": "WX notify", "paid_at": notify["paid_at"]}
    try:
        check_move(order_no, status_of(order), OrderStatus.NEW)
        # The payment first, then the order: an order found moved by a racing copy then has
        # its payment recorded already, and a failure between the two leaves a recorded
        # payment whose order a re-sent notify moves (_settle), never a paid order without one.
        await _notify(calls, trade_no, order_no, notify)
        await write(calls, order_no, "/status", move)
    except LegacyError:
        # A copy of this notify racing us got there first (it may already have moved the
        # order we read, or our own calls lost to it). The legacy, serialised on the
        # payment row, would have found it paid and answered SUCCESS: so do we, once the
        # payment is recorded (and the order moved, by whichever copy gets to it).
        pay = await _payment(calls, trade_no)
        if pay["status"] != "SUCCEEDED":
            raise
        await _settle(calls, pay, None)


async def _settle(calls: CenterCalls, pay: dict[str, Any], order: dict[str, Any] | None) -> None:
    """Make sure the order of a succeeded payment left 0 (待支付).

    The legacy moved payment and order in one transaction; here they are two centers. If the
    order move of the copy that recorded the payment did not happen (a failure between the
    two calls), a re-sent notify — WeChat re-sends until it gets SUCCESS — completes it.
    """
    if order is None or order["order_no"] != pay["order_no"]:
        order = await get_order(calls, pay["order_no"], "medium")
    if status_of(order) != OrderStatus.PENDING_PAYMENT:
        return
    move = {"to": "PAID", "source": "MP", "reason": "WX notify", "paid_at": pay["paid_at"]}
    try:
        await write(calls, order["order_no"], "/status", move)
    except LegacyError:
        order = await get_order(calls, pay["order_no"], "medium")
        if status_of(order) == OrderStatus.PENDING_PAYMENT:
            raise


async def _notify(calls: CenterCalls, trade_no: str, order_no: str, notify: dict) -> None:
    try:
        await calls.post("payment", f"/payments/{trade_no}/notify", notify)
    except CenterCallError as exc:
        raise refused(order_no, exc) from None
