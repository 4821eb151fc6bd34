"""订单管理后台 over the centers: the order search and the ERP product import.

The search takes the legacy's query parameters (checked by the legacy's own parsers, so a bad
one gets the same 40001) and turns them into an order-center query: a legacy status becomes
main and refund statuses (:data:`STATUS_FILTERS`), dates become a UTC range, the phone its
digits. A legacy status or channel code the platform has no orders for answers an empty page.
The product import becomes one ERP batch of the product center (its own idempotency key per
call, so a repeated import updates, as the legacy's did).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from zhongtai.legacy.api.bodies import ProductUpsert
from zhongtai.legacy.clock import SHANGHAI, now_local
from zhongtai.legacy.envelope import LegacyJSON, bad_request, ok
from zhongtai.legacy.money import yuan_to_fen
from zhongtai.legacy.payloads import query_date, query_int
from zhongtai.legacy.phones import query_digits
from zhongtai.migrate.transforms import CHANNEL_NAMES
from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.context import Gateway, center_calls, gateway
from zhongtai.platform.gateway.legacy_format import REFUND_SET_ASIDE, admin_json, utc_iso
from zhongtai.platform.gateway.orders import search

router = APIRouter(prefix="/api/admin")
Gw = Annotated[Gateway, Depends(gateway)]
Calls = Annotated[CenterCalls, Depends(center_calls)]
SETTLED = ("NONE", "REJECTED", "FAILED")
_UNPAID = ("CREATED", "PENDING_PAYMENT")
_LIVE = ("PAID", "ACCEPTED", "PREPARING", "READY", "DELIVERING", "COMPLETED")
# Legacy status → the order-center filters of the orders that show it (the inverse of
# legacy_order_status: an open refund is 7, a settled one 8 unless cancelled, PAID with the
# EXCEPTION sub-status -1; an open refund set aside shows the main status, see legacy_format).
_ASIDE = ("open_refund_sub_status", REFUND_SET_ASIDE)
STATUS_FILTERS: dict[int, list[tuple[str, Any]]] = {
    -1: [("main_status", "PAID"), *(("refund_status", r) for r in SETTLED)]
    + [("sub_status", "EXCEPTION")],
    0: [("main_status", s) for s in _UNPAID] + [("refund_status", r) for r in SETTLED],
    1: [("main_status", "PAID"), *(("refund_status", r) for r in SETTLED)]
    + [("no_sub_status", "true")],
    2: [("main_status", "ACCEPTED"), *(("refund_status", r) for r in SETTLED), _ASIDE],
    3: [("main_status", "PREPARING"), *(("refund_status", r) for r in SETTLED), _ASIDE],
    4: [("main_status", "READY"), ("main_status", "DELIVERING")]
    + [*(("refund_status", r) for r in SETTLED), _ASIDE],
    5: [("main_status", "COMPLETED"), *(("refund_status", r) for r in SETTLED), _ASIDE],
    6: [("main_status", "CANCELLED"), *(("refund_status", r) for r in (*SETTLED, "SUCCEEDED"))]
    + [_ASIDE],
    7: [("refund_status", "APPLIED"), ("refund_status", "ARBITRATING")]
    + [("not_sub_status", REFUND_SET_ASIDE)],
    8: [("main_status", s) for s in (*_UNPAID, *_LIVE)] + [("refund_status", "SUCCEEDED")],
}


def _local_midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(), SHANGHAI)


@router.get("/orders")
async def orders(
    gw: Gw,
    calls: Calls,
    store_code: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    phone: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    page: str | None = None,
    size: str | None = None,
) -> LegacyJSON:
    """Search orders; empty parameters (``?status=``) are ignored."""
    try:
        digits = query_digits(phone) if phone else None
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    status_no = query_int("status", status, default=None, low=-1, high=99)
    channel_no = query_int("channel", channel, default=None, low=0, high=9)
    day_from, day_to = query_date("date_from", date_from), query_date("date_to", date_to)
    page_no = query_int("page", page, default=1, low=1, high=100_000) or 1
    page_size = query_int("size", size, default=20, low=1, high=100) or 20
    empty = ok({"total": 0, "page": page_no, "size": page_size, "items": []})
    params: list[tuple[str, Any]] = [
        ("page", page_no),
        ("size", page_size),
        ("sort", "-id"),
        ("view", "fine"),
    ]
    if store_code:
        store = await gw.stores.require(calls, "code", store_code)
        params.append(("store_id", store["id"]))
    if status_no is not None:
        if status_no not in STATUS_FILTERS:
            return empty  # dead codes (99 …): no platform order shows them
        params += STATUS_FILTERS[status_no]
    if channel_no is not None:
        if channel_no not in CHANNEL_NAMES:
            return empty
        params.append(("channel", CHANNEL_NAMES[channel_no]))
    if digits:
        params.append(("phone", digits))
    start = _local_midnight(day_from) if day_from else None
    end = _local_midnight(day_to) + timedelta(days=1) if day_to else None
    if start and end and start >= end:
        return empty
    if start:
        params.append(("placed_from", utc_iso(start)))
    if end:
        params.append(("placed_to", utc_iso(end)))
    found = await search(calls, params)
    items = [admin_json(view) for view in found["items"]]
    return ok({"total": found["total"], "page": page_no, "size": page_size, "items": items})


def erp_item(body: ProductUpsert) -> dict[str, Any]:
    """The legacy upsert body as one item of a product-center ERP batch (fen, enums)."""
    skus = []
    for sku in body.skus:
        codes = [
            {"channel": channel, "food_code": code}
            for channel, code in (("MEITUAN", sku.mt_app_food_code), ("ELEME", sku.ele_item_id))
            if code
        ]
        skus.append(
            {
                "sku_code": sku.sku_code,
                "spec": sku.spec_name,
                "list_price": yuan_to_fen(sku.price),
                "box_qty": sku.box_num,
                "box_price": yuan_to_fen(sku.box_price),
                "channel_codes": codes,
            }
        )
    return {
        "erp_code": body.erp_code,
        "name": body.name,
        "category_id": body.category_id,
        "category_name": body.category_name,
        "status": "ON_SHELF" if body.status == 1 else "OFF_SHELF",
        "skus": skus,
    }


@router.post("/products/upsert")
async def products_upsert(body: ProductUpsert, gw: Gw, calls: Calls) -> LegacyJSON:
    """Insert or update a product and its SKUs from the ERP."""
    batch_no = body.batch_no or f"B{now_local():%Y%m%d%H%M%S}"
    batch = {"batch_id": f"{batch_no}-{uuid.uuid4().hex[:16]}", "items": [erp_item(body)]}
    try:
        answer = await calls.post("product", "/erp/upsert", batch)
    except CenterCallError as exc:
        if exc.status in (400, 409):
            raise bad_request(f"product {body.erp_code}: {exc.message}") from None
        raise
    if not calls.dry_run:
        gw.skus.clear()  # channel codes may have moved: forget the cached mappings
    (result,) = answer["items"]
    return ok({"product_id": result["spu_id"], "action": result["action"], "skus": result["skus"]})
