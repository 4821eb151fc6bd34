"""Placing a mini-program/App order (下单) over the centers: store, member, product, order,
payment — the BFF assembling what one legacy transaction did.

The checks run in the legacy's order with its words: live store (40401), open store (40001),
live member (40404), a delivery's phone and address (40001), then each line: known SKU of the
store (40402), not sold out and on sale there (40902). Reads go out together; then the order
center records the order, numbering it from the store's day sequence in its own transaction,
and the payment center opens the WeChat payment ``P{order_no}`` for the total in fen.

Prices: each line is the store's price × quantity; delivery orders add Σ box price × boxes ×
quantity as the package fee; the total is their sum (all exact in fen).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from zhongtai.legacy.api.bodies import PlaceOrder
from zhongtai.legacy.clock import now_local
from zhongtai.legacy.envelope import (
    SOLD_OUT,
    UNKNOWN_MEMBER,
    UNKNOWN_SKU,
    LegacyError,
    bad_request,
)
from zhongtai.legacy.status import OrderType
from zhongtai.migrate.transforms import CHANNEL_NAMES, store_status_to_legacy
from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.gateway import intake
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.catalog import priced_skus
from zhongtai.platform.gateway.context import Gateway
from zhongtai.platform.gateway.legacy_format import utc_iso, yuan
from zhongtai.platform.gateway.orders import refused
from zhongtai.platform.gateway.stores import unknown_store

PAY_CHANNEL = "WX_JSAPI"
ORDER_TYPES = {1: "DELIVERY", 2: "PICKUP", 3: "DINE_IN"}


def out_trade_no(order_no: str) -> str:
    return "P" + order_no


async def require_member(gw: Gateway, calls: CenterCalls, member_id: int) -> int:
    """The member's id on the platform, or the legacy's 40404 (cached a few seconds).

    A legacy member the migration merged into another (one person, several legacy rows) is
    live for the legacy: it answers as the member it was merged into, whose orders are its."""
    known = gw.members.get(member_id)
    if known:
        return known
    try:
        await calls.get("member", f"/members/{member_id}")
        effective = member_id
    except CenterCallError as exc:
        merged_into = exc.details.get("merged_into") if exc.code == "MEMBER_MERGED" else None
        if not merged_into:
            if exc.status in (400, 404):
                raise LegacyError(
                    UNKNOWN_MEMBER, f"unknown member {member_id!r}; register the user first"
                ) from None
            raise
        effective = int(merged_into)
    return gw.members.put(member_id, effective)


def _lines(body: PlaceOrder, store: dict[str, Any], skus: dict[int, dict]) -> list[dict]:
    lines = []
    for line_no, line in enumerate(body.items, start=1):
        sku = skus.get(line.sku_id)
        if sku is None:
            raise LegacyError(
                UNKNOWN_SKU, f"unknown SKU {line.sku_id} for store {store['id']}; reload the menu"
            )
        if sku["sold_out"] or not sku["on_sale"]:
            why = "is sold out (沽清)" if sku["sold_out"] else "is not on sale (下架)"
            raise LegacyError(
                SOLD_OUT,
                f"SKU {line.sku_id} ({sku['name']}) {why} in store {store['id']}; remove it",
            )
        lines.append(
            {
                "line_no": line_no,
                "name": sku["name"],
                "qty": line.quantity,
                "unit_price": sku["price"],
                "line_total": sku["price"] * line.quantity,
                "sku_id": sku["sku_id"],
                "sku_code": sku["sku_code"],
                "spec": sku["spec"],
                "properties": {"erp_code": sku["erp_code"]},
                "box_qty": sku["box_qty"],
                "box_price": sku["box_price"],
            }
        )
    return lines


def order_body(
    body: PlaceOrder, store: dict[str, Any], lines: list[dict], now: datetime, member_id: int
) -> dict[str, Any]:
    """The ``POST /orders`` body of a mini-program/App order (status PENDING_PAYMENT)."""
    package = 0
    if body.order_type == OrderType.DELIVERY:
        package = sum(li["box_qty"] * li["box_price"] * li["qty"] for li in lines)
    return {
        "numbering": intake.numbering(body.source, store, now),
        "store_id": store["id"],
        "channel": CHANNEL_NAMES[body.source],
        "order_type": ORDER_TYPES[body.order_type],
        "status": "PENDING_PAYMENT",
        "items": lines,
        "package_fee": package,
        "tenant_id": store.get("tenant_id") or 1,
        "member_id": member_id,
        "customer": intake.customer(
            body.recipient_name,
            body.recipient_phone,
            body.recipient_address,
            member_account=body.member_id,
        ),
        "store_snapshot": {"store_code": store["store_code"], "store_name": store["name"]},
        "channel_ext": {
            "channel_status": None,
            "pay_type": 2,
            "is_book": 0,
            "invoice_title": None,
            "table_no": body.table_no,
            "dine_people": body.dine_people,
            "hongbao": None,
            "raw": None,
        },
        "remark": body.remark,
        "placed_at": utc_iso(now.replace(microsecond=0)),
        "source": "MP",
        "handoffs": intake.QUEUED_FOR,
    }


async def place_order(gw: Gateway, calls: CenterCalls, body: PlaceOrder) -> dict[str, Any]:
    """Create the order and its pending payment; returns the legacy response data."""
    store, member, skus = await asyncio.gather(
        gw.stores.find(calls, "id", body.store_id),
        _member_check(gw, calls, body.member_id),
        priced_skus(calls, body.store_id, [line.sku_id for line in body.items]),
    )
    if store is None:
        raise unknown_store("id", body.store_id)
    if store["status"] != "OPEN":
        raise bad_request(
            f"store {body.store_id} is not open (status {store_status_to_legacy(store['status'])})"
            "; choose an open store"
        )
    if isinstance(member, LegacyError):
        raise member
    if body.order_type == OrderType.DELIVERY and not (
        body.recipient_phone and body.recipient_address
    ):
        raise bad_request("a delivery order (order_type 1) needs recipient_phone and address")
    lines = _lines(body, store, skus)
    order_json = order_body(body, store, lines, now_local(), member)
    try:
        created = await calls.post("order", "/orders", order_json, view="coarse")
    except CenterCallError as exc:
        raise refused("(new)", exc) from None
    order = created["order"]
    order_no, total = order["order_no"], order["paid_amount"]
    payment = {
        "out_trade_no": out_trade_no(order_no),
        "order_no": order_no,
        "channel": PAY_CHANNEL,
        "amount": total,
    }
    try:
        await calls.post("payment", "/payments", payment)
    except CenterCallError as exc:
        raise refused(order_no, exc) from None
    return {
        "order_no": order_no,
        "status": 0,
        "total_amount": yuan(total),
        "out_trade_no": payment["out_trade_no"],
        "total_fee": total,
    }


async def _member_check(gw: Gateway, calls: CenterCalls, member_id: int) -> int | LegacyError:
    # Returned, not raised: the store's verdict comes first, as in the legacy.
    try:
        return await require_member(gw, calls, member_id)
    except LegacyError as exc:
        return exc
