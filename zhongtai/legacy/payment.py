"""WeChat Pay v2 payment notifies (支付回调) for mini-program/App orders.

A SUCCESS notify with the right ``total_fee`` marks the payment paid and moves the order from
0 to 1, where the POS can pull it. A repeat for a paid ``out_trade_no`` is answered SUCCESS
and changes nothing; an unknown ``out_trade_no`` or a wrong amount is refused (FAIL) and
changes nothing. A notify whose ``return_code``/``result_code`` is not SUCCESS records the
payment as failed (the user may pay again). The signature is not verified: the simulation has
no merchant key.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhongtai.legacy.clock import parse_wechat
from zhongtai.legacy.envelope import UNKNOWN_ORDER, LegacyError, bad_request
from zhongtai.legacy.orders import require_order
from zhongtai.legacy.payloads import Fields, parse_xml
from zhongtai.legacy.schema import t_payment
from zhongtai.legacy.status import OrderStatus, PaymentStatus, PayStatus, PosSyncStatus
from zhongtai.legacy.transitions import move
from zhongtai.legacy.tx import StaleOrder, run_tx

SUCCESS = "SUCCESS"
PAYABLE = (PaymentStatus.PENDING, PaymentStatus.FAILED)


def _payment(conn: Connection, out_trade_no: str) -> dict[str, Any]:
    stmt = sa.select(t_payment).where(t_payment.c.out_trade_no == out_trade_no).with_for_update()
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise LegacyError(
            UNKNOWN_ORDER, f"unknown out_trade_no {out_trade_no!r}; no order waits for it"
        )
    return dict(row)


def _set_payment(conn: Connection, pay: dict[str, Any], **values: Any) -> None:
    result = conn.execute(
        t_payment.update()
        .where(t_payment.c.id == pay["id"], t_payment.c.status == pay["status"])
        .values(**values)
    )
    if result.rowcount != 1:  # a concurrent notify got there first; decide again
        raise StaleOrder(pay["order_no"])


def handle_notify(engine: Engine, body: bytes) -> None:
    """Apply one notify; raises LegacyError (answered FAIL) when it must not be applied."""
    fields = Fields(parse_xml(body), "WeChat notify")
    trade_no = fields.text("out_trade_no", required=True, max_len=32)
    paid = fields.text("return_code") == SUCCESS and fields.text("result_code") == SUCCESS
    raw = body.decode("utf-8", errors="replace")

    def work(conn: Connection) -> None:
        pay = _payment(conn, trade_no)
        if pay["status"] == PaymentStatus.SUCCESS:
            return  # already paid: a re-sent notify changes nothing
        if not paid:
            if pay["status"] == PaymentStatus.PENDING:
                _set_payment(conn, pay, status=int(PaymentStatus.FAILED), notify_raw=raw)
            return
        if pay["status"] not in PAYABLE:
            raise bad_request(f"payment {trade_no} is closed (status {pay['status']})")
        fee = fields.integer("total_fee", required=True, low=0)
        if fee != pay["total_fee"]:
            raise bad_request(
                f"total_fee {fee} does not match the {pay['total_fee']} fen of {trade_no}; "
                "the payment was not recorded"
            )
        time_end = fields.text("time_end", required=True, max_len=14)
        try:
            parse_wechat(time_end)
        except ValueError as exc:
            raise bad_request(f"WeChat notify: {exc}") from None
        _set_payment(
            conn,
            pay,
            status=int(PaymentStatus.SUCCESS),
            transaction_id=fields.text("transaction_id", required=True, max_len=32),
            time_end=time_end,
            notify_raw=raw,
        )
        order = require_order(conn, pay["order_no"], lock=True)
        values = {"pay_status": int(PayStatus.PAID), "pos_sync_status": int(PosSyncStatus.TO_PULL)}
        move(conn, order, OrderStatus.NEW, source="MP", remark="WX notify", values=values)

    run_tx(engine, work)
