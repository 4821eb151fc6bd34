"""Center shapes → the legacy contract's shapes (pure): one place for every translation.

Centers speak string enums, integer fen, aware UTC and E.164; the legacy API speaks status
ints, float yuan, local ``yyyy-MM-dd HH:mm:ss`` strings and phones as stored. This module
turns a center's JSON (an order's fine view, a store) into the row dicts the legacy contract's
own pure renderers take (:mod:`zhongtai.legacy.views`, ``stores.public_store``), so the bytes
a client sees are produced by the very code that defines them.

The rules are the migration's (:mod:`zhongtai.migrate.transforms`), so an order backfilled
from legacy and one recorded through the gateway read back the same way:

* status: ``legacy_order_status(main, refund, sub)`` — an open refund shows as 7, a settled one
  as 8 (unless cancelled), ``READY``/``DELIVERING`` as 4, ``PAID`` + sub-status ``EXCEPTION``
  as -1;
* ``pay_status``: 1 once paid (online: a cash-on-delivery takeout order, ``pay_type`` 1, stays
  0), 2 after a successful refund — any refund of a takeout order (the platform refunds the
  way the legacy did), a whole one of an own-channel order;
* amounts: the center's figures, except where the order's ``channel_ext.legacy_amounts`` holds
  what the channel stated and the center's conserved figures cannot (see :mod:`.intake`);
* items: ``properties`` keep the legacy unit price of gift and discounted lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from zhongtai.legacy.clock import LOCAL_FORMAT, SHANGHAI
from zhongtai.legacy.stores import public_store
from zhongtai.legacy.views import admin_row, order_detail, order_summary, pos_order
from zhongtai.migrate.phones import Phone, phone_to_legacy
from zhongtai.migrate.statuses import REFUND_SET_ASIDE
from zhongtai.migrate.transforms import (
    business_hours_to_legacy,
    channel_code,
    legacy_order_status,
    refund_status_to_legacy,
    store_status_to_legacy,
)
from zhongtai.platform.order.status import OPEN_REFUNDS

ORDER_TYPES = {"DELIVERY": 1, "PICKUP": 2, "DINE_IN": 3}
OWN_CHANNELS = ("MINI_PROGRAM", "APP")
TAKEOUT_CHANNELS = ("MEITUAN", "ELEME")
# Discount lines that exist only on the platform (float drift, legacy gift lines, figures a
# channel stated but that do not add up): the legacy discount figures leave them out.
PLATFORM_ONLY_DISCOUNTS = frozenset({"ROUNDING", "GIFT", "ADJUSTMENT"})
LEGACY_AMOUNTS = "legacy_amounts"  # channel_ext key: {name: fen or None} as the channel said
NO_CHANNEL_CODE = "no_channel_code"  # item property: the channel sent the line without a code


def yuan(fen: int | None) -> float | None:
    """Integer fen as the legacy's float yuan (exact to 2 decimals)."""
    return None if fen is None else fen / 100


def local_time(iso: str | None) -> str | None:
    """A center's ISO 8601 UTC time as the legacy's local string (seconds)."""
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).strftime(LOCAL_FORMAT)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# --------------------------------------------------------------------------- order statuses


# The gateway sets REFUND_SET_ASIDE (zhongtai.migrate.statuses) when a store or channel moves
# an order on while its refund is open (legacy 7 → 1..5): the legacy then showed the new status
# with ``refund_status`` still 1 (or 3), and judged the next step on that status, not on 7.


def refund_open(view: Mapping[str, Any]) -> bool:
    return view["refund_status"] in OPEN_REFUNDS


def legacy_status(view: Mapping[str, Any]) -> tuple[int, int]:
    """The legacy (``status``, ``refund_status``) of a center order."""
    return legacy_order_status(view["main_status"], view["refund_status"], view["sub_status"])


def status_of(view: Mapping[str, Any]) -> int:
    """The legacy ``t_order.status`` of a center order."""
    return legacy_status(view)[0]


def carry_on(view: Mapping[str, Any], move: dict[str, Any]) -> dict[str, Any]:
    """A main-status move of ``view``; with a refund open it sets the refund aside (above)."""
    return {**move, "sub_status": REFUND_SET_ASIDE} if refund_open(view) else move


def pay_status_of(view: Mapping[str, Any]) -> int:
    """The legacy ``pay_status``: 0 unpaid (or paid in cash), 1 paid, 2 refunded."""
    ext = view.get("channel_ext") or {}
    if view.get("paid_at") is None or ext.get("pay_type") == 1:
        return 0
    if view["refund_status"] != "SUCCEEDED":
        return 1
    if view["channel"] not in OWN_CHANNELS:
        return 2
    return 2 if view["refunded_amount"] >= view["paid_amount"] else 1


def derived_amounts(
    items: list[Mapping[str, Any]], discounts: list[Mapping[str, Any]], fees: Mapping[str, Any]
) -> dict[str, int | None]:
    """The legacy money figures (fen) that follow from a center order's own figures."""
    amount = merchant = platform = 0  # one pass (a backfill derives these for every order)
    for d in discounts:
        if d["kind"] not in PLATFORM_ONLY_DISCOUNTS:
            amount += d["amount"]
            merchant += d["merchant_part"]
            platform += d["platform_part"]
    goods = sum([i["line_total"] for i in items])
    return {
        "original_amount": goods + fees["package_fee"] + fees["delivery_fee"],
        "total_amount": fees["paid_amount"],
        "shipping_fee": fees["delivery_fee"],
        "package_fee": fees["package_fee"],
        "discount_amount": amount,
        "merchant_subsidy": merchant,
        "platform_subsidy": platform,
    }


def legacy_amounts(view: Mapping[str, Any]) -> dict[str, float | None]:
    """The legacy yuan figures: stated ones where the order kept them, derived otherwise."""
    stated = (view.get("channel_ext") or {}).get(LEGACY_AMOUNTS) or {}
    derived = derived_amounts(view["items"], view["discounts"], view)
    return {name: yuan(stated.get(name, fen)) for name, fen in derived.items()}


def legacy_items(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``t_order_item``-shaped lines (price and total in yuan, channel codes as stored)."""
    eleme = view["channel"] == "ELEME"
    lines = []
    for item in view["items"]:
        props = item.get("properties") or {}
        unit = props.get("legacy_price", props.get("list_unit_price", item["unit_price"]))
        if "legacy_total" in props:
            total = props["legacy_total"]
        else:
            total = unit * item["qty"] if "legacy_price" in props else item["line_total"]
        ref = None if props.get(NO_CHANNEL_CODE) else item.get("channel_item_ref")
        lines.append(
            {
                "sku_id": item.get("sku_id"),
                "sku_code": item.get("sku_code"),
                "name": item["name"],
                "spec": item.get("spec"),
                "quantity": item["qty"],
                "price": yuan(unit),
                "total": yuan(total),
                "channel_food_code": None if eleme else ref,
                "channel_item_id": ref if eleme else None,
            }
        )
    return lines


def legacy_order(view: Mapping[str, Any]) -> dict[str, Any]:
    """A center order (fine view) as the ``t_order`` row the legacy renderers read."""
    customer = view.get("customer") or {}
    store = view.get("store_snapshot") or {}
    ext = view.get("channel_ext") or {}
    pos = (view.get("external_refs") or {}).get("POS") or {}
    stated = ext.get(LEGACY_AMOUNTS) or {}
    status, refund = legacy_status(view)
    return {
        "order_no": view["order_no"],
        "channel": channel_code(view["channel"]),
        "channel_order_id": view.get("channel_order_id"),
        "store_id": view["store_id"],
        "store_code": store.get("store_code"),
        "store_name": store.get("store_name"),
        "member_id": view.get("member_id"),
        "order_type": ORDER_TYPES[view["order_type"]],
        "status": status,
        "pay_status": pay_status_of(view),
        "refund_status": refund,
        **legacy_amounts(view),
        "service_fee": stated.get("service_fee", view.get("service_fee")),
        "remark": view.get("remark"),
        "table_no": ext.get("table_no"),
        "dine_people": ext.get("dine_people"),
        "recipient_name": customer.get("name"),
        "recipient_phone": customer.get("phone"),
        "recipient_address": customer.get("address"),
        "pickup_code": view.get("pickup_code"),
        "pos_ticket_no": pos.get("ref_no"),
        "order_time": local_time(view.get("placed_at")),
        "day_seq": ext.get("legacy_day_seq", view.get("day_seq")),
    }


# --------------------------------------------------------------------------- order renderings


def detail_json(view: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /api/mp/orders/{order_no}`` data."""
    return order_detail(legacy_order(view), legacy_items(view))


def summary_json(view: Mapping[str, Any]) -> dict[str, Any]:
    """One line of a member's order list."""
    return order_summary(legacy_order(view))


def admin_json(view: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the admin order search."""
    return admin_row(legacy_order(view))


def pos_json(view: Mapping[str, Any]) -> dict[str, Any]:
    """An order as the POS pulls it (money in fen)."""
    items = legacy_items(view)
    codes = {i["sku_id"]: i["sku_code"] for i in items if i["sku_id"] is not None}
    return pos_order(legacy_order(view), items, codes)


# --------------------------------------------------------------------------- stores


def store_phone(phone: Mapping[str, Any] | None) -> str | None:
    """A store phone as the legacy shows it: as written (``021-12345678转8``, two numbers),
    else the national form of the E.164 number (a store made on the platform without text)."""
    if not phone:
        return None
    if phone.get("text"):
        return phone["text"]
    return phone_to_legacy(Phone(phone["e164"], phone["extension"], phone["masked"]))


def legacy_store(store: Mapping[str, Any]) -> dict[str, Any]:
    """A store center store as the ``t_store`` public columns the legacy code reads."""
    phone = store.get("phone")
    bindings = {b["channel"]: b for b in store.get("channel_bindings") or ()}
    return {
        "id": store["id"],
        "brand_id": store.get("tenant_id"),
        "store_code": store["store_code"],
        "store_name": store["name"],
        "city_name": store.get("city"),
        "address": store.get("address"),
        "phone": store_phone(phone),
        "lng": (store.get("geo") or {}).get("lng"),
        "lat": (store.get("geo") or {}).get("lat"),
        "business_hours": business_hours_to_legacy(store.get("business_hours")),
        "status": store_status_to_legacy(store["status"]),
        "mt_app_poi_code": (bindings.get("MEITUAN") or {}).get("channel_store_id"),
        "ele_shop_id": (bindings.get("ELEME") or {}).get("channel_store_id"),
    }


def store_json(store: Mapping[str, Any]) -> dict[str, Any]:
    """One store of ``GET /api/mp/stores``."""
    return public_store(legacy_store(store))


def refund_status_int(name: str) -> int:
    return refund_status_to_legacy(name)
