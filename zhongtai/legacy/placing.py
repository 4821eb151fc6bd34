"""Placing a mini-program/App order (下单): price it for the store, number it, and open its
WeChat payment. The order waits in status 0 (待支付) until the payment notify arrives.

Prices: each line is ``round(unit price × quantity, 2)`` with the store's override applied;
delivery orders add ``round(Σ box_num × box_price × quantity, 2)`` as the package fee; the
total is ``round(lines + package fee, 2)`` yuan and the payment is that total in fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from zhongtai.legacy.catalog import priced_skus
from zhongtai.legacy.clock import local_str
from zhongtai.legacy.envelope import SOLD_OUT, UNKNOWN_SKU, LegacyError, bad_request
from zhongtai.legacy.members import require_member
from zhongtai.legacy.money import round_yuan, yuan_to_fen
from zhongtai.legacy.orders import create_order
from zhongtai.legacy.schema import t_payment
from zhongtai.legacy.status import OrderStatus, OrderType, PaymentStatus, PosSyncStatus
from zhongtai.legacy.stores import OPEN, require_store

PAY_CHANNEL = "WX_JSAPI"


@dataclass(frozen=True)
class Line:
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class Placement:
    store_id: int
    member_id: int
    source: int  # 3 mini-program, 4 App: also the order number's channel digit
    order_type: int
    lines: tuple[Line, ...]
    remark: str | None = None
    table_no: str | None = None
    dine_people: int | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    recipient_address: str | None = None


def out_trade_no(order_no: str) -> str:
    """The WeChat ``out_trade_no`` of an order: ``P`` + the order number."""
    return "P" + order_no


def _priced_lines(conn: Connection, store: dict[str, Any], p: Placement) -> list[dict[str, Any]]:
    skus = priced_skus(conn, store, [line.sku_id for line in p.lines])
    items = []
    for line in p.lines:
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
        items.append(
            {
                "sku_id": sku["sku_id"],
                "erp_code": sku["erp_code"],
                "name": sku["name"],
                "spec": sku["spec_name"],
                "quantity": line.quantity,
                "price": sku["price"],
                "box_num": sku["box_num"],
                "box_price": sku["box_price"],
                "total": round_yuan(sku["price"] * line.quantity),
            }
        )
    return items


def place_order(conn: Connection, p: Placement) -> dict[str, Any]:
    """Create the order (status 0) and its pending ``t_payment``; returns the response data."""
    store = require_store(conn, "id", p.store_id)
    if store["status"] != OPEN:
        raise bad_request(
            f"store {p.store_id} is not open (status {store['status']}); choose an open store"
        )
    require_member(conn, p.member_id)
    if p.order_type == OrderType.DELIVERY and not (p.recipient_phone and p.recipient_address):
        raise bad_request("a delivery order (order_type 1) needs recipient_phone and address")
    items = _priced_lines(conn, store, p)
    goods = round_yuan(sum(item["total"] for item in items))
    package = 0.0
    if p.order_type == OrderType.DELIVERY:
        package = round_yuan(sum(i["box_num"] * i["box_price"] * i["quantity"] for i in items))
    total = round_yuan(goods + package)
    values = {
        "member_id": p.member_id,
        "order_type": p.order_type,
        "status": int(OrderStatus.PENDING_PAYMENT),
        "channel_status": None,
        "pay_status": 0,
        "refund_status": 0,
        "original_amount": total,
        "total_amount": total,
        "shipping_fee": 0.0,
        "package_fee": package,
        "discount_amount": 0.0,
        "pay_type": 2,
        "remark": p.remark,
        "table_no": p.table_no,
        "dine_people": p.dine_people,
        "recipient_name": p.recipient_name,
        "recipient_phone": p.recipient_phone,
        "recipient_address": p.recipient_address,
        "expect_time": 0,
        "order_time": local_str(),
        "pos_sync_status": int(PosSyncStatus.TO_PULL),
    }
    order = create_order(conn, store, p.source, values, items, source="MP")
    trade_no, fee = out_trade_no(order["order_no"]), yuan_to_fen(total)
    conn.execute(
        t_payment.insert().values(
            order_id=order["id"],
            order_no=order["order_no"],
            pay_channel=PAY_CHANNEL,
            out_trade_no=trade_no,
            total_fee=fee,
            status=int(PaymentStatus.PENDING),
            create_time=order["create_time"],
        )
    )
    return {
        "order_no": order["order_no"],
        "status": int(OrderStatus.PENDING_PAYMENT),
        "total_amount": total,
        "out_trade_no": trade_no,
        "total_fee": fee,
    }
