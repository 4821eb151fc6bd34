"""Eleme pushes (pure): the JSON envelope ``{type, message: "<JSON>", shopId, …}`` and its
messages → ``NewOrder`` and status/refund facts.

Eleme reports activity parts, the service fee and the red packet as negative yuan; the legacy
stores their absolute values, and ``income`` / ``serviceFee`` in fen like Meituan's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zhongtai.legacy.clock import local_str, parse_local
from zhongtai.legacy.envelope import bad_request
from zhongtai.legacy.intake import ActivityIn, ItemIn, NewOrder, raw_json
from zhongtai.legacy.money import round_yuan, yuan_to_fen
from zhongtai.legacy.payloads import Fields, parse_json_object
from zhongtai.legacy.status import Channel


@dataclass(frozen=True)
class Push:
    type: int
    shop_id: str
    message: dict[str, Any]


def parse_push(body: Mapping[str, Any]) -> Push:
    """The outer push body; ``message`` is a JSON string (an object is accepted too)."""
    f = Fields(body, "Eleme push")
    kind = f.integer("type", required=True, low=0, high=999)
    shop_id = f.text("shopId", required=True, max_len=32)
    message = body.get("message")
    if isinstance(message, str):
        message = parse_json_object(message, "Eleme push field 'message'")
    elif not isinstance(message, dict):
        raise bad_request("Eleme push: field 'message' must be a JSON string of an object")
    return Push(kind, str(shop_id), message)


def _local_time(f: Fields, name: str) -> str | None:
    """Eleme datetimes ('2025-12-01T12:00:00' or with a space) as legacy local strings."""
    text = f.text(name, max_len=40)
    if text is None:
        return None
    local = text[:19].replace("T", " ")
    try:
        parse_local(local)
    except ValueError:
        raise bad_request(
            f"{f.where}: field {name!r} must be a datetime like 2025-12-01T12:00:00, got {text!r}"
        ) from None
    return local


def _abs(value: float | None) -> float | None:
    return None if value is None else round_yuan(abs(value))


def _geo(f: Fields) -> tuple[float | None, float | None]:
    text = f.text("deliveryGeo", max_len=64)
    if text is None:
        return None, None
    try:
        lng, lat = (float(part) for part in text.split(","))
    except ValueError:
        raise bad_request(
            f"{f.where}: field 'deliveryGeo' must be 'lng,lat', got {text!r}"
        ) from None
    return lng, lat


def _joined(values: list, key: str) -> str | None:
    parts = [str(v.get(key)) for v in values if isinstance(v, dict) and v.get(key) is not None]
    return ",".join(parts) or None


def _items(f: Fields) -> tuple[ItemIn, ...]:
    items = []
    for g, group in enumerate(f.json_list("groups")):
        gf = f.sub(group, f"Eleme groups[{g}]")
        for i, raw in enumerate(gf.json_list("items")):
            it = f.sub(raw, f"Eleme groups[{g}].items[{i}]")
            quantity = it.integer("quantity", required=True, low=1, high=9999)
            price = round_yuan(it.number("price", required=True))
            items.append(
                ItemIn(
                    name=it.text("name", required=True, max_len=64, clip=True),
                    quantity=quantity,
                    price=price,
                    total=round_yuan(it.number("total", default=price * quantity)),
                    channel_item_id=it.text("id", max_len=40),
                    channel_sku_id=it.text("skuId", max_len=40),
                    spec=(_joined(it.json_list("newSpecs"), "value") or "")[:32] or None,
                    food_property=(_joined(it.json_list("attributes"), "value") or "")[:64] or None,
                )
            )
    if not items:
        raise bad_request("Eleme order message: 'groups' must hold at least one item")
    return tuple(items)


def parse_order(message: Mapping[str, Any]) -> NewOrder:
    """A type-10 message (or an order from the compensation pull)."""
    f = Fields(message, "Eleme order message")
    acts = []
    for i, raw in enumerate(f.json_list("orderActivities")):
        af = f.sub(raw, f"Eleme orderActivities[{i}]")
        acts.append(
            ActivityIn(
                act_type=af.text("type", max_len=16),
                act_name=af.text("name", max_len=64, clip=True),
                amount=_abs(af.number("amount")),
                merchant_part=_abs(af.number("restaurantPart")),
                platform_part=_abs(af.number("elemePart")),
            )
        )
    lng, lat = _geo(f)
    deliver = _local_time(f, "deliverTime")
    created = _local_time(f, "createdAt") or _local_time(f, "activeAt")
    phones = [str(p) for p in f.json_list("phoneList")]
    income, service = f.number("income"), f.number("serviceFee")
    return NewOrder(
        channel=int(Channel.ELEME),
        channel_order_id=f.digits("id"),
        push_type="10",
        items=_items(f),
        activities=tuple(acts),
        total_amount=round_yuan(f.number("totalPrice", required=True)),
        original_amount=round_yuan(f.number("originalPrice")),
        shipping_fee=round_yuan(f.number("deliverFee", default=0.0)),
        package_fee=round_yuan(f.number("packageFee", default=0.0)),
        discount_amount=_abs(f.number("activityTotal", default=0.0)),
        merchant_subsidy=_abs(f.number("shopPart", default=0.0)),
        platform_subsidy=_abs(f.number("elemePart", default=0.0)),
        hongbao=_abs(f.number("hongbao", default=0.0)),
        income=None if income is None else yuan_to_fen(income),
        service_fee=None if service is None else yuan_to_fen(abs(service)),
        order_time=created or local_str(),
        expect_time=int(parse_local(deliver).timestamp()) if deliver else 0,
        day_seq=f.integer("daySn", low=0, high=99_999),
        platform_user_id=f.text("userId", max_len=32),
        recipient_name=f.text("consignee", max_len=64, clip=True),
        recipient_phone=(",".join(phones)[:64] or None),
        recipient_address=f.text("deliveryPoiAddress", clip=True) or f.text("address", clip=True),
        lng=lng,
        lat=lat,
        pay_type=2 if f.boolean("onlinePaid", default=True) else 1,
        is_book=1 if f.boolean("book") else 0,
        remark=f.text("description", clip=True),
        raw=raw_json(dict(message)),
    )


@dataclass(frozen=True)
class StatusMessage:
    channel_order_id: str
    amount: float | None
    reason: str | None


def parse_status(kind: int, message: Mapping[str, Any]) -> StatusMessage:
    """A status or refund message: ``orderId`` and, for 30–36, ``amount`` and ``reason``."""
    f = Fields(message, f"Eleme type {kind} message")
    return StatusMessage(
        channel_order_id=f.digits("orderId"),
        amount=round_yuan(f.number("amount")),
        reason=f.text("reason", clip=True),
    )
