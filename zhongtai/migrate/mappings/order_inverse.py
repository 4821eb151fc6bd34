"""The inverse of the ``orders`` mapping: order center rows → legacy t_order rows (pure).

Reverse sync writes what this returns for the orders the platform changed. Amounts go
back to float yuan, as the gateway renders them (the platform-only ROUNDING, GIFT and
ADJUSTMENT lines folded back, the stated figures of ``channel_ext.legacy_amounts`` where the
order kept them); the POS fields come from the ``POS`` external ref; legacy
status ints from :func:`~zhongtai.migrate.statuses.legacy_order_status`.

``pay_status`` follows the legacy app's own rule, the one the gateway shows
(:func:`~zhongtai.platform.gateway.legacy_format.pay_status_of`): a cash-on-delivery takeout
order (``pay_type`` 1) stays 0 even though the center records it as settled at placing (and
stays 0 after a refund: nothing was paid online); a paid order is 1; a successful refund makes
it 2 for takeout orders, and for own-channel orders only when the refunds cover the whole
paid amount — a partial refund leaves 1, as the legacy app leaves it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from zhongtai.migrate.mapping import Mapped
from zhongtai.migrate.mappings import order_parts as parts
from zhongtai.migrate.mappings.status_log import log_rows
from zhongtai.migrate.transforms import (
    channel_code,
    deleted_flag,
    fen_to_yuan,
    legacy_order_status,
    utc_to_local,
    utc_to_unix,
)
from zhongtai.platform.gateway.legacy_format import (
    LEGACY_AMOUNTS,
    PLATFORM_ONLY_DISCOUNTS,
    derived_amounts,
    pay_status_of,
)

ORDER_TYPE_CODES = {"DELIVERY": 1, "PICKUP": 2, "DINE_IN": 3}

_POS_STATUS = {"PENDING": 0, "PULLED": 1, "ACKED": 2, "FAILED": 3, "NOT_NEEDED": 9}
_KIND_TYPES = {v: k for k, v in parts.KINDS.items()}


def order_inverse(rows: Mapped) -> Mapped:
    """Order center rows → t_order (+ items, activities) fields, as the legacy app writes them.

    Amounts go back to float yuan exactly as the gateway shows them to legacy clients
    (:func:`~zhongtai.platform.gateway.legacy_format.derived_amounts`, overridden by the
    stated figures in ``channel_ext.legacy_amounts``); platform-only discount lines are
    folded back (they do not exist in legacy). The POS fields come from the ``POS``
    external ref; the raw channel payload goes back to ``ext_json``. The status history
    becomes legacy status-log rows (:mod:`.status_log`), which reverse sync appends to the
    ones legacy has.
    """
    (o,) = rows["orders"]
    status, refund = legacy_order_status(o["main_status"], o["refund_status"], o["sub_status"])
    customer, store, ext = o["customer_snapshot"], o["store_snapshot"], o["channel_ext"]
    discounts = rows.get("order_discounts", [])
    real = [d for d in discounts if d["kind"] not in PLATFORM_ONLY_DISCOUNTS]
    stated = ext.get(LEGACY_AMOUNTS) or {}
    figures = derived_amounts(rows.get("order_items", []), discounts, o)
    money = {name: fen_to_yuan(stated.get(name, fen)) for name, fen in figures.items()}
    pos = next((r for r in rows.get("external_refs", []) if r["system"] == "POS"), None)
    order_fields = {
        "id": o["legacy_id"] or o["id"],
        "order_no": o["order_no"],
        "channel": channel_code(o["channel"]),
        "channel_order_id": o["channel_order_id"],
        "day_seq": o["day_seq"],
        "store_id": o["store_id"],
        "store_code": store.get("store_code"),
        "store_name": store.get("store_name"),
        "member_id": customer.get("member_account", o["member_id"]),
        "platform_user_id": customer.get("platform_user_id"),
        "recipient_name": customer.get("name"),
        "recipient_phone": customer.get("phone"),
        "recipient_address": customer.get("address"),
        "lng": customer.get("lng"),
        "lat": customer.get("lat"),
        "order_type": ORDER_TYPE_CODES[o["order_type"]],
        "status": status,
        "channel_status": ext.get("channel_status"),
        "pay_status": pay_status_of(o),
        "refund_status": refund,
        **money,
        "hongbao": fen_to_yuan(ext.get("hongbao")),
        "service_fee": stated.get("service_fee", o["service_fee"]),
        "income": o["merchant_income"],
        "pay_type": ext.get("pay_type"),
        "remark": o["remark"],
        "invoice_title": ext.get("invoice_title"),
        "is_book": ext.get("is_book"),
        "expect_time": utc_to_unix(o["expected_at"]),
        "order_time": utc_to_local(o["placed_at"]),
        "pickup_code": o["pickup_code"],
        "table_no": ext.get("table_no"),
        "dine_people": ext.get("dine_people"),
        "pos_sync_status": _POS_STATUS[pos["state"]] if pos else 0,
        "pos_pull_time": utc_to_local(pos["pulled_at"]) if pos else None,
        "pos_ack_time": utc_to_local(pos["acked_at"]) if pos else None,
        "pos_ticket_no": pos["ref_no"] if pos else None,
        "pos_retry": pos["attempts"] if pos else 0,
        "pos_error": pos["error"] if pos else None,
        "ext_json": ext_json(ext.get("raw")),
        "del_flag": deleted_flag(o["deleted_at"]),
        "version": o["version"],
        "create_time": utc_to_local(o["created_at"]),
        "update_time": utc_to_local(o["updated_at"]),
    }
    items = []
    for i in rows.get("order_items", []):
        props = i["properties"] or {}
        unit = props.get("legacy_price", props.get("list_unit_price", i["unit_price"]))
        items.append(
            {
                "order_id": order_fields["id"],
                "sku_id": i["sku_id"],
                "erp_code": props.get("erp_code"),
                "channel_food_code": i["channel_item_ref"] if o["channel"] != "ELEME" else None,
                "channel_item_id": i["channel_item_ref"] if o["channel"] == "ELEME" else None,
                "channel_sku_id": props.get("channel_sku_id"),
                "name": i["name_snapshot"],
                "spec": i["spec"],
                "property": props.get("food_property"),
                "quantity": i["qty"],
                "price": fen_to_yuan(unit),
                "food_discount": props.get("food_discount", 1.0),
                "box_num": i["box_qty"],
                "box_price": fen_to_yuan(i["box_price"]),
                "total": fen_to_yuan(
                    unit * i["qty"] if "legacy_price" in props else i["line_total"]
                ),
                "cart_id": props.get("cart_id", 0),
                "is_gift": int(bool(props.get("is_gift"))),
            }
        )
    activities = [
        {
            "order_id": order_fields["id"],
            "act_type": _KIND_TYPES.get(d["kind"], d["kind"].lower()),
            "act_name": d["name"],
            "amount": fen_to_yuan(d["amount"]),
            "merchant_part": fen_to_yuan(d["merchant_part"]),
            "platform_part": fen_to_yuan(d["platform_part"]),
        }
        for d in real
    ]
    history = rows.get("order_status_history", [])
    log = log_rows(order_fields["id"], history, order_fields["order_type"])
    return {
        "t_order": [order_fields],
        "t_order_item": items,
        "t_order_activity": activities,
        "t_order_status_log": log,
    }


def ext_json(raw: Any) -> str | None:
    """``channel_ext.raw`` as legacy keeps the channel's payload in ``t_order.ext_json``
    (compact JSON, as its intake writes it; text that reads back as itself stays text)."""
    if raw is None or (isinstance(raw, str) and raw_ext(raw) == raw):
        return raw
    return json.dumps(raw, ensure_ascii=False, separators=(",", ":"))


def raw_ext(text: str | None) -> Any:
    """``t_order.ext_json`` decoded (JSON, or URL-decoded JSON, else the text): what the
    forward mapping keeps as ``channel_ext.raw``."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:  # URL-decoded only when it is not JSON as it stands (most is)
        return json.loads(unquote(text))
    except ValueError:
        return text
