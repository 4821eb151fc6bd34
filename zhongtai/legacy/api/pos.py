"""POS接口 (frozen): pull new orders, ack with a ticket number, report progress, cancel.
Money in the answers is integer fen."""

from __future__ import annotations

from fastapi import APIRouter, Request

from zhongtai.legacy import aftersale, pos_sync
from zhongtai.legacy.api.bodies import PosAck, PosCancel, PosProgress, PosPull
from zhongtai.legacy.context import context
from zhongtai.legacy.envelope import LegacyJSON, ok
from zhongtai.legacy.tx import run_tx

router = APIRouter(prefix="/api/pos/orders")


@router.post("/pull")
def pull(body: PosPull, request: Request) -> LegacyJSON:
    """One page of the store's new orders, marked pulled."""
    return ok(
        run_tx(context(request).engine, lambda c: pos_sync.pull(c, body.store_code, body.page_size))
    )


@router.post("/ack")
def ack(body: PosAck, request: Request) -> LegacyJSON:
    """The POS accepted the order with its ticket number."""

    def work(conn):
        order = pos_sync.store_order(conn, body.store_code, body.order_no)
        pos_sync.ack(conn, order, body.ticket_no, body.pos_id)
        return {"order_no": body.order_no, "status": order["status"]}

    return ok(run_tx(context(request).engine, work))


@router.post("/progress")
def progress(body: PosProgress, request: Request) -> LegacyJSON:
    """Making, ready (with a pickup code) or completed."""

    def work(conn):
        order = pos_sync.store_order(conn, body.store_code, body.order_no)
        pos_sync.progress(conn, order, body.progress, body.pickup_code)
        return {"order_no": body.order_no, "status": order["status"]}

    return ok(run_tx(context(request).engine, work))


@router.post("/cancel")
def cancel(body: PosCancel, request: Request) -> LegacyJSON:
    """The store cancels the order."""

    def work(conn):
        order = pos_sync.store_order(conn, body.store_code, body.order_no)
        aftersale.cancel(
            conn,
            order,
            source="POS",
            refund_source="merchant",
            reason=body.reason,
            operator=body.pos_id,
        )
        return {"order_no": body.order_no, "status": order["status"]}

    return ok(run_tx(context(request).engine, work))
