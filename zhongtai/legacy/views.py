"""How orders are shown to each client (pure): mini-program detail and lists, admin rows,
POS orders with money in integer fen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zhongtai.legacy.clock import parse_local
from zhongtai.legacy.money import as_float, yuan_to_fen
from zhongtai.legacy.status import LABELS, Channel, OrderStatus, OrderType

UNKNOWN_STATUS = "未知"
PLATFORM_CHANNELS = (Channel.MEITUAN, Channel.ELEME)


def status_text(status: int) -> str:
    """The Chinese label of a status int; dead codes (99 …) read 未知."""
    try:
        return LABELS[OrderStatus(status)]
    except ValueError:
        return UNKNOWN_STATUS


def order_summary(order: Mapping[str, Any]) -> dict[str, Any]:
    """One line of a member's order list."""
    return {
        "order_no": order["order_no"],
        "store_id": order["store_id"],
        "store_name": order["store_name"],
        "order_type": order["order_type"],
        "status": order["status"],
        "status_text": status_text(order["status"]),
        "total_amount": as_float(order["total_amount"]),
        "pickup_code": order["pickup_code"],
        "order_time": order["order_time"],
    }


def admin_row(order: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the admin order search."""
    return {
        "order_no": order["order_no"],
        "channel": order["channel"],
        "channel_order_id": order["channel_order_id"],
        "store_code": order["store_code"],
        "store_name": order["store_name"],
        "status": order["status"],
        "status_text": status_text(order["status"]),
        "pay_status": order["pay_status"],
        "refund_status": order["refund_status"],
        "total_amount": as_float(order["total_amount"]),
        "recipient_name": order["recipient_name"],
        "recipient_phone": order["recipient_phone"],
        "order_time": order["order_time"],
        "pos_ticket_no": order["pos_ticket_no"],
    }


def order_detail(order: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The mini-program's order page: header, money in yuan, items, fulfilment codes."""
    money = (
        "original_amount",
        "total_amount",
        "shipping_fee",
        "package_fee",
        "discount_amount",
    )
    return {
        "order_no": order["order_no"],
        "channel": order["channel"],
        "store_id": order["store_id"],
        "store_code": order["store_code"],
        "store_name": order["store_name"],
        "member_id": order["member_id"],
        "order_type": order["order_type"],
        "status": order["status"],
        "status_text": status_text(order["status"]),
        "pay_status": order["pay_status"],
        "refund_status": order["refund_status"],
        **{name: as_float(order[name]) for name in money},
        "remark": order["remark"],
        "table_no": order["table_no"],
        "dine_people": order["dine_people"],
        "recipient_name": order["recipient_name"],
        "recipient_phone": order["recipient_phone"],
        "recipient_address": order["recipient_address"],
        "pickup_code": order["pickup_code"],
        "pos_ticket_no": order["pos_ticket_no"],
        "order_time": order["order_time"],
        "items": [
            {
                "sku_id": item["sku_id"],
                "name": item["name"],
                "spec": item["spec"],
                "quantity": item["quantity"],
                "price": as_float(item["price"]),
                "total": as_float(_line_total(item)),
            }
            for item in items
        ],
    }


def _line_total(item: Mapping[str, Any]) -> float:
    if item["total"] is not None:
        return item["total"]
    return round(float(item["price"] or 0) * item["quantity"], 2)


def unix_seconds(local: str | None) -> int:
    """A legacy local time as unix seconds; missing or zero dates are 0."""
    try:
        moment = parse_local(local or "")
    except ValueError:
        return 0
    return int(moment.timestamp()) if moment else 0


def pos_order(
    order: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    sku_codes: Mapping[int, str],
) -> dict[str, Any]:
    """An order as the POS pulls it (``fm_cmd`` 1 = 入单), money in fen.

    ``products_fee`` is the sum of the lines' fen, each line rounded on its own.
    """
    products = []
    for item in items:
        code = sku_codes.get(item["sku_id"]) if item["sku_id"] is not None else None
        products.append(
            {
                "sku_code": code or item["channel_food_code"] or item["channel_item_id"] or "",
                "name": item["name"],
                "spec": item["spec"],
                "qty": item["quantity"],
                "price": yuan_to_fen(item["price"]),
                "total": yuan_to_fen(_line_total(item)),
            }
        )
    platform = order["channel"] in PLATFORM_CHANNELS and order["order_type"] == OrderType.DELIVERY
    return {
        "order_no": order["order_no"],
        "fm_cmd": 1,
        "channel": order["channel"],
        "order_index": order["day_seq"],
        "delivery_type": 1 if platform else 0,
        "order_type": order["order_type"],
        "status": order["status"],
        "create_time": unix_seconds(order["order_time"]),
        "recipient_name": order["recipient_name"],
        "recipient_phone": order["recipient_phone"],
        "recipient_address": order["recipient_address"],
        "remark": order["remark"],
        "table_no": order["table_no"],
        "products_fee": sum(p["total"] for p in products),
        "shop_fee": yuan_to_fen(order["package_fee"]),
        "service_fee": int(order["service_fee"] or 0),
        "discount_fee": yuan_to_fen(order["discount_amount"]),
        "dis_shop_fee": yuan_to_fen(order["merchant_subsidy"]),
        "dis_platform_fee": yuan_to_fen(order["platform_subsidy"]),
        "total_fee": yuan_to_fen(order["total_amount"]),
        "products": products,
    }
