"""The order center's domain model (pure: standard library only).

An ``Order`` is the aggregate: its lines, discount records, status history and external
references change only through its methods, which enforce the status tracks
(``status.py``), money conservation (``money.py``) and the handoff rules (``handoff.py``).
Every change appends an event: a **fat** ``ORDER_CREATED`` carrying the whole order, and
**thin** events (order number, old and new value) for status changes — lecture 8's rule.

The center never calls another service, so ``store_id``, ``member_id`` and ``sku_id`` are
opaque references; the names and phones it needs for history are snapshots taken at order time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from zhongtai.platform.errors import Conflict, InvalidInput
from zhongtai.platform.order.handoff import ExternalRef, HandoffState
from zhongtai.platform.order.lines import Discount, OrderItem
from zhongtai.platform.order.money import Amounts, MoneyError
from zhongtai.platform.order.status import (
    PAID_STATUSES,
    IllegalTransition,
    MainStatus,
    RefundStatus,
    check_main,
    check_refund,
)
from zhongtai.platform.order.timeutil import utc

SUB_STATUS_MAX = 32
SOURCE_MAX = 32
REASON_MAX = 255


class Channel(StrEnum):
    MEITUAN = "MEITUAN"
    ELEME = "ELEME"
    MINI_PROGRAM = "MINI_PROGRAM"
    APP = "APP"
    BAIDU = "BAIDU"  # retired channel: only found in migrated history


class OrderType(StrEnum):
    DELIVERY = "DELIVERY"
    PICKUP = "PICKUP"
    DINE_IN = "DINE_IN"


class Track(StrEnum):
    MAIN = "MAIN"
    SUB = "SUB"
    REFUND = "REFUND"


class InvalidOrder(InvalidInput):
    """A field of an order command is malformed; ``details["field"]`` names it."""

    default_code = "INVALID_ORDER"


class OrderConflict(Conflict):
    """The order's current state forbids the command (besides a plain transition)."""

    default_code = "ORDER_CONFLICT"


@dataclass(frozen=True)
class StatusChange:
    """One line of ``order_status_history``: a move on one of the three tracks."""

    track: Track
    from_status: str | None
    to_status: str | None
    source: str
    at: datetime
    sub_status: str | None = None
    reason: str | None = None
    amount: int | None = None  # refund track: the amount refunded by this step

    def __post_init__(self) -> None:
        # The history columns are bounded; refuse here rather than fail in the database.
        if not isinstance(self.source, str) or not 1 <= len(self.source.strip()) <= SOURCE_MAX:
            raise InvalidOrder(
                f"source must be 1..{SOURCE_MAX} characters, got {self.source!r}",
                details={"field": "source"},
            )
        if self.reason is not None and len(self.reason) > REASON_MAX:
            raise InvalidOrder(
                f"reason is longer than {REASON_MAX} characters", details={"field": "reason"}
            )


@dataclass(frozen=True)
class Event:
    """An outbox record: ``ORDER_CREATED`` is fat, the ``*_CHANGED`` kinds are thin."""

    kind: str
    order_no: str
    payload: dict[str, Any]
    at: datetime


def check_sub_status(value: str | None) -> str | None:
    if value is not None and (not value.strip() or len(value) > SUB_STATUS_MAX):
        raise InvalidOrder(
            f"sub_status must be 1..{SUB_STATUS_MAX} characters, got {value!r}",
            details={"field": "sub_status"},
        )
    return value


@dataclass(eq=False)
class Order:
    order_no: str  # kept exactly as the caller gives it (legacy numbers survive migration)
    store_id: int
    channel: Channel
    order_type: OrderType
    items: list[OrderItem]
    discounts: list[Discount]
    amounts: Amounts
    placed_at: datetime  # the business order time (channel ctime / customer submit)
    created_at: datetime  # when the center recorded it
    updated_at: datetime
    main_status: MainStatus = MainStatus.CREATED
    sub_status: str | None = None
    refund_status: RefundStatus = RefundStatus.NONE
    refunded_amount: int = 0
    channel_order_id: str | None = None
    tenant_id: int = 1
    day_seq: int | None = None
    pickup_code: str | None = None
    member_id: int | None = None
    customer: dict[str, Any] = field(default_factory=dict)  # name, phone, address, geo, …
    store_snapshot: dict[str, Any] = field(default_factory=dict)  # code and name at order time
    channel_ext: dict[str, Any] = field(default_factory=dict)  # per-channel fields
    remark: str | None = None
    expected_at: datetime | None = None  # None = as soon as possible
    paid_at: datetime | None = None
    legacy_id: int | None = None
    id: int | None = None
    version: int = 0
    deleted_at: datetime | None = None
    history: list[StatusChange] = field(default_factory=list)
    external_refs: dict[str, ExternalRef] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list, repr=False)

    # -- queries -------------------------------------------------------------------------

    @property
    def refundable_amount(self) -> int:
        return self.amounts.paid_amount - self.refunded_amount

    @property
    def fully_refunded(self) -> bool:
        return self.refunded_amount > 0 and self.refundable_amount == 0

    @property
    def was_paid(self) -> bool:
        return self.paid_at is not None or self.main_status in PAID_STATUSES

    # -- commands ------------------------------------------------------------------------

    def change_status(
        self,
        target: MainStatus,
        *,
        source: str,
        now: datetime,
        sub_status: str | None = None,
        reason: str | None = None,
        paid_at: datetime | None = None,
    ) -> StatusChange:
        """Move the main status; the sub-status is replaced (cleared when not given).

        The refund track does not block it: an open refund stays open. Only a fully refunded
        order is held (it may only be cancelled). A move to PAID records ``paid_at`` (when the
        money arrived, as the pay channel reports it; ``now`` when not given) unless the order
        already has one.
        """
        self._check_alive()
        # An open refund does not hold the main status: the store may carry on (legacy let a
        # POS or channel move an order out of 7 退款中) and the refund stays open on its track.
        if self.fully_refunded and target is not MainStatus.CANCELLED:
            raise IllegalTransition(
                "main", self.main_status, target, frozenset({MainStatus.CANCELLED})
            )
        check_main(self.main_status, target)
        check_sub_status(sub_status)
        now = utc(now)
        change = StatusChange(Track.MAIN, self.main_status, target, source, now, sub_status, reason)
        self.main_status, self.sub_status = target, sub_status
        if target is MainStatus.PAID and self.paid_at is None:
            self.paid_at = utc(paid_at) if paid_at is not None else now
        self._record(change, "STATUS_CHANGED")
        return change

    def set_sub_status(
        self, sub_status: str | None, *, source: str, now: datetime, reason: str | None = None
    ) -> StatusChange:
        """Set the free sub-status; the center stores it and never interprets it."""
        self._check_alive()
        check_sub_status(sub_status)
        change = StatusChange(
            Track.SUB, self.sub_status, sub_status, source, utc(now), sub_status, reason
        )
        self.sub_status = sub_status
        self._record(change, "SUB_STATUS_CHANGED")
        return change

    def change_refund(
        self,
        target: RefundStatus,
        *,
        source: str,
        now: datetime,
        amount: int | None = None,
        reason: str | None = None,
    ) -> StatusChange:
        """Move the refund track; ``amount`` (fen) is required when a refund succeeds."""
        self._check_alive()
        if not self.was_paid:
            raise OrderConflict(
                f"order {self.order_no} was never paid ({self.main_status}); nothing to refund",
                code="NOT_PAID",
                details={"main_status": str(self.main_status)},
            )
        check_refund(self.refund_status, target)
        if target is RefundStatus.APPLIED and self.refundable_amount == 0:
            raise OrderConflict(
                f"order {self.order_no} is already fully refunded ({self.refunded_amount} fen)",
                code="FULLY_REFUNDED",
                details={"refunded_amount": self.refunded_amount},
            )
        if amount is not None or target is RefundStatus.SUCCEEDED:
            self._check_refund_amount(amount)
        change = StatusChange(
            Track.REFUND,
            self.refund_status,
            target,
            source,
            utc(now),
            self.sub_status,
            reason,
            amount if target is RefundStatus.SUCCEEDED else None,
        )
        self.refund_status = target
        if target is RefundStatus.SUCCEEDED:
            self.refunded_amount += amount or 0
        self._record(change, "REFUND_CHANGED")
        return change

    def handoff(
        self,
        system: str,
        state: HandoffState,
        *,
        now: datetime,
        ref_no: str | None = None,
        error: str | None = None,
    ) -> ExternalRef:
        """Record the handoff to a back-office system (POS, OMS, DELIVERY) and its ref."""
        self._check_alive()
        ref = self.external_refs.get(system) or ExternalRef(system=system)
        ref.move(state, now=utc(now), ref_no=ref_no, error=error)
        self.external_refs[system] = ref
        self.updated_at = utc(now)
        return ref

    def delete(self, now: datetime) -> None:
        """Soft delete: the row stays, queries skip it."""
        self._check_alive()
        self.deleted_at = self.updated_at = utc(now)

    # -- internals -----------------------------------------------------------------------

    def _check_refund_amount(self, amount: int | None) -> None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise MoneyError(f"refund amount must be a positive number of fen, got {amount!r}")
        if amount > self.refundable_amount:
            raise MoneyError(
                f"refund of {amount} fen exceeds what is left to refund on order "
                f"{self.order_no}: paid {self.amounts.paid_amount}, already refunded "
                f"{self.refunded_amount}",
                amount=amount,
                refundable_amount=self.refundable_amount,
            )

    def _check_alive(self) -> None:
        if self.deleted_at is not None:
            raise OrderConflict(
                f"order {self.order_no} is deleted", code="ORDER_DELETED", hint="nothing changed"
            )

    def _record(self, change: StatusChange, kind: str) -> None:
        self.history.append(change)
        self.updated_at = change.at
        payload: dict[str, Any] = {
            "order_no": self.order_no,
            "track": str(change.track),
            "from": change.from_status,
            "to": change.to_status,
            "sub_status": change.sub_status,
            "source": change.source,
        }
        if change.amount is not None:
            payload["amount"] = change.amount
        self.events.append(Event(kind, self.order_no, payload, change.at))
