"""A platform order, read from a Meituan or Eleme payload into one channel-neutral shape
(pure), and the ``t_order`` / ``t_order_item`` values the legacy stores for it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zhongtai.legacy.status import OrderStatus, OrderType, PayStatus, PosSyncStatus

# Raw payloads go to ext_json (TEXT, 64 KiB on MariaDB); bigger ones are not kept.
MAX_RAW = 60_000
ONLINE = 2  # pay_type: 1 cash on delivery, 2 paid online


@dataclass(frozen=True)
class ItemIn:
    name: str
    quantity: int
    price: float  # yuan per unit, as the channel reports it
    total: float  # yuan for the line
    channel_food_code: str | None = None
    channel_sku_id: str | None = None
    channel_item_id: str | None = None
    spec: str | None = None
    food_property: str | None = None  # t_order_item.property ("热,特辣")
    food_discount: float = 1.0
    box_num: int = 0
    box_price: float = 0.0
    cart_id: int = 0

    @property
    def code(self) -> str | None:
        """The channel's code for the dish, which maps it to our SKU."""
        return self.channel_food_code or self.channel_item_id


@dataclass(frozen=True)
class ActivityIn:
    act_type: str | None
    act_name: str | None
    amount: float | None
    merchant_part: float | None
    platform_part: float | None


@dataclass(frozen=True)
class NewOrder:
    channel: int
    channel_order_id: str
    push_type: str  # the push that creates it: Meituan "new", Eleme "10"
    items: tuple[ItemIn, ...]
    total_amount: float
    order_time: str
    day_seq: int | None = None
    platform_user_id: str | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    recipient_address: str | None = None
    lng: float | None = None
    lat: float | None = None
    original_amount: float | None = None
    shipping_fee: float | None = None
    package_fee: float | None = None
    discount_amount: float | None = None
    merchant_subsidy: float | None = None
    platform_subsidy: float | None = None
    hongbao: float | None = None
    service_fee: int | None = None  # fen
    income: int | None = None  # fen
    pay_type: int = ONLINE
    remark: str | None = None
    is_book: int = 0
    expect_time: int = 0
    activities: tuple[ActivityIn, ...] = field(default_factory=tuple)
    raw: str | None = None


def raw_json(payload: Any) -> str | None:
    """The payload as compact JSON for ``ext_json``, or None when too big."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_RAW else None


def order_values(order: NewOrder) -> dict[str, Any]:
    """``t_order`` columns of a new platform order (status 1, waiting for the POS)."""
    return {
        "channel_order_id": order.channel_order_id,
        "day_seq": order.day_seq,
        "platform_user_id": order.platform_user_id,
        "recipient_name": order.recipient_name,
        "recipient_phone": order.recipient_phone,
        "recipient_address": order.recipient_address,
        "lng": order.lng,
        "lat": order.lat,
        "order_type": int(OrderType.DELIVERY),
        "status": int(OrderStatus.NEW),
        "channel_status": order.push_type,
        "pay_status": int(PayStatus.PAID if order.pay_type == ONLINE else PayStatus.UNPAID),
        "refund_status": 0,
        "original_amount": order.original_amount,
        "total_amount": order.total_amount,
        "shipping_fee": order.shipping_fee,
        "package_fee": order.package_fee,
        "discount_amount": order.discount_amount,
        "merchant_subsidy": order.merchant_subsidy,
        "platform_subsidy": order.platform_subsidy,
        "hongbao": order.hongbao,
        "service_fee": order.service_fee,
        "income": order.income,
        "pay_type": order.pay_type,
        "remark": order.remark,
        "is_book": order.is_book,
        "expect_time": order.expect_time,
        "order_time": order.order_time,
        "pos_sync_status": int(PosSyncStatus.TO_PULL),
        "ext_json": order.raw,
    }


def item_rows(order: NewOrder, skus: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``t_order_item`` rows; ``skus`` maps channel codes to our SKU (unmapped → NULL sku_id)."""
    rows = []
    for item in order.items:
        sku = skus.get(item.code or "")
        rows.append(
            {
                "sku_id": sku["sku_id"] if sku else None,
                "erp_code": sku["erp_code"] if sku else None,
                "channel_food_code": item.channel_food_code,
                "channel_sku_id": item.channel_sku_id,
                "channel_item_id": item.channel_item_id,
                "name": item.name,
                "spec": item.spec,
                "property": item.food_property,
                "quantity": item.quantity,
                "price": item.price,
                "food_discount": item.food_discount,
                "box_num": item.box_num,
                "box_price": item.box_price,
                "total": item.total,
                "cart_id": item.cart_id,
                "is_gift": 1 if item.price <= 0 else 0,
            }
        )
    return rows


def activity_rows(order: NewOrder) -> list[dict[str, Any]]:
    """``t_order_activity`` rows of the order's discounts."""
    return [
        {
            "act_type": a.act_type,
            "act_name": a.act_name,
            "amount": a.amount,
            "merchant_part": a.merchant_part,
            "platform_part": a.platform_part,
        }
        for a in order.activities
    ]
