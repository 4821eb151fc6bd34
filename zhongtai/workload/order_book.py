"""The orders a traffic run is driving, and what each client does to them next (pure).

Every order the run created or met is a LiveOrder with the status the target last
acknowledged. Only one request per order is in flight at a time (``busy``), so the order of
acknowledgements in the log is the order the target applied them, and no client sends a
transition the state machine would refuse: a step that became illegal (the POS confirmed
before Meituan did, a customer cancelled before the kitchen finished) is skipped, as a real
client would. An order whose request failed is ``dead``: its true state is unknown, so it is
left alone for the rest of the run.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field

from zhongtai.legacy.status import OrderStatus, can_transition
from zhongtai.workload.catalog_view import MemberView, StoreView

S = OrderStatus

# Follow-up plans, drawn when an order is created: (weight, steps of the creating client).
CHANNEL_PLANS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.40, ()),  # the store's POS fulfils it; the channel says nothing more
    (0.20, ("confirmed", "completed")),
    (0.15, ("cancelled",)),
    (0.15, ("confirmed", "refund_apply", "refund_agree")),
    (0.10, ("refund_apply", "refund_reject")),
)
MP_PLANS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.05, ("detail",)),  # never paid
    (0.05, ("cancel",)),  # changed their mind before paying
    (0.50, ("pay", "detail")),
    (0.15, ("pay", "pay_again", "detail")),  # WeChat notifies twice
    (0.12, ("pay", "cancel", "detail")),
    (0.13, ("pay", "detail", "refund", "member_orders")),
)
# Status a step leads to; None: a read or a repeat that changes nothing.
STEP_TARGET: dict[str, int | None] = {
    "confirmed": S.ACCEPTED,
    "completed": S.COMPLETED,
    "cancelled": S.CANCELLED,
    "refund_apply": S.REFUNDING,
    "refund_agree": S.REFUNDED,
    "pay": S.NEW,
    "pay_again": None,
    "detail": None,
    "member_orders": None,
    "cancel": S.CANCELLED,
    "refund": S.REFUNDED,
    "ack": S.ACCEPTED,
    "making": S.MAKING,
    "ready": S.READY,
    "pos_completed": S.COMPLETED,
    "pos_cancel": S.CANCELLED,
}
POS_NEXT = {S.ACCEPTED: "making", S.MAKING: "ready", S.READY: "pos_completed"}


@dataclass(eq=False)
class LiveOrder:
    origin: str  # meituan, eleme, mp, or pos (met in a POS pull: history, another run)
    store: StoreView
    channel: int
    status: int
    order_no: str | None = None
    channel_order_id: str | None = None
    phone: str | None = None
    total: float = 0.0  # yuan
    out_trade_no: str | None = None  # WeChat trade number (mini-program orders)
    total_fee: int = 0  # fen
    refund_id: str | None = None  # the channel's refund id (takeout orders)
    member: MemberView | None = None
    plan: list[str] = field(default_factory=list)
    before_refund: int | None = None
    paid: bool = False
    pos_pulled: bool = False
    pos_acked: bool = False
    busy: bool = False
    dead: bool = False

    def ids(self) -> dict:
        """The AckedWrite fields that find this order in a database."""
        return {
            "order_no": self.order_no,
            "channel": self.channel,
            "channel_order_id": self.channel_order_id,
            "store_code": self.store.store_code,
        }


def step_target(step: str, order: LiveOrder) -> int | None:
    if step == "refund_reject":
        return order.before_refund
    return STEP_TARGET[step]


def next_legal_step(order: LiveOrder) -> str | None:
    """Drop the plan's steps the order can no longer take; return the next one (or None)."""
    while order.plan:
        step = order.plan[0]
        target = step_target(step, order)
        if step == "refund_reject" and (target is None or order.status != S.REFUNDING):
            order.plan.pop(0)
        elif target is None or can_transition(order.status, target):
            return step
        elif step == "refund" and can_transition(order.status, S.REFUNDING):
            return step  # the mini-program refund passes through 7 to 8
        else:
            order.plan.pop(0)
    return None


def pos_step(order: LiveOrder, rng: random.Random, cancel_share: float = 0.04) -> str | None:
    """What the store's POS does next to an order it pulled; None when it is done with it."""
    status = OrderStatus(order.status)
    step = POS_NEXT.get(status) if order.pos_acked else ("ack" if status == S.NEW else None)
    if step and rng.random() < cancel_share:
        step = "pos_cancel"
    if step and not can_transition(status, STEP_TARGET[step]):
        return None
    return step


def draw_plan(plans: tuple[tuple[float, tuple[str, ...]], ...], rng: random.Random) -> list[str]:
    weights = [w for w, _ in plans]
    return list(rng.choices([steps for _, steps in plans], weights=weights)[0])


class DueQueue:
    """Orders with a step due at a time; ``pop_ready`` hands out one that is not busy."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, LiveOrder]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due: float, order: LiveOrder) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), order))

    def pop_ready(self, now: float) -> LiveOrder | None:
        """The earliest due order that is free, marked busy; None if nothing is due."""
        waiting: list[tuple[float, int, LiveOrder]] = []
        found = None
        while self._heap and self._heap[0][0] <= now:
            item = heapq.heappop(self._heap)
            order = item[2]
            if order.dead:
                continue
            if order.busy:
                waiting.append(item)
                continue
            found = order
            break
        for item in waiting:
            heapq.heappush(self._heap, item)
        if found is not None:
            found.busy = True
        return found


class OrderBook:
    """Every LiveOrder of the run, findable the ways the clients meet them."""

    def __init__(self) -> None:
        self.by_no: dict[str, LiveOrder] = {}
        self.by_phone: dict[tuple[str, str], LiveOrder] = {}
        self.queues: dict[str, DueQueue] = {}
        self.fresh: dict[str, int] = {}  # store_code -> orders waiting for the POS
        self.orders: list[LiveOrder] = []

    def queue(self, client: str) -> DueQueue:
        return self.queues.setdefault(client, DueQueue())

    def add(self, order: LiveOrder) -> LiveOrder:
        self.orders.append(order)
        if order.order_no:
            self.by_no[order.order_no] = order
        if order.phone and order.channel_order_id:
            self.by_phone[(order.store.store_code, order.phone)] = order
        return order

    def bind(self, order: LiveOrder, order_no: str) -> None:
        order.order_no = order_no
        self.by_no[order_no] = order

    def mark_fresh(self, store_code: str) -> None:
        """A new order for this store is waiting to be pulled by its POS."""
        self.fresh[store_code] = self.fresh.get(store_code, 0) + 1

    def take_fresh_store(self, rng: random.Random) -> str | None:
        if not self.fresh:
            return None
        code = rng.choice(sorted(self.fresh))
        del self.fresh[code]
        return code

    def find_pulled(self, store_code: str, order_no: str, phone: str | None) -> LiveOrder | None:
        """The LiveOrder a POS pull returned: by order number, or a takeout order by phone."""
        order = self.by_no.get(order_no)
        if order is None and phone:
            order = self.by_phone.get((store_code, phone))
            if order is not None and order.order_no is None:
                self.bind(order, order_no)
            elif order is not None and order.order_no != order_no:
                order = None
        return order

    def known(self, rng: random.Random, *, paid: bool = False) -> LiveOrder | None:
        """A random order with an order number (for reads), or None."""
        pool = [o for o in self.orders[-500:] if o.order_no and (o.paid or not paid)]
        return rng.choice(pool) if pool else None
