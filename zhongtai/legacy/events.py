"""What each channel push means for an order (pure): Meituan push kinds, Eleme message types.

One table per channel maps a push to an action and, for status pushes, the target status.
A status push the order has already reached (the POS accepted before Meituan said
``confirmed``; the store cancelled before the channel's ``cancelled``) is acknowledged without
a change, so the channel stops retrying; any other illegal move is refused with 40901.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from zhongtai.legacy.status import OrderStatus

S = OrderStatus


class Action(Enum):
    NEW = "new"
    STATUS = "status"
    REFUND_APPLY = "refund_apply"
    REFUND_AGREE = "refund_agree"
    REFUND_REJECT = "refund_reject"


@dataclass(frozen=True)
class Event:
    action: Action
    target: OrderStatus | None = None


MEITUAN_PUSHES: dict[str, Event] = {
    "new": Event(Action.NEW, S.NEW),
    "confirmed": Event(Action.STATUS, S.ACCEPTED),
    "cancelled": Event(Action.STATUS, S.CANCELLED),
    "completed": Event(Action.STATUS, S.COMPLETED),
}
MEITUAN_REFUNDS: dict[str, Event] = {
    "apply": Event(Action.REFUND_APPLY, S.REFUNDING),
    "agree": Event(Action.REFUND_AGREE, S.REFUNDED),
    "reject": Event(Action.REFUND_REJECT),
}
ELEME_TYPES: dict[int, Event] = {
    10: Event(Action.NEW, S.NEW),
    12: Event(Action.STATUS, S.ACCEPTED),
    14: Event(Action.STATUS, S.CANCELLED),
    15: Event(Action.STATUS, S.CANCELLED),
    17: Event(Action.STATUS, S.CANCELLED),
    18: Event(Action.STATUS, S.COMPLETED),
    30: Event(Action.REFUND_APPLY, S.REFUNDING),
    32: Event(Action.REFUND_REJECT),
    33: Event(Action.REFUND_AGREE, S.REFUNDED),
}

# Statuses at or past "accepted" on the way to completion.
_ACCEPTED_OR_LATER = frozenset({S.ACCEPTED, S.MAKING, S.READY, S.COMPLETED})


def already_reached(current: int, target: int) -> bool:
    """Whether a channel status push asks for a state the order is already in (or past)."""
    if current == target:
        return True
    return target == S.ACCEPTED and current in _ACCEPTED_OR_LATER
