"""t_order (+ items, activities, status log, refunds, payments) → order center.

``orders`` builds the order center's own ``Order`` aggregate from a legacy order and its
children, checks it with the center's own rules (lines, discounts, money conservation) and
writes it through the center's row functions, so a migrated order is indistinguishable from
one the center recorded. Targets: ``orders``, ``order_items``, ``order_discounts``,
``order_status_history``, ``external_refs``.

* Ids: ``orders.id`` = ``legacy_id`` = ``t_order.id``; ``order_no`` is kept verbatim.
* Duplicates from channel re-pushes (same channel + channel order id) form a group; the first
  row survives, later ones are quarantined as ``duplicate_repush`` naming the survivor.
* Money: yuan → fen (see transforms); ``service_fee``/``income`` are already fen. Float drift
  between the stated total and lines + fees − discounts (up to the center's limit) is
  recorded as a ``ROUNDING`` discount so ``paid_amount`` equals the legacy total exactly; a
  larger gap quarantines the order (``money_not_conserved``).
* Legacy-visible figures: the gateway renders ``original_amount``, ``discount_amount``,
  subsidies etc. from the center's rows, leaving out the platform-only discount lines
  (``ROUNDING``, ``GIFT``; :func:`~zhongtai.platform.gateway.legacy_format.derived_amounts`).
  Where a stated ``t_order`` figure differs from that (a negative gift line counted in
  ``original_amount``, a ``discount_amount`` that is not the sum of its activities), the
  stated fen go into ``channel_ext.legacy_amounts`` — as the gateway does for pushed orders —
  so every figure legacy showed is reproduced exactly.
* Status: ``order_status`` (transforms) with the status before a refund read from the log;
  ``refunded_amount`` = the sum of successful t_refund rows.
* Snapshots (the shape gateway code can rely on):
  ``customer_snapshot`` {name, phone (as stored), phone_e164, phone_ext, phone_masked,
  address, lng, lat, platform_user_id, member_account (the legacy member the order was
  placed as, before person merges: legacy lists a member's orders by it)};
  ``store_snapshot`` {store_code, store_name};
  ``channel_ext`` {channel_status, pay_type, is_book, invoice_title, table_no, dine_people,
  hongbao (fen), raw (ext_json decoded: JSON, or URL-decoded JSON, else the text)}.
* ``member_id`` is the surviving member of the legacy member (see ``members``).

``channel_pushes`` copies ``t_push_log`` (the idempotency keys of inbound pushes), pointing at
the surviving order of a re-push group.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa

from zhongtai.legacy.schema import (
    t_order,
    t_order_activity,
    t_order_item,
    t_order_status_log,
    t_payment,
    t_push_log,
    t_refund,
)
from zhongtai.migrate.mapping import Child, Group, Mapped, Mapping, Quarantine, Record
from zhongtai.migrate.mapping import Target as T
from zhongtai.migrate.mappings import order_parts as parts
from zhongtai.migrate.mappings._common import STORE_BRANDS, first_time
from zhongtai.migrate.mappings.catalog import CATALOG
from zhongtai.migrate.mappings.members import PEOPLE
from zhongtai.migrate.mappings.order_inverse import order_inverse, raw_ext
from zhongtai.migrate.transforms import (
    TransformError,
    channel_name,
    deleted_at_from,
    fix_geo,
    normalize_phone,
    order_status,
    unix_to_utc,
    wechat_to_utc,
    yuan_to_fen,
)
from zhongtai.platform.errors import CenterError
from zhongtai.platform.gateway.legacy_format import LEGACY_AMOUNTS, derived_amounts
from zhongtai.platform.order import rows as order_rows
from zhongtai.platform.order import tables as ot
from zhongtai.platform.order.lines import Discount, check_discounts, check_items
from zhongtai.platform.order.model import Channel, OrderType
from zhongtai.platform.order.money import ROUNDING, ROUNDING_LIMIT_FEN, MoneyError, conserve
from zhongtai.platform.order.query import phone_search_text
from zhongtai.platform.order.status import MainStatus

ORDER_TYPES = {1: OrderType.DELIVERY, 2: OrderType.PICKUP, 3: OrderType.DINE_IN}
_KIND_VALUES = {code: kind.value for code, kind in ORDER_TYPES.items()}
_CHANNEL_VALUES: dict[int, str] = {}


def _repush_candidates(table: sa.Table):
    """Only channel ids that occur more than once can form a re-push group."""
    c = table.c
    dup = (
        sa.select(c.channel_order_id)
        .where(c.channel_order_id.is_not(None))
        .group_by(c.channel_order_id)
        .having(sa.func.count() > 1)
    )
    return c.channel_order_id.in_(dup)


REPUSH_GROUP = Group(
    name="order_repush",
    table=t_order,
    columns=("channel", "channel_order_id"),
    key=lambda r: (r["channel"], r["channel_order_id"]) if r["channel_order_id"] else None,
    where=_repush_candidates,
)


def _order_type(code: int) -> OrderType:
    try:
        return ORDER_TYPES[code]
    except KeyError:
        raise TransformError(
            f"order_type {code!r} is not 1 delivery, 2 pickup, 3 dine-in"
        ) from None


# t_order.lng/lat are FLOAT: MariaDB hands them out with six significant digits (121.549531
# comes back as 121.55), so a platform-born order's exact coordinates cannot reach legacy
# exactly; parity counts coordinates within 0.001° (about 110 m) as tolerated.
GEO_TOLERANCE = 1e-3


def _customer(row) -> dict:
    try:
        phone = normalize_phone(row["recipient_phone"])
    except ValueError:
        phone = None  # kept as stored in "phone"; the normalised fields stay empty
    lng, lat, _ = fix_geo(row["lng"], row["lat"])
    return {
        "name": row["recipient_name"],
        "phone": row["recipient_phone"],
        "phone_e164": phone.e164 if phone else None,
        "phone_ext": phone.extension if phone else None,
        "phone_masked": bool(phone and phone.masked),
        "address": row["recipient_address"],
        "lng": lng,
        "lat": lat,
        "platform_user_id": row["platform_user_id"],
        "member_account": row["member_id"],
    }


def _amounts(row, lines, found: list[Discount]):
    given = {
        "package_fee": yuan_to_fen(row["package_fee"]) or 0,
        "delivery_fee": yuan_to_fen(row["shipping_fee"]) or 0,
        "service_fee": row["service_fee"] or 0,
        "merchant_income": row["income"],
    }
    stated = yuan_to_fen(row["total_amount"])
    totals = [i.line_total for i in lines]
    off = sum([d.amount for d in found])
    expected = sum(totals) + given["package_fee"] + given["delivery_fee"] - off
    if stated is not None and stated != expected:
        drift = expected - stated
        if abs(drift) > ROUNDING_LIMIT_FEN:
            return Quarantine(
                "money_not_conserved",
                f"total {stated} fen but lines + fees − discounts = {expected} fen",
            )
        found.append(Discount(ROUNDING, drift, drift, 0, "legacy float drift"))
    return conserve(
        totals,
        [(d.amount, d.merchant_part, d.platform_part) for d in found],
        {**given, "paid_amount": stated},
    )


def _stated_overrides(row, items: list[dict], discounts: list[dict], header: dict) -> dict:
    """The legacy figures (fen) the gateway would not derive from the center's rows."""
    derived = derived_amounts(items, discounts, header)
    return {
        name: stated
        for name, value in derived.items()
        if (stated := yuan_to_fen(row[name])) != value
    }


# (status, refund status, order type, status before the refund) → order_status(...): a few
# dozen combinations cover a whole table (errors are not kept: they raise every time).
_order_status = functools.lru_cache(maxsize=4096)(order_status)


def order(record: Record) -> Mapped | Quarantine:
    row = record.row
    oid = row["id"]
    if record.group is not None and not record.group.is_survivor(oid):
        return Quarantine(
            "duplicate_repush",
            f"channel order {row['channel_order_id']} is already order {record.group.survivor}",
        )
    cat = record.lookups[CATALOG.name]
    logs = record.children["logs"]
    order_type = row["order_type"]
    kind = _KIND_VALUES.get(order_type) or _order_type(order_type).value
    channel = _CHANNEL_VALUES.get(row["channel"])
    if channel is None:  # decided once per legacy code; unknown codes raise every time
        channel = _CHANNEL_VALUES[row["channel"]] = Channel(channel_name(row["channel"])).value
    try:
        lines, gift = parts.items(record.children["items"], cat.sku_codes)
        found = parts.discounts(record.children["activities"], gift)
        check_items(lines)
        check_discounts(found)
        amounts = _amounts(row, lines, found)
    except MoneyError as exc:  # the center's conservation rules
        return Quarantine("money_not_conserved", str(exc))
    except CenterError as exc:  # the center's line and discount rules (LineError, ...)
        return Quarantine(exc.code.lower(), exc.message)
    if isinstance(amounts, Quarantine):
        return amounts
    main, refund, sub = _order_status(
        row["status"], row["refund_status"], order_type, parts.status_before_refund(logs)
    )
    created = first_time(row["create_time"], row["order_time"])
    updated = max(first_time(row["update_time"], row["create_time"]), created)
    placed = first_time(row["order_time"], row["create_time"])
    paid_at = None
    for pay in record.children["payments"]:
        if pay["status"] == 1:
            paid_at = wechat_to_utc(pay["time_end"]) or placed
    if paid_at is None and (row["pay_status"] in (1, 2) or row["channel"] in (1, 2, 5)):
        paid_at = placed if main != MainStatus.PENDING_PAYMENT else None
    refunds = record.children["refunds"]
    refunded = sum(yuan_to_fen(r["amount"]) or 0 for r in refunds if r["status"] == 5)
    member_id = row["member_id"]
    if member_id is not None:
        member_id = record.lookups[PEOPLE.name].member(member_id)
    # Rows exactly as zhongtai.platform.order.rows writes them (a unit test holds the two
    # equal); built directly because constructing the aggregate costs more than the rest.
    header = {
        "id": oid,
        "order_no": row["order_no"],
        "tenant_id": record.lookups[STORE_BRANDS.name].get(row["store_id"], 1),
        "store_id": row["store_id"],
        "channel": channel,
        "channel_order_id": row["channel_order_id"],
        "order_type": kind,
        "day_seq": row["day_seq"] or None,
        "pickup_code": row["pickup_code"] or None,
        "member_id": member_id,
        "customer_snapshot": (customer := _customer(row)),
        "phone_search": phone_search_text(customer.get("phone")),
        "store_snapshot": {"store_code": row["store_code"], "store_name": row["store_name"]},
        "main_status": main,
        "sub_status": sub,
        "refund_status": refund,
        "refunded_amount": refunded,
        **amounts.as_dict(),
        "remark": row["remark"],
        "channel_ext": {
            "channel_status": row["channel_status"],
            "pay_type": row["pay_type"],
            "is_book": row["is_book"],
            "invoice_title": row["invoice_title"],
            "table_no": row["table_no"],
            "dine_people": row["dine_people"],
            "hongbao": yuan_to_fen(row["hongbao"]),
            "raw": raw_ext(row["ext_json"]),
        },
        "placed_at": placed,
        "expected_at": unix_to_utc(row["expect_time"]),
        "paid_at": paid_at,
        "created_at": created,
        "updated_at": updated,
        "deleted_at": deleted_at_from(row["del_flag"], at=updated),
        "legacy_id": oid,
        "version": row["version"] or 0,
    }
    item_rows, discount_rows = parts.item_rows(oid, lines), parts.discount_rows(oid, found)
    stated = _stated_overrides(row, item_rows, discount_rows, header)
    if stated:
        header["channel_ext"][LEGACY_AMOUNTS] = stated
    return {
        "orders": [header],
        "order_items": item_rows,
        "order_discounts": discount_rows,
        "order_status_history": parts.history_rows(oid, logs, order_type, refunds),
        "external_refs": [parts.pos_ref_row(oid, row, created)],
    }


ORDERS = Mapping(
    name="orders",
    source=t_order,
    center="order",
    targets=(
        T(
            ot.orders,
            key=("id",),
            owner="id",
            money=tuple(order_rows.AMOUNT_COLUMNS),
            near=(
                ("customer_snapshot.lng", GEO_TOLERANCE),
                ("customer_snapshot.lat", GEO_TOLERANCE),
            ),
        ),
        T(
            ot.order_items,
            key=("order_id", "line_no"),
            owner="order_id",
            money=("unit_price", "line_total", "box_price"),
        ),
        T(
            ot.order_discounts,
            key=("order_id", "seq"),
            owner="order_id",
            money=("amount", "merchant_part", "platform_part"),
        ),
        T(ot.order_status_history, key=("order_id", "seq"), owner="order_id"),
        T(ot.external_refs, key=("order_id", "system"), owner="order_id"),
    ),  # fmt: skip
    transform=order,
    children=(
        Child("items", t_order_item, "order_id"),
        Child("activities", t_order_activity, "order_id"),
        Child("logs", t_order_status_log, "order_id"),
        Child("refunds", t_refund, "order_id"),
        Child("payments", t_payment, "order_id"),
    ),
    group=REPUSH_GROUP,
    uses=(CATALOG, PEOPLE, STORE_BRANDS),
    inverse=order_inverse,
    description="t_order + items, activities, status log → orders and their child tables",
)


def push(record: Record) -> Mapped | Quarantine:
    row = record.row
    order_id = row["order_id"]
    if order_id is None:
        return Quarantine("push_without_order", f"push {row['push_type']} names no order")
    return {
        "channel_pushes": [
            {
                "channel": channel_name(row["channel"]),
                "channel_order_id": row["channel_order_id"],
                "push_type": row["push_type"],
                "order_id": record.lookups[REPUSH_GROUP.name].survivor(order_id),
                "received_at": first_time(row["create_time"]),
            }
        ]
    }


CHANNEL_PUSHES = Mapping(
    name="channel_pushes",
    source=t_push_log,
    center="order",
    targets=(T(ot.channel_pushes, key=("channel", "channel_order_id", "push_type")),),
    transform=push,
    uses=(REPUSH_GROUP,),
    depends_on=("orders",),
    description="t_push_log → channel_pushes (idempotency keys of inbound pushes)",
)

MAPPINGS = (ORDERS, CHANNEL_PUSHES)
