"""Order searches (pure): the filter object, its validation, and the in-memory matcher.

One ``OrderQuery`` serves the admin search (store, status, channel, date range, phone digits),
a member's order list and the handoff queue; the SQL repository translates it to a WHERE
clause and the fake uses :func:`matches`, so both read the same rules.

Phones are searched by digits: the stored recipient phone loses its formatting characters
(spaces, ``-``, ``+``, brackets, dots) but keeps the separators between several numbers or an
extension (``_`` ``,``), and must contain the query's digits. So ``+86 138-0013-8000`` is found
by ``13800138000`` and by ``0013800``, and a privacy number ``18449039731_7333`` by
``18449039731``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.model import Channel, Order
from zhongtai.platform.order.status import OPEN_REFUNDS, MainStatus, RefundStatus

PHONE_FORMATTING = (" ", "-", "+", "(", ")", ".")
MIN_PHONE_DIGITS = 4
MAX_PAGE_SIZE = 200
SORTS = ("id", "-id", "placed_at", "-placed_at")


def phone_search_text(phone: object) -> str | None:
    """The stored phone with formatting removed (what ``phone_search`` holds)."""
    if not isinstance(phone, str) or not phone:
        return None
    if phone.isdigit():  # most are: no formatting to remove (a backfill asks for every order)
        return phone[:128]
    text = phone
    for char in PHONE_FORMATTING:
        text = text.replace(char, "")
    return text[:128]


@dataclass(frozen=True)
class OrderQuery:
    store_id: int | None = None
    main_statuses: tuple[MainStatus, ...] = ()
    refund_statuses: tuple[RefundStatus, ...] = ()
    channel: Channel | None = None
    member_id: int | None = None
    member_account: int | None = None  # customer_snapshot.member_account: who placed it
    sub_status: str | None = None  # exactly this sub-status
    no_sub_status: bool = False  # only orders without a sub-status
    not_sub_status: str | None = None  # leave out orders with this sub-status
    # With refund_statuses: an order with an open refund and this sub-status passes the refund
    # filter too (an application's marker that it set the open refund aside).
    open_refund_sub_status: str | None = None
    phone_digits: str | None = None
    placed_from: datetime | None = None  # inclusive, UTC
    placed_to: datetime | None = None  # exclusive, UTC
    include_deleted: bool = False
    page: int = 1
    size: int = 20
    sort: str = "-id"

    def __post_init__(self) -> None:
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise InvalidInput(
                f"page size {self.size} is out of range", hint=f"use 1..{MAX_PAGE_SIZE}"
            )
        if self.page < 1:
            raise InvalidInput(f"page {self.page} is out of range", hint="pages start at 1")
        if self.sort not in SORTS:
            raise InvalidInput(f"unknown sort {self.sort!r}", hint=f"use one of {', '.join(SORTS)}")
        if self.phone_digits is not None and not re.fullmatch(
            rf"\d{{{MIN_PHONE_DIGITS},20}}", self.phone_digits
        ):
            raise InvalidInput(
                f"phone {self.phone_digits!r} must be {MIN_PHONE_DIGITS}..20 digits",
                code="INVALID_PHONE",
                hint="send digits only; the application layer strips country codes",
            )
        if self.placed_from and self.placed_to and self.placed_from >= self.placed_to:
            raise InvalidInput(
                f"placed_from {self.placed_from.isoformat()} is not before placed_to "
                f"{self.placed_to.isoformat()}"
            )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def matches(order: Order, q: OrderQuery) -> bool:
    """Whether ``order`` passes every filter of ``q`` (the fakes' WHERE clause)."""
    checks = (
        q.include_deleted or order.deleted_at is None,
        q.store_id is None or order.store_id == q.store_id,
        not q.main_statuses or order.main_status in q.main_statuses,
        not q.refund_statuses
        or order.refund_status in q.refund_statuses
        or (
            q.open_refund_sub_status is not None
            and order.refund_status in OPEN_REFUNDS
            and order.sub_status == q.open_refund_sub_status
        ),
        q.channel is None or order.channel == q.channel,
        q.member_id is None or order.member_id == q.member_id,
        q.member_account is None or order.customer.get("member_account") == q.member_account,
        q.sub_status is None or order.sub_status == q.sub_status,
        not q.no_sub_status or order.sub_status is None,
        q.not_sub_status is None or order.sub_status != q.not_sub_status,
        q.placed_from is None or order.placed_at >= q.placed_from,
        q.placed_to is None or order.placed_at < q.placed_to,
        q.phone_digits is None
        or q.phone_digits in (phone_search_text(order.customer.get("phone")) or ""),
    )
    return all(checks)


def sort_key(q: OrderQuery):
    field = q.sort.lstrip("-")
    return lambda order: (getattr(order, field), order.id)


def page(orders: Sequence[Order], q: OrderQuery) -> tuple[int, list[Order]]:
    """Filter, sort and cut one page in memory (the fakes' search)."""
    found = sorted(
        (o for o in orders if matches(o, q)), key=sort_key(q), reverse=q.sort.startswith("-")
    )
    return len(found), found[q.offset : q.offset + q.size]
