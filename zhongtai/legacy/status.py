"""Legacy status codes and the order state machine (pure).

The monolith stores order status as magic ints in ``t_order.status``. Transitions are checked
here so that an illegal one (``completed -> cancelled``) is refused with a clear message and
changes nothing.
"""

from __future__ import annotations

from enum import IntEnum


class Channel(IntEnum):
    MEITUAN = 1
    ELEME = 2
    MINI_PROGRAM = 3
    APP = 4
    BAIDU = 5  # retired channel; only found in old rows


class OrderType(IntEnum):
    DELIVERY = 1
    PICKUP = 2
    DINE_IN = 3


class OrderStatus(IntEnum):
    PENDING_PAYMENT = 0  # mini-program/App only
    NEW = 1  # paid or pushed, waiting for the store
    ACCEPTED = 2  # POS confirmed
    MAKING = 3
    READY = 4  # ready for pickup / out for delivery
    COMPLETED = 5
    CANCELLED = 6
    REFUNDING = 7
    REFUNDED = 8
    EXCEPTION = -1  # POS rejected the order; also (mis)used as a soft-delete marker


LABELS = {
    OrderStatus.PENDING_PAYMENT: "待支付",
    OrderStatus.NEW: "新订单",
    OrderStatus.ACCEPTED: "已接单",
    OrderStatus.MAKING: "制作中",
    OrderStatus.READY: "待取餐/配送中",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.CANCELLED: "已取消",
    OrderStatus.REFUNDING: "退款中",
    OrderStatus.REFUNDED: "已退款",
    OrderStatus.EXCEPTION: "异常",
}


class PayStatus(IntEnum):
    UNPAID = 0
    PAID = 1
    REFUNDED = 2


class PaymentStatus(IntEnum):
    """``t_payment.status``."""

    PENDING = 0
    SUCCESS = 1
    FAILED = 2
    CLOSED = 3


class RefundStatus(IntEnum):
    """``t_order.refund_status`` / ``t_refund.status``: Eleme's refundStatus stored as ints."""

    NO_REFUND = 0
    APPLIED = 1
    REJECTED = 2
    ARBITRATING = 3
    FAILED = 4
    SUCCESSFUL = 5


class PosSyncStatus(IntEnum):
    TO_PULL = 0
    PULLED = 1
    ACKED = 2
    FAILED = 3
    NOT_NEEDED = 9


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.NEW, S.CANCELLED}),
    S.NEW: frozenset({S.ACCEPTED, S.CANCELLED, S.REFUNDING, S.EXCEPTION}),
    S.ACCEPTED: frozenset({S.MAKING, S.READY, S.COMPLETED, S.CANCELLED, S.REFUNDING}),
    S.MAKING: frozenset({S.READY, S.COMPLETED, S.CANCELLED, S.REFUNDING}),
    S.READY: frozenset({S.COMPLETED, S.CANCELLED, S.REFUNDING}),
    S.COMPLETED: frozenset({S.REFUNDING}),
    S.REFUNDING: frozenset({S.REFUNDED, S.NEW, S.ACCEPTED, S.MAKING, S.READY, S.COMPLETED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
    S.EXCEPTION: frozenset({S.NEW, S.CANCELLED}),
}


class IllegalTransition(ValueError):
    """An order cannot move from ``current`` to ``target``."""

    def __init__(self, current: int, target: int) -> None:
        self.current = OrderStatus(current)
        self.target = OrderStatus(target)
        allowed = sorted(TRANSITIONS[self.current])
        choices = ", ".join(f"{s.value} {LABELS[s]}" for s in allowed) or "none (final state)"
        super().__init__(
            f"order status cannot change from {self.current.value} {LABELS[self.current]} "
            f"to {self.target.value} {LABELS[self.target]}; allowed next: {choices}"
        )


def can_transition(current: int, target: int) -> bool:
    try:
        return OrderStatus(target) in TRANSITIONS[OrderStatus(current)]
    except ValueError:
        return False


def check_transition(current: int, target: int) -> OrderStatus:
    """Return the target status, or raise IllegalTransition (a ValueError)."""
    try:
        cur, tgt = OrderStatus(current), OrderStatus(target)
    except ValueError:
        raise ValueError(f"unknown order status {current!r} or {target!r}") from None
    if tgt not in TRANSITIONS[cur]:
        raise IllegalTransition(cur, tgt)
    return tgt


def is_final(status: int) -> bool:
    return not TRANSITIONS[OrderStatus(status)]


def later_status(a: int, b: int) -> int | None:
    """Of two statuses one order took on two sides at once, the one that comes after the other
    (None when the state machine cannot tell). A final status (cancelled, refunded) comes after
    any other; otherwise the one the other moves to in one step, when the reverse move is not
    allowed too (a refund's way back makes some pairs go both ways)."""
    try:
        x, y = OrderStatus(a), OrderStatus(b)
    except ValueError:
        return None
    if x == y:
        return a
    if is_final(x) != is_final(y):
        return a if is_final(x) else b
    forward, back = y in TRANSITIONS[x], x in TRANSITIONS[y]
    if forward != back:
        return b if forward else a
    return None
