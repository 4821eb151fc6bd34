"""订单管理后台: order search and the ERP product import."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request

from zhongtai.legacy.api.bodies import ProductUpsert
from zhongtai.legacy.context import context
from zhongtai.legacy.envelope import LegacyJSON, bad_request, ok
from zhongtai.legacy.erp_sync import ProductIn, SkuIn, upsert_product
from zhongtai.legacy.order_search import OrderQuery, search_orders
from zhongtai.legacy.payloads import query_date, query_int
from zhongtai.legacy.phones import query_digits
from zhongtai.legacy.stores import require_store
from zhongtai.legacy.tx import run_tx

router = APIRouter(prefix="/api/admin")


@router.get("/orders")
def orders(
    request: Request,
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
    query = OrderQuery(
        status=query_int("status", status, default=None, low=-1, high=99),
        channel=query_int("channel", channel, default=None, low=0, high=9),
        phone_digits=digits,
        date_from=query_date("date_from", date_from),
        date_to=query_date("date_to", date_to),
        page=query_int("page", page, default=1, low=1, high=100_000) or 1,
        size=query_int("size", size, default=20, low=1, high=100) or 20,
    )
    with context(request).engine.connect() as conn:
        if store_code:
            store_id = require_store(conn, "code", store_code)["id"]
            query = replace(query, store_id=store_id)
        total, items = search_orders(conn, query)
    return ok({"total": total, "page": query.page, "size": query.size, "items": items})


@router.post("/products/upsert")
def products_upsert(body: ProductUpsert, request: Request) -> LegacyJSON:
    """Insert or update a product and its SKUs from the ERP."""
    product = ProductIn(
        **body.model_dump(exclude={"skus"}),
        skus=tuple(SkuIn(**sku.model_dump()) for sku in body.skus),
    )
    return ok(run_tx(context(request).engine, lambda conn: upsert_product(conn, product)))
