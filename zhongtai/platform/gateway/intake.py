"""Legacy requests → order-center commands (pure): the new-order bodies ``POST /orders`` takes.

A takeout order arrives parsed by the legacy contract's own parsers (``NewOrder``, yuan
floats); the order center wants integer fen that add up exactly. The rules are the
migration's (:mod:`zhongtai.migrate.mappings.order_parts`), so a pushed order and a backfilled
one look alike:

* lines: unit price and total in fen; a line whose total is not qty × price keeps the legacy
  unit price in ``properties`` (``list_unit_price``; ``legacy_price`` for negative gift lines,
  which become zero-priced lines plus a ``GIFT`` discount; ``legacy_total`` when the total
  cannot be a whole per-unit price);
* a line without any channel code (the center needs one to map it later) carries the
  placeholder ``#<line_no>``, flagged ``no_channel_code`` so it reads back as no code;
* discounts: one per activity; parts one fen off are absorbed by the platform part;
* what the channel stated but the conserved figures cannot show (float drift, a discount
  total that is not the sum of its activities, an ``original_price`` that is not lines + fees)
  is kept in ``channel_ext.legacy_amounts``; the drift itself becomes a ``ROUNDING`` discount
  (up to one yuan) or an ``ADJUSTMENT`` discount, so ``paid_amount`` is what the channel says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from zhongtai.legacy.envelope import BAD_REQUEST, LegacyError, bad_request
from zhongtai.legacy.intake import NewOrder
from zhongtai.legacy.money import yuan_to_fen
from zhongtai.legacy.order_no import PLATFORM_SERIALS, make_order_no
from zhongtai.migrate.phones import normalize_phone
from zhongtai.migrate.times import local_to_utc, unix_to_utc
from zhongtai.migrate.transforms import CHANNEL_NAMES
from zhongtai.platform.gateway.legacy_format import (
    LEGACY_AMOUNTS,
    NO_CHANNEL_CODE,
    derived_amounts,
    utc_iso,
)

ROUNDING_LIMIT_FEN = 100  # the order center's bound for a ROUNDING discount
KINDS = {
    "reduce": "FULL_REDUCTION",
    "delivery": "DELIVERY_FEE",
    "new_user": "NEW_USER",
    "hongbao": "HONGBAO",
    "coupon": "COUPON",
}
SOURCES = {1: "MT_PUSH", 2: "ELE_PUSH"}
# Legacy marks every new order "to pull" for the store's POS (t_order.pos_sync_status 0): the
# order center queues the POS handoff (PENDING) when it records the order.
QUEUED_FOR = ["POS"]


def numbering(channel: int, store: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The order center's ``numbering`` for a legacy order number of this store and day, in
    the platform's range of serials (the center's counter value + an offset): legacy numbers
    the store's day from 1, so the two never give the same number."""
    first = PLATFORM_SERIALS.start
    try:
        sample = make_order_no(channel, now.date(), store["store_code"], first, PLATFORM_SERIALS)
    except ValueError as exc:
        raise LegacyError(
            BAD_REQUEST, f"cannot number an order for store {store['id']}: {exc}"
        ) from None
    return {
        "prefix": sample[:-5],
        "business_day": now.date().isoformat(),
        "width": 5,
        "offset": first - 1,
        "fill_day_seq": True,
    }


def customer(
    name: str | None,
    phone: str | None,
    address: str | None,
    lng: float | None = None,
    lat: float | None = None,
    platform_user_id: str | None = None,
    member_account: int | None = None,
) -> dict[str, Any]:
    """The customer snapshot in the shape the migration writes (phone kept as given).

    ``member_account`` is the member id the client ordered as: after the migration merged one
    person's several legacy members, ``member_id`` is the survivor, and this keeps which of
    them placed the order (legacy lists a member's orders by it)."""
    try:
        parsed = normalize_phone(phone)
    except ValueError:
        parsed = None
    return {
        "name": name,
        "phone": phone,
        "phone_e164": parsed.e164 if parsed else None,
        "phone_ext": parsed.extension if parsed else None,
        "phone_masked": bool(parsed and parsed.masked),
        "address": address,
        "lng": lng,
        "lat": lat,
        "platform_user_id": platform_user_id,
        "member_account": member_account,
    }


_CODE = re.compile(r"^\S{1,64}$")  # what the product center accepts as a channel code


def sku_key(code: str | None, channel_sku_id: str | None) -> tuple[str, str | None] | None:
    """A line's (code, channel SKU id) as SKU lookups key it; None when it has no usable code
    (unmapped then, as a code the legacy did not know)."""
    if not code or not _CODE.match(code):
        return None
    return code, channel_sku_id if channel_sku_id and _CODE.match(channel_sku_id) else None


def _line(order: NewOrder, line_no: int, skus: Mapping[tuple, Mapping[str, Any]]):
    item = order.items[line_no - 1]
    qty = item.quantity
    unit, total = yuan_to_fen(item.price), yuan_to_fen(item.total)
    props: dict[str, Any] = {}
    sku = skus.get(sku_key(item.code, item.channel_sku_id)) or {}
    for key, value in (
        ("food_property", item.food_property),
        ("erp_code", sku.get("erp_code")),
        ("channel_sku_id", item.channel_sku_id),
        ("is_gift", True if item.price <= 0 else None),
        ("cart_id", item.cart_id or None),
        ("food_discount", None if item.food_discount in (None, 1, 1.0) else item.food_discount),
    ):
        if value is not None:
            props[key] = value
    gift = 0
    if total < 0 or unit < 0:
        gift = -min(total, unit * qty, 0)
        props["legacy_price"] = unit
        if total != unit * qty:
            props["legacy_total"] = total
        unit = total = 0
    elif total != unit * qty:
        props["list_unit_price"] = unit
        if total % qty == 0:
            unit = total // qty
        else:
            props["legacy_total"] = total
            total = unit * qty  # the difference goes to the conservation drift below
    ref = item.code
    if not ref and not sku:
        props[NO_CHANNEL_CODE] = True
        ref = f"#{line_no}"
    line = {
        "line_no": line_no,
        "name": item.name,
        "qty": qty,
        "unit_price": unit,
        "line_total": total,
        "sku_id": sku.get("sku_id"),
        "sku_code": sku.get("sku_code"),
        "spec": item.spec,
        "properties": props,
        "box_qty": item.box_num,
        "box_price": yuan_to_fen(item.box_price),
        "channel_item_ref": ref,
    }
    return line, gift


def _discounts(order: NewOrder, gift: int) -> list[dict[str, Any]]:
    found = []
    for act in order.activities:
        amount = yuan_to_fen(act.amount)
        if amount <= 0:
            continue  # nothing to record; the drift rule keeps the money right
        merchant = min(max(yuan_to_fen(act.merchant_part), 0), amount)
        kind = KINDS.get((act.act_type or "").strip(), (act.act_type or "OTHER").upper())
        found.append(
            {
                "kind": kind[:32] or "OTHER",
                "amount": amount,
                "merchant_part": merchant,
                "platform_part": amount - merchant,
                "name": act.act_name,
            }
        )
    if gift:
        found.append({"kind": "GIFT", "amount": gift, "merchant_part": gift, "platform_part": 0})
    return found


def _stated(order: NewOrder) -> dict[str, int | None]:
    def fen(value: float | None) -> int | None:
        return None if value is None else yuan_to_fen(value)

    return {
        "original_amount": fen(order.original_amount),
        "total_amount": fen(order.total_amount),
        "shipping_fee": fen(order.shipping_fee),
        "package_fee": fen(order.package_fee),
        "discount_amount": fen(order.discount_amount),
        "merchant_subsidy": fen(order.merchant_subsidy),
        "platform_subsidy": fen(order.platform_subsidy),
    }


def channel_order(
    order: NewOrder,
    store: Mapping[str, Any],
    skus: Mapping[tuple, Mapping[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """The ``POST /orders`` body for a pushed (or pulled) takeout order."""
    channel = CHANNEL_NAMES[order.channel]
    lines, gift = [], 0
    for line_no in range(1, len(order.items) + 1):
        line, line_gift = _line(order, line_no, skus)
        lines.append(line)
        gift += line_gift
    discounts = _discounts(order, gift)
    stated = _stated(order)
    fees = {
        "package_fee": stated["package_fee"] or 0,
        "delivery_fee": stated["shipping_fee"] or 0,
        "paid_amount": stated["total_amount"],
    }
    expected = (
        sum(li["line_total"] for li in lines)
        + fees["package_fee"]
        + fees["delivery_fee"]
        - sum(d["amount"] for d in discounts)
    )
    drift = expected - fees["paid_amount"]
    if drift and abs(drift) <= ROUNDING_LIMIT_FEN:
        discounts.append({"kind": "ROUNDING", "amount": drift, "merchant_part": drift})
    elif drift > 0:
        discounts.append({"kind": "ADJUSTMENT", "amount": drift, "merchant_part": drift})
    elif drift < 0:
        raise bad_request(
            f"{channel.title()} order {order.channel_order_id}: total {order.total_amount} yuan "
            f"is more than its lines and fees less its discounts ({expected / 100} yuan); "
            "the platform cannot record money it cannot account for"
        )
    for d in discounts:
        d.setdefault("platform_part", d["amount"] - d["merchant_part"])
    derived = derived_amounts(lines, discounts, fees)
    overrides = {k: v for k, v in stated.items() if v != derived[k]}
    service_fee = order.service_fee
    if service_fee is not None and service_fee < 0:
        overrides["service_fee"] = service_fee
        service_fee = 0
    ext: dict[str, Any] = {
        "channel_status": order.push_type,
        "pay_type": order.pay_type,
        "is_book": order.is_book,
        "invoice_title": None,
        "table_no": None,
        "dine_people": None,
        "hongbao": None if order.hongbao is None else yuan_to_fen(order.hongbao),
        "raw": json.loads(order.raw) if order.raw else None,
    }
    if overrides:
        ext[LEGACY_AMOUNTS] = overrides
    if order.day_seq == 0:
        ext["legacy_day_seq"] = 0
    income = order.income if order.income is None or order.income >= 0 else None
    expected_at = unix_to_utc(order.expect_time)
    return {
        "numbering": numbering(order.channel, store, now),
        "store_id": store["id"],
        "channel": channel,
        "channel_order_id": order.channel_order_id,
        "order_type": "DELIVERY",
        "status": "PAID",
        "items": lines,
        "discounts": discounts,
        "package_fee": fees["package_fee"],
        "delivery_fee": fees["delivery_fee"],
        "service_fee": service_fee or 0,
        "paid_amount": fees["paid_amount"],
        "merchant_income": income,
        "tenant_id": store.get("tenant_id") or 1,
        "day_seq": order.day_seq or None,
        "customer": customer(
            order.recipient_name,
            order.recipient_phone,
            order.recipient_address,
            order.lng,
            order.lat,
            order.platform_user_id,
        ),
        "store_snapshot": {"store_code": store["store_code"], "store_name": store["name"]},
        "channel_ext": ext,
        "remark": order.remark,
        "placed_at": utc_iso(local_to_utc(order.order_time)),
        "expected_at": utc_iso(expected_at) if expected_at else None,
        "source": SOURCES[order.channel],
        "handoffs": QUEUED_FOR,
        "push": {
            "channel": channel,
            "channel_order_id": order.channel_order_id,
            "push_type": order.push_type,
        },
    }
