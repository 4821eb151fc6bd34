"""Refunds (pure): their state machine and the rule that no order is refunded beyond payment.

A refund is identified by ``refund_no``, chosen by the caller (the legacy refund number, or
the application layer's own), so a repeated request is recognised: the same ``refund_no`` with
the same order and amount returns the existing refund; with different figures it is refused.
``channel_refund_id`` is the channel's own id (Meituan ``refund_id``) when the channel ran the
refund itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from zhongtai.platform.errors import Conflict, InvalidInput
from zhongtai.platform.payment.model import check_key, fen


class RefundStatus(StrEnum):
    APPLIED = "APPLIED"
    ARBITRATING = "ARBITRATING"
    REJECTED = "REJECTED"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    REVOKED = "REVOKED"  # the customer withdrew the application


class RefundKind(StrEnum):
    FULL = "FULL"
    PARTIAL = "PARTIAL"


class RefundSource(StrEnum):
    USER = "USER"
    MERCHANT = "MERCHANT"
    PLATFORM = "PLATFORM"  # the channel's customer service or arbitration


S = RefundStatus
REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    S.APPLIED: frozenset({S.ARBITRATING, S.REJECTED, S.FAILED, S.SUCCEEDED, S.REVOKED}),
    S.ARBITRATING: frozenset({S.REJECTED, S.SUCCEEDED}),
    S.FAILED: frozenset({S.APPLIED}),  # retried
    S.REJECTED: frozenset(),
    S.SUCCEEDED: frozenset(),
    S.REVOKED: frozenset(),
}
# Refunds that hold (or took) money: they count against what is left to refund.
COUNTING = frozenset({S.APPLIED, S.ARBITRATING, S.SUCCEEDED})
INITIAL = frozenset({S.APPLIED, S.SUCCEEDED})


class RefundTransitionError(Conflict):
    default_code = "ILLEGAL_TRANSITION"


@dataclass(eq=False)
class Refund:
    id: int
    refund_no: str
    order_no: str
    amount: int  # fen
    kind: RefundKind
    source: RefundSource
    created_at: datetime
    updated_at: datetime
    status: RefundStatus = RefundStatus.APPLIED
    payment_id: int | None = None  # None for a takeout order paid on the channel
    reason_code: int | None = None
    reason: str | None = None
    channel_refund_id: str | None = None
    finished_at: datetime | None = None
    legacy_id: int | None = None
    version: int = 0
    deleted_at: datetime | None = None

    def __post_init__(self) -> None:
        check_key("refund_no", self.refund_no)
        check_key("order_no", self.order_no)
        fen("amount", self.amount)
        self.kind, self.source = RefundKind(self.kind), RefundSource(self.source)
        if self.reason is not None and len(self.reason) > 255:
            raise InvalidInput("reason is longer than 255 characters", code="INVALID_REASON")

    def same_request(self, order_no: str, amount: int) -> bool:
        """Whether a repeated create with these figures is this refund again."""
        return self.order_no == order_no and self.amount == amount

    def move(self, target: RefundStatus, now: datetime, *, reason: str | None = None) -> bool:
        """Move to ``target``; a move to the current status is a no-op (returns False)."""
        if target is self.status:
            return False
        allowed = REFUND_TRANSITIONS[self.status]
        if target not in allowed:
            nxt = ", ".join(sorted(allowed)) or "none (final state)"
            raise RefundTransitionError(
                f"refund {self.refund_no} cannot change from {self.status} to {target}; "
                f"allowed next: {nxt}",
                details={"from": str(self.status), "to": str(target), "allowed": sorted(allowed)},
            )
        self.status, self.updated_at = target, now
        if reason is not None:
            self.reason = reason
        if target in (S.SUCCEEDED, S.REJECTED, S.REVOKED):
            self.finished_at = now
        return True


def committed(refunds: Iterable[Refund], *, excluding: str | None = None) -> int:
    """Fen already refunded or held by open applications (``excluding`` one refund_no)."""
    return sum(r.amount for r in refunds if r.status in COUNTING and r.refund_no != excluding)


def check_refundable(amount: int, limit: int, refunds: Iterable[Refund]) -> None:
    """Refuse a refund that would take the order's refunds above ``limit`` (what was paid)."""
    taken = committed(refunds)
    if taken + amount > limit:
        raise Conflict(
            f"refund of {amount} fen exceeds what is left: paid {limit}, already refunded or "
            f"applied for {taken}",
            code="REFUND_EXCEEDS_PAYMENT",
            hint=f"refund at most {max(limit - taken, 0)} fen",
            details={"amount": amount, "limit": limit, "committed": taken},
        )


def kind_for(amount: int, limit: int) -> RefundKind:
    return RefundKind.FULL if amount == limit else RefundKind.PARTIAL
