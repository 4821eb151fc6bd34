"""小程序服务端 (BFF): stores, menu, ordering, WeChat Pay notify, order pages, cancel, refund —
the legacy's routes and signatures, assembled from the store, product, member, order and
payment centers (centers do not call each other; this layer does the composing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from zhongtai.legacy.api.bodies import PlaceOrder, Reason, RefundAsk
from zhongtai.legacy.context import raw_body
from zhongtai.legacy.envelope import LegacyJSON, ok, wechat_reply
from zhongtai.legacy.payloads import query_int
from zhongtai.platform.gateway import aftersale
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.catalog import menu_json
from zhongtai.platform.gateway.context import Gateway, center_calls, gateway
from zhongtai.platform.gateway.legacy_format import detail_json, store_json, summary_json
from zhongtai.platform.gateway.orders import get_order, search
from zhongtai.platform.gateway.payment import handle_notify
from zhongtai.platform.gateway.placing import place_order, require_member

router = APIRouter(prefix="/api/mp")
Gw = Annotated[Gateway, Depends(gateway)]
Calls = Annotated[CenterCalls, Depends(center_calls)]


@router.get("/stores")
async def stores(gw: Gw, calls: Calls, city: str | None = None) -> LegacyJSON:
    """The open stores, optionally of one city, by id."""
    return ok([store_json(s) for s in await gw.stores.open_stores(calls, city)])


@router.get("/stores/{store_id}/menu")
async def store_menu(store_id: int, gw: Gw, calls: Calls) -> LegacyJSON:
    """The store's menu with its prices and sold-out flags."""
    store = await gw.stores.require(calls, "id", store_id)
    menu = await calls.get("product", f"/stores/{store_id}/menu")
    return ok(menu_json(store, menu))


@router.post("/orders")
async def place(body: PlaceOrder, gw: Gw, calls: Calls) -> LegacyJSON:
    """Place an order (status 0) and open its WeChat payment."""
    return ok(await place_order(gw, calls, body))


@router.post("/pay/notify")
async def pay_notify(calls: Calls, body: bytes = Depends(raw_body)) -> Response:
    """WeChat Pay's payment notify; answered in WeChat XML."""
    await handle_notify(calls, body)
    return wechat_reply()


@router.get("/orders/{order_no}")
async def detail(order_no: str, calls: Calls) -> LegacyJSON:
    """One order with its items."""
    return ok(detail_json(await get_order(calls, order_no)))


@router.get("/members/{member_id}/orders")
async def member_order_list(
    member_id: int, gw: Gw, calls: Calls, page: str | None = None, size: str | None = None
) -> LegacyJSON:
    """A member's orders, newest first, one page."""
    page_no = query_int("page", page, default=1, low=1, high=100_000)
    page_size = query_int("size", size, default=20, low=1, high=100)
    # A member the migration merged into another answers as the survivor, but its list holds
    # only the orders placed as this member id, as legacy's does.
    member = await require_member(gw, calls, member_id)
    params = [
        ("member_id", member),
        ("member_account", member_id),
        ("page", page_no),
        ("size", page_size),
        ("sort", "-placed_at"),
        ("view", "fine"),
    ]
    found = await search(calls, params)
    items = [summary_json(view) for view in found["items"]]
    return ok({"total": found["total"], "page": page_no, "size": page_size, "items": items})


@router.post("/orders/{order_no}/cancel")
async def cancel(order_no: str, calls: Calls, body: Reason | None = None) -> LegacyJSON:
    """Cancel an own-channel order (refunded in full when paid)."""
    reason = body.reason if body else None
    order, refunds = await aftersale.own_order_and_refunds(calls, order_no)
    aftersale.require_own_order(order)
    status = await aftersale.cancel(
        calls, order, refunds, source="MP", refund_source="USER", reason=reason
    )
    return ok({"order_no": order_no, "status": status})


@router.post("/orders/{order_no}/refund")
async def refund(order_no: str, calls: Calls, body: RefundAsk | None = None) -> LegacyJSON:
    """Refund a paid own-channel order now, whole or partly."""
    amount, reason = (body.amount, body.reason) if body else (None, None)
    order, refunds = await aftersale.own_order_and_refunds(calls, order_no)
    return ok(await aftersale.refund(calls, order, refunds, amount=amount, reason=reason))
