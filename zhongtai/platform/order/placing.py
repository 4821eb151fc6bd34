"""Placing an order: validate a draft and build the ``Order`` aggregate (pure).

Everything a caller sends is checked here, before any database is touched, and each error
names the field and the value: order number, references, lines, discounts, money
conservation, times. The result carries the fat ``ORDER_CREATED`` event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from zhongtai.platform.order.handoff import HandoffState, check_system
from zhongtai.platform.order.lines import Discount, OrderItem, check_discounts, check_items
from zhongtai.platform.order.model import (
    Channel,
    Event,
    InvalidOrder,
    Order,
    OrderType,
    StatusChange,
    Track,
    check_sub_status,
)
from zhongtai.platform.order.money import conserve
from zhongtai.platform.order.status import MainStatus
from zhongtai.platform.order.timeutil import utc, utc_or_none
from zhongtai.platform.order.views import fine

ORDER_NO = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
CHANNEL_ORDER_ID = re.compile(r"^[0-9A-Za-z_-]{1,40}$")
INITIAL_STATUSES = frozenset({MainStatus.CREATED, MainStatus.PENDING_PAYMENT, MainStatus.PAID})
AMOUNT_FIELDS = (
    "goods_amount",
    "package_fee",
    "delivery_fee",
    "discount_amount",
    "merchant_subsidy",
    "platform_subsidy",
    "service_fee",
    "paid_amount",
    "merchant_income",
)


@dataclass
class OrderDraft:
    """What a caller asks the center to record. Omitted totals are derived from the lines."""

    order_no: str
    store_id: int
    channel: Channel
    order_type: OrderType
    items: list[OrderItem]
    discounts: list[Discount] = field(default_factory=list)
    amounts: dict[str, int | None] = field(default_factory=dict)
    status: MainStatus = MainStatus.PENDING_PAYMENT
    sub_status: str | None = None
    channel_order_id: str | None = None
    tenant_id: int = 1
    day_seq: int | None = None
    pickup_code: str | None = None
    member_id: int | None = None
    customer: dict[str, Any] = field(default_factory=dict)
    store_snapshot: dict[str, Any] = field(default_factory=dict)
    channel_ext: dict[str, Any] = field(default_factory=dict)
    remark: str | None = None
    placed_at: datetime | None = None
    expected_at: datetime | None = None
    legacy_id: int | None = None
    source: str = "API"
    # Back-office systems that pull the order (e.g. POS): queued (PENDING) from the start, as a
    # legacy monolith marks every new order "to pull".
    handoffs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Numbering:
    """Number a new order inside its create transaction: ``prefix`` + ``offset`` + the store's
    next business-day value (:mod:`.sequences`), zero-padded to ``width``.

    The format stays the application's business (it sends the prefix); taking the value in the
    same transaction as the insert means a duplicate push or a refused order takes no number,
    as a legacy monolith allocating in one transaction would behave. ``offset`` puts the
    numbers in a range of their own (another system numbering the same format from 1 then
    never meets them). ``fill_day_seq`` uses the value (the store's n-th order of the day,
    without the offset) as ``day_seq`` when the draft brings none (the channel's own daily
    number wins): the POS shows it as the order's index of the day, as legacy's serial.
    """

    prefix: str
    business_day: date
    width: int = 5
    fill_day_seq: bool = False
    offset: int = 0

    def number(self, value: int) -> str:
        """The order number for ``value``; InvalidOrder when it outgrows ``width`` digits."""
        serial = f"{self.offset + value:0{self.width}d}"
        if len(serial) > self.width:
            raise InvalidOrder(
                f"day sequence value {value} (+ offset {self.offset}) of {self.business_day} "
                f"does not fit {self.width} digits",
                details={"field": "numbering"},
            )
        return self.prefix + serial

    def apply(self, draft: OrderDraft, value: int) -> OrderDraft:
        """The draft numbered with ``value`` (and its ``day_seq`` filled when asked)."""
        day_seq = draft.day_seq
        if self.fill_day_seq and day_seq is None and value > 0:
            day_seq = value
        return replace(draft, order_no=self.number(value), day_seq=day_seq)


def _positive(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidOrder(
            f"{name} must be a positive integer, got {value!r}", details={"field": name}
        )


def check_draft(draft: OrderDraft) -> None:
    """Raise InvalidOrder / LineError / MoneyError naming the first bad field."""
    if not isinstance(draft.order_no, str) or not ORDER_NO.match(draft.order_no):
        raise InvalidOrder(
            f"order_no {draft.order_no!r} must be 1..32 letters, digits, '-' or '_'",
            details={"field": "order_no"},
        )
    if draft.channel_order_id is not None and not CHANNEL_ORDER_ID.match(
        str(draft.channel_order_id)
    ):
        raise InvalidOrder(
            f"channel_order_id {draft.channel_order_id!r} must be 1..40 letters, digits, "
            "'-' or '_' (send ids above 2^53 as strings)",
            details={"field": "channel_order_id"},
        )
    _positive("store_id", draft.store_id)
    for name in ("tenant_id", "day_seq", "member_id", "legacy_id"):
        _positive(name, getattr(draft, name), optional=True)
    if draft.status not in INITIAL_STATUSES:
        raise InvalidOrder(
            f"a new order starts as {', '.join(sorted(INITIAL_STATUSES))}, not {draft.status}",
            details={"field": "status"},
        )
    unknown = set(draft.amounts) - set(AMOUNT_FIELDS)
    if unknown:
        raise InvalidOrder(
            f"unknown amount field(s) {sorted(unknown)}; known: {', '.join(AMOUNT_FIELDS)}",
            details={"field": "amounts"},
        )
    check_sub_status(draft.sub_status)
    for system in draft.handoffs:
        check_system(system)
    check_items(draft.items)
    check_discounts(draft.discounts)


def place_order(draft: OrderDraft, *, now: datetime) -> Order:
    """A new ``Order`` from ``draft``, validated, with its first history line and fat event."""
    check_draft(draft)
    amounts = conserve(
        (item.line_total for item in draft.items),
        ((d.amount, d.merchant_part, d.platform_part) for d in draft.discounts),
        draft.amounts,
    )
    now = utc(now)
    placed_at = utc_or_none(draft.placed_at) or now
    order = Order(
        order_no=draft.order_no,
        store_id=draft.store_id,
        channel=Channel(draft.channel),
        order_type=OrderType(draft.order_type),
        items=list(draft.items),
        discounts=list(draft.discounts),
        amounts=amounts,
        placed_at=placed_at,
        created_at=now,
        updated_at=now,
        main_status=draft.status,
        sub_status=draft.sub_status,
        channel_order_id=draft.channel_order_id,
        tenant_id=draft.tenant_id,
        day_seq=draft.day_seq,
        pickup_code=draft.pickup_code,
        member_id=draft.member_id,
        customer=dict(draft.customer),
        store_snapshot=dict(draft.store_snapshot),
        channel_ext=dict(draft.channel_ext),
        remark=draft.remark,
        expected_at=utc_or_none(draft.expected_at),
        paid_at=placed_at if draft.status is MainStatus.PAID else None,
        legacy_id=draft.legacy_id,
    )
    order.history.append(
        StatusChange(Track.MAIN, None, draft.status, draft.source, now, draft.sub_status)
    )
    for system in draft.handoffs:
        order.handoff(system, HandoffState.PENDING, now=now)
    # The fat event: the whole order, so subscribers need not call back (lecture 8).
    order.events.append(Event("ORDER_CREATED", order.order_no, fine(order), now))
    return order
