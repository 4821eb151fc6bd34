"""The order center's two status tracks (pure): main status and refund status.

Lecture 8's rule: the order center defines and enforces the **main status** (主状态); each
application may keep a free-form **sub-status** (子状态) beside it, which the center stores but
never interprets. Refunds run on a **separate track** so that "completed, then refunded" stays
"completed" in the main lifecycle instead of overwriting it (the legacy's status 7/8 do that).
"""

from __future__ import annotations

from enum import StrEnum

from zhongtai.platform.errors import Conflict, InvalidInput


class MainStatus(StrEnum):
    CREATED = "CREATED"  # recorded, not yet offered for payment
    PENDING_PAYMENT = "PENDING_PAYMENT"  # 待支付
    PAID = "PAID"  # 有效(已支付): paid online, or a valid takeout order
    ACCEPTED = "ACCEPTED"  # 商家接单
    PREPARING = "PREPARING"  # 制作中
    READY = "READY"  # 制作完成 / 待取餐
    DELIVERING = "DELIVERING"  # 配送中
    COMPLETED = "COMPLETED"  # 完成
    CANCELLED = "CANCELLED"  # 取消


class RefundStatus(StrEnum):
    NONE = "NONE"
    APPLIED = "APPLIED"
    ARBITRATING = "ARBITRATING"  # the platform's customer service decides
    REJECTED = "REJECTED"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"


M = MainStatus
# Every non-final status may be cancelled; COMPLETED never can be (lecture 8).
MAIN_TRANSITIONS: dict[MainStatus, frozenset[MainStatus]] = {
    M.CREATED: frozenset({M.PENDING_PAYMENT, M.PAID, M.CANCELLED}),
    M.PENDING_PAYMENT: frozenset({M.PAID, M.CANCELLED}),
    M.PAID: frozenset({M.ACCEPTED, M.CANCELLED}),
    M.ACCEPTED: frozenset({M.PREPARING, M.READY, M.DELIVERING, M.COMPLETED, M.CANCELLED}),
    M.PREPARING: frozenset({M.READY, M.DELIVERING, M.COMPLETED, M.CANCELLED}),
    M.READY: frozenset({M.DELIVERING, M.COMPLETED, M.CANCELLED}),
    # A rider may fail to deliver: the platform then cancels ("强制无效" after acceptance).
    M.DELIVERING: frozenset({M.COMPLETED, M.CANCELLED}),
    M.COMPLETED: frozenset(),
    M.CANCELLED: frozenset(),
}

R = RefundStatus
REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    R.NONE: frozenset({R.APPLIED, R.SUCCEEDED}),  # SUCCEEDED directly: an instant refund
    # NONE again: the customer revoked the application (Eleme type 31, Meituan cancelRefund).
    R.APPLIED: frozenset({R.NONE, R.ARBITRATING, R.REJECTED, R.FAILED, R.SUCCEEDED}),
    R.ARBITRATING: frozenset({R.REJECTED, R.SUCCEEDED}),
    R.REJECTED: frozenset({R.APPLIED, R.ARBITRATING}),
    R.FAILED: frozenset({R.APPLIED, R.SUCCEEDED}),
    # Another partial refund may follow a successful one while money is left to refund.
    R.SUCCEEDED: frozenset({R.APPLIED}),
}
OPEN_REFUNDS = frozenset({R.APPLIED, R.ARBITRATING})
# Main statuses in which the customer has paid (or the channel vouched for payment).
PAID_STATUSES = frozenset({M.PAID, M.ACCEPTED, M.PREPARING, M.READY, M.DELIVERING, M.COMPLETED})


class IllegalTransition(Conflict):
    """A status cannot move from ``current`` to ``target`` on the given track.

    ``details`` carries the track, both states and the allowed next ones, so an application
    layer can word the refusal in its own clients' terms.
    """

    def __init__(
        self, track: str, current: str | None, target: str, allowed: frozenset[str]
    ) -> None:
        self.track, self.current, self.target = track, current, target
        self.allowed = sorted(str(s) for s in allowed)
        nxt = ", ".join(self.allowed) or "none (final state)"
        super().__init__(
            f"{track} status cannot change from {current} to {target}; allowed next: {nxt}",
            code="ILLEGAL_TRANSITION",
            details={
                "track": track,
                "from": None if current is None else str(current),
                "to": str(target),
                "allowed": self.allowed,
            },
        )


def parse_main_status(value: str) -> MainStatus:
    """The MainStatus named ``value``; InvalidInput listing the valid names otherwise."""
    try:
        return MainStatus(value)
    except ValueError:
        raise InvalidInput(
            f"unknown main status {value!r}",
            code="UNKNOWN_STATUS",
            hint=f"use one of {', '.join(MainStatus)}",
        ) from None


def parse_refund_status(value: str) -> RefundStatus:
    """The RefundStatus named ``value``; InvalidInput listing the valid names otherwise."""
    try:
        return RefundStatus(value)
    except ValueError:
        raise InvalidInput(
            f"unknown refund status {value!r}",
            code="UNKNOWN_STATUS",
            hint=f"use one of {', '.join(RefundStatus)}",
        ) from None


def check_main(current: MainStatus, target: MainStatus) -> MainStatus:
    """Return ``target`` if the main status may move there, else raise IllegalTransition."""
    allowed = MAIN_TRANSITIONS[current]
    if target not in allowed:
        raise IllegalTransition("main", current, target, allowed)
    return target


def check_refund(current: RefundStatus, target: RefundStatus) -> RefundStatus:
    """Return ``target`` if the refund status may move there, else raise IllegalTransition."""
    allowed = REFUND_TRANSITIONS[current]
    if target not in allowed:
        raise IllegalTransition("refund", current, target, allowed)
    return target


def is_final(status: MainStatus) -> bool:
    return not MAIN_TRANSITIONS[status]
