"""Meituan pushes (pure): form fields in snake_case → ``NewOrder`` and status/refund facts.

Top-level money is in yuan, ``poi_receive_detail`` in fen (a real Meituan mix). The package
fee is the sum of ``box_num * box_price`` over the lines; the discount is the sum of the
``extras`` ``reduce_fee``, split into ``poi_charge`` (merchant) and ``mt_charge`` (platform).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhongtai.legacy.clock import SHANGHAI, local_str
from zhongtai.legacy.envelope import bad_request
from zhongtai.legacy.intake import ActivityIn, ItemIn, NewOrder, raw_json
from zhongtai.legacy.money import round_yuan
from zhongtai.legacy.payloads import Fields
from zhongtai.legacy.status import Channel


def _items(fields: Fields) -> tuple[ItemIn, ...]:
    detail = fields.json_list("detail")
    if not detail:
        raise bad_request("Meituan new order: field 'detail' must list at least one dish")
    items = []
    for i, raw in enumerate(detail):
        it = fields.sub(raw, f"Meituan detail[{i}]")
        quantity = it.integer("quantity", required=True, low=1, high=9999)
        price = round_yuan(it.number("price", required=True))
        items.append(
            ItemIn(
                name=it.text("food_name", required=True, max_len=64, clip=True),
                quantity=quantity,
                price=price,
                total=round_yuan(price * quantity),
                channel_food_code=it.text("app_food_code", max_len=40),
                channel_sku_id=it.text("sku_id", max_len=40),
                spec=it.text("spec", max_len=32, clip=True),
                food_property=it.text("food_property", max_len=64, clip=True),
                food_discount=it.number("food_discount", default=1.0),
                box_num=it.integer("box_num", default=0, low=0, high=999),
                box_price=round_yuan(it.number("box_price", default=0.0)),
                cart_id=it.integer("cart_id", default=0, low=0, high=99),
            )
        )
    return tuple(items)


def _activities(fields: Fields) -> tuple[ActivityIn, ...]:
    acts = []
    for i, raw in enumerate(fields.json_list("extras")):
        ex = fields.sub(raw, f"Meituan extras[{i}]")
        acts.append(
            ActivityIn(
                act_type=ex.text("type", max_len=16),
                act_name=ex.text("remark", max_len=64, clip=True),
                amount=round_yuan(ex.number("reduce_fee", default=0.0)),
                merchant_part=round_yuan(ex.number("poi_charge", default=0.0)),
                platform_part=round_yuan(ex.number("mt_charge", default=0.0)),
            )
        )
    return tuple(acts)


def parse_new(data: Mapping[str, Any]) -> NewOrder:
    """A Meituan ``new`` push (form fields, or the same keys as JSON from a pull)."""
    f = Fields(data, "Meituan new order")
    items = _items(f)
    activities = _activities(f)
    poi = Fields(f.json_object("poi_receive_detail"), "Meituan poi_receive_detail")
    ctime = f.integer("ctime", low=0)
    return NewOrder(
        channel=int(Channel.MEITUAN),
        channel_order_id=f.digits("order_id"),
        push_type="new",
        items=items,
        activities=activities,
        total_amount=round_yuan(f.number("total", required=True)),
        original_amount=round_yuan(f.number("original_price")),
        shipping_fee=round_yuan(f.number("shipping_fee", default=0.0)),
        package_fee=round_yuan(sum(i.box_num * i.box_price for i in items)),
        discount_amount=round_yuan(sum(a.amount or 0.0 for a in activities)),
        merchant_subsidy=round_yuan(sum(a.merchant_part or 0.0 for a in activities)),
        platform_subsidy=round_yuan(sum(a.platform_part or 0.0 for a in activities)),
        hongbao=0.0,
        service_fee=poi.integer("foodShareFeeChargeByPoi"),
        income=poi.integer("wmPoiReceiveCent"),
        order_time=local_str(datetime.fromtimestamp(ctime, SHANGHAI)) if ctime else local_str(),
        expect_time=f.integer("delivery_time", default=0, low=0) or 0,
        day_seq=f.integer("day_seq", low=0, high=99_999),
        recipient_name=f.text("recipient_name", max_len=64, clip=True),
        recipient_phone=f.text("recipient_phone", max_len=64, clip=True),
        recipient_address=f.text("recipient_address", clip=True),
        lat=f.number("latitude"),
        lng=f.number("longitude"),
        pay_type=f.integer("pay_type", default=2, low=1, high=2) or 2,
        remark=f.text("caution", clip=True),
        raw=raw_json(dict(data)),
    )


def shop_of(data: Mapping[str, Any]) -> str:
    """The pushing store's ``app_poi_code`` (required on a new order)."""
    code = Fields(data, "Meituan new order").text("app_poi_code", required=True, max_len=32)
    assert code is not None
    return code


@dataclass(frozen=True)
class StatusPush:
    channel_order_id: str
    shop_key: str | None
    remark: str | None = None


def parse_status(push: str, data: Mapping[str, Any]) -> StatusPush:
    """``confirmed`` / ``cancelled`` / ``completed``: the order, its store, a cancel reason."""
    f = Fields(data, f"Meituan {push} push")
    remark = None
    if push == "cancelled":
        code, reason = f.integer("reason_code"), f.text("reason", clip=True)
        remark = " ".join(str(x) for x in (code, reason) if x is not None) or None
    return StatusPush(f.digits("order_id"), f.text("app_poi_code", max_len=32), remark)


@dataclass(frozen=True)
class RefundPush:
    channel_order_id: str
    shop_key: str | None
    notify_type: str
    refund_id: str | None
    amount: float | None
    reason: str | None


def parse_refund(data: Mapping[str, Any], kinds: tuple[str, ...]) -> RefundPush:
    """A ``refund`` push; ``notify_type`` must be one of ``kinds``."""
    f = Fields(data, "Meituan refund push")
    kind = f.text("notify_type", required=True, max_len=16)
    if kind not in kinds:
        raise bad_request(
            f"Meituan refund push: notify_type {kind!r} is not one of {', '.join(kinds)}"
        )
    return RefundPush(
        channel_order_id=f.digits("order_id"),
        shop_key=f.text("app_poi_code", max_len=32),
        notify_type=kind,
        refund_id=f.text("refund_id", max_len=40),
        amount=round_yuan(f.number("money")),
        reason=f.text("reason", clip=True),
    )
