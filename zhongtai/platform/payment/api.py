"""The payment center's HTTP API (mounted at ``/centers/payment`` or served alone with --split).

* ``POST /payments`` opens a payment (idempotent on ``out_trade_no``: 201 new, 200 repeat);
* ``POST /payments/{out_trade_no}/notify`` applies a channel notify the application layer has
  parsed and verified; answers the outcome (``PAID``, ``ALREADY_PAID``, ``LATE_PAID``,
  ``FAILURE_RECORDED``, ``IGNORED``); a wrong amount is 409 ``AMOUNT_MISMATCH`` and an unknown
  ``out_trade_no`` 404 ``PAYMENT_NOT_FOUND``, both changing nothing;
* ``POST /payments/{out_trade_no}/close``; ``GET /payments/{out_trade_no}``,
  ``GET /payments?order_no=``;
* ``POST /refunds`` (idempotent on ``refund_no``), ``POST /refunds/{refund_no}/status``,
  ``GET /refunds/{refund_no}``, ``GET /refunds?order_no=``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.http import unit_of_work
from zhongtai.platform.payment import service
from zhongtai.platform.payment.model import Notify, PayChannel
from zhongtai.platform.payment.refunds import RefundKind, RefundSource, RefundStatus
from zhongtai.platform.payment.uow import SqlPaymentUnitOfWork
from zhongtai.platform.payment.views import payment_json, refund_json

router = APIRouter(tags=["payment"])
Uow = Annotated[SqlPaymentUnitOfWork, Depends(unit_of_work)]


class PaymentIn(BaseModel):
    out_trade_no: str = Field(max_length=32)
    order_no: str = Field(max_length=32)
    channel: PayChannel
    amount: int = Field(description="fen")
    legacy_id: int | None = Field(None, ge=1, description="keep the legacy t_payment.id")


class NotifyIn(BaseModel):
    success: bool
    amount: int = Field(description="fen, as the channel reports it")
    transaction_id: str | None = Field(None, max_length=64)
    paid_at: datetime | None = Field(None, description="with a zone; WeChat time_end is GMT+8")
    raw: str | None = Field(None, description="the notify body as received, kept for audits")


class RefundIn(BaseModel):
    refund_no: str = Field(max_length=32)
    order_no: str = Field(max_length=32)
    amount: int = Field(description="fen")
    source: RefundSource
    status: RefundStatus = RefundStatus.APPLIED
    paid_amount: int | None = Field(None, description="fen; for orders paid on the channel")
    kind: RefundKind | None = None
    reason_code: int | None = None
    reason: str | None = Field(None, max_length=255)
    channel_refund_id: str | None = Field(None, max_length=64)
    legacy_id: int | None = Field(None, ge=1)


class RefundStatusIn(BaseModel):
    to: RefundStatus
    reason: str | None = Field(None, max_length=255)


def _created(created: service.Created, response: Response, key: str, render) -> dict:
    if created.duplicate:
        response.status_code = 200
    return {"duplicate": created.duplicate, key: render(created.entity)}


@router.post("/payments", status_code=201)
def create_payment(body: PaymentIn, uow: Uow, response: Response) -> dict:
    created = service.create_payment(uow, **body.model_dump())
    return _created(created, response, "payment", payment_json)


@router.get("/payments")
def list_payments(order_no: str, uow: Uow) -> dict:
    return {"items": [payment_json(p) for p in service.list_payments(uow, order_no)]}


@router.get("/payments/{out_trade_no}")
def get_payment(out_trade_no: str, uow: Uow, raw: bool = False) -> dict:
    return payment_json(service.get_payment(uow, out_trade_no), raw=raw)


@router.post("/payments/{out_trade_no}/notify")
def apply_notify(out_trade_no: str, body: NotifyIn, uow: Uow) -> dict:
    if body.paid_at is not None and body.paid_at.tzinfo is None:
        raise InvalidInput(
            "paid_at has no time zone",
            code="NAIVE_TIMESTAMP",
            hint="e.g. 2025-06-01T12:30:00+08:00",
        )
    notify = Notify(
        out_trade_no=out_trade_no,
        success=body.success,
        amount=body.amount,
        transaction_id=body.transaction_id,
        paid_at=body.paid_at,
        raw=body.raw,
    )
    result, payment = service.apply_notify(uow, notify)
    return {
        "outcome": str(result.outcome),
        "changed": result.changed,
        "transaction_mismatch": result.transaction_mismatch,
        "payment": payment_json(payment),
    }


@router.post("/payments/{out_trade_no}/close")
def close_payment(out_trade_no: str, uow: Uow) -> dict:
    return payment_json(service.close_payment(uow, out_trade_no))


@router.post("/refunds", status_code=201)
def create_refund(body: RefundIn, uow: Uow, response: Response) -> dict:
    created = service.create_refund(uow, **body.model_dump())
    return _created(created, response, "refund", refund_json)


@router.get("/refunds")
def list_refunds(order_no: str, uow: Uow) -> dict:
    return {"items": [refund_json(r) for r in service.list_refunds(uow, order_no)]}


@router.get("/refunds/{refund_no}")
def get_refund(refund_no: str, uow: Uow) -> dict:
    return refund_json(service.get_refund(uow, refund_no))


@router.post("/refunds/{refund_no}/status")
def change_refund_status(
    refund_no: str, body: RefundStatusIn, uow: Uow, response: Response
) -> dict:
    created = service.change_refund_status(uow, refund_no, body.to, reason=body.reason)
    return _created(created, response, "refund", refund_json)
