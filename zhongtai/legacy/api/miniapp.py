"""小程序服务端: stores, menu, ordering, WeChat Pay notify, order pages, cancel and refund."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from zhongtai.legacy import aftersale
from zhongtai.legacy.api.bodies import PlaceOrder, Reason, RefundAsk
from zhongtai.legacy.catalog import menu
from zhongtai.legacy.context import context, raw_body
from zhongtai.legacy.envelope import LegacyJSON, ok, wechat_reply
from zhongtai.legacy.members import member_orders, require_member
from zhongtai.legacy.orders import order_items, require_order
from zhongtai.legacy.payloads import query_int
from zhongtai.legacy.payment import handle_notify
from zhongtai.legacy.placing import Line, Placement, place_order
from zhongtai.legacy.stores import open_stores, require_store
from zhongtai.legacy.tx import run_tx
from zhongtai.legacy.views import order_detail

router = APIRouter(prefix="/api/mp")


@router.get("/stores")
def stores(request: Request, city: str | None = None) -> LegacyJSON:
    """The open stores, optionally of one city."""
    with context(request).engine.connect() as conn:
        return ok(open_stores(conn, city or None))


@router.get("/stores/{store_id}/menu")
def store_menu(store_id: int, request: Request) -> LegacyJSON:
    """The store's menu with its prices and sold-out flags."""
    with context(request).engine.connect() as conn:
        return ok(menu(conn, require_store(conn, "id", store_id)))


@router.post("/orders")
def place(body: PlaceOrder, request: Request) -> LegacyJSON:
    """Place an order (status 0) and open its WeChat payment."""
    placement = Placement(
        **body.model_dump(exclude={"items"}),
        lines=tuple(Line(item.sku_id, item.quantity) for item in body.items),
    )
    return ok(run_tx(context(request).engine, lambda conn: place_order(conn, placement)))


@router.post("/pay/notify")
def pay_notify(request: Request, body: bytes = Depends(raw_body)) -> Response:
    """WeChat Pay's payment notify; answered in WeChat XML."""
    handle_notify(context(request).engine, body)
    return wechat_reply()


@router.get("/orders/{order_no}")
def detail(order_no: str, request: Request) -> LegacyJSON:
    """One order with its items."""
    with context(request).engine.connect() as conn:
        order = require_order(conn, order_no)
        return ok(order_detail(order, order_items(conn, [order["id"]])[order["id"]]))


@router.get("/members/{member_id}/orders")
def member_order_list(
    member_id: int, request: Request, page: str | None = None, size: str | None = None
) -> LegacyJSON:
    """A member's orders, newest first, one page."""
    page_no = query_int("page", page, default=1, low=1, high=100_000)
    page_size = query_int("size", size, default=20, low=1, high=100)
    with context(request).engine.connect() as conn:
        require_member(conn, member_id)
        total, items = member_orders(conn, member_id, page_no, page_size)
    return ok({"total": total, "page": page_no, "size": page_size, "items": items})


@router.post("/orders/{order_no}/cancel")
def cancel(order_no: str, request: Request, body: Reason | None = None) -> LegacyJSON:
    """Cancel an own-channel order (refunded in full when paid)."""
    reason = body.reason if body else None

    def work(conn):
        order = require_order(conn, order_no, lock=True)
        aftersale.require_own_order(order)
        aftersale.cancel(conn, order, source="MP", refund_source="user", reason=reason)
        return {"order_no": order_no, "status": order["status"]}

    return ok(run_tx(context(request).engine, work))


@router.post("/orders/{order_no}/refund")
def refund(order_no: str, request: Request, body: RefundAsk | None = None) -> LegacyJSON:
    """Refund a paid own-channel order now, whole or partly."""
    amount, reason = (body.amount, body.reason) if body else (None, None)

    def work(conn):
        order = require_order(conn, order_no, lock=True)
        return aftersale.refund(conn, order, amount=amount, reason=reason)

    return ok(run_tx(context(request).engine, work))
