"""In-memory twins of the order repositories and unit of work, for unit tests (no mocks).

Loaded orders are deep copies, so a service that forgets ``save()`` is caught by the tests as
it would be against a database; the unique keys the database enforces are enforced here too.
"""

from __future__ import annotations

import copy
from datetime import date, datetime

from zhongtai.platform.ids import IdAllocator, MemoryIdAllocator
from zhongtai.platform.order.cursors import PullCursor, PullCursors
from zhongtai.platform.order.model import Channel, Event, Order
from zhongtai.platform.order.query import OrderQuery, page
from zhongtai.platform.order.repository import (
    DaySequences,
    DuplicateKey,
    OrderRepository,
    PushLog,
    stale,
)
from zhongtai.platform.order.status import MainStatus, RefundStatus
from zhongtai.platform.uow import InMemoryUnitOfWork


class FakeOrderRepository(OrderRepository):
    def __init__(self, rows: dict[int, Order], outbox: dict[int, Event], ids: IdAllocator):
        self.rows, self.outbox, self.ids = rows, outbox, ids

    def _find(self, predicate) -> Order | None:
        found = [o for o in self.rows.values() if predicate(o)]
        return copy.deepcopy(found[0]) if found else None

    def get(
        self, order_no: str, *, for_update: bool = False, lines: bool = True, history: bool = True
    ) -> Order | None:
        return self._find(lambda o: o.order_no == order_no)

    def get_many(self, order_nos: list[str], *, for_update: bool = False) -> list[Order]:
        wanted = set(order_nos)
        return [copy.deepcopy(o) for _, o in sorted(self.rows.items()) if o.order_no in wanted]

    def get_by_channel(
        self, channel: Channel, channel_order_id: str, *, lines: bool = True
    ) -> Order | None:
        return self._find(lambda o: o.channel == channel and o.channel_order_id == channel_order_id)

    def add(self, order: Order) -> None:
        for other in self.rows.values():
            same_channel_id = order.channel_order_id is not None and (
                (other.channel, other.channel_order_id) == (order.channel, order.channel_order_id)
            )
            if other.id == order.id or other.order_no == order.order_no or same_channel_id:
                raise DuplicateKey(f"duplicate order {order.order_no}")
            if order.legacy_id is not None and other.legacy_id == order.legacy_id:
                raise DuplicateKey(f"duplicate legacy id {order.legacy_id}")
        self._store(order)

    def save(self, order: Order) -> None:
        current = self.rows.get(order.id)
        if current is None or current.version != order.version:
            raise stale(order)
        order.version += 1
        self._store(order)

    def _store(self, order: Order) -> None:
        for event in order.events:
            self.outbox[self.ids.next_id("order_event")] = event
        order.events.clear()
        self.rows[order.id] = copy.deepcopy(order)

    def search(self, query: OrderQuery) -> tuple[int, list[Order]]:
        total, found = page(list(self.rows.values()), query)
        return total, copy.deepcopy(found)

    def unclaimed(
        self,
        system: str,
        store_id: int,
        statuses: tuple[MainStatus, ...],
        limit: int,
        *,
        refund_statuses: tuple[RefundStatus, ...] = (),
        without_sub_status: bool = False,
    ) -> list[str]:
        def open_for(order: Order) -> bool:
            ref = order.external_refs.get(system)
            return ref is None or ref.state == "PENDING"

        found = [
            o
            for _, o in sorted(self.rows.items())
            if o.store_id == store_id
            and o.main_status in statuses
            and o.deleted_at is None
            and open_for(o)
            and (not refund_statuses or o.refund_status in refund_statuses)
            and not (without_sub_status and o.sub_status is not None)
        ]
        return [o.order_no for o in found[:limit]]

    def events_after(self, after_id: int, limit: int) -> list[tuple[int, Event]]:
        return [(i, e) for i, e in sorted(self.outbox.items()) if i > after_id][:limit]


class FakePushLog(PushLog):
    def __init__(self, rows: dict[tuple[str, str, str], int]) -> None:
        self.rows = rows

    def seen(self, channel: str, channel_order_id: str, push_type: str) -> int | None:
        return self.rows.get((channel, channel_order_id, push_type))

    def record(
        self, channel: str, channel_order_id: str, push_type: str, order_id: int, now: datetime
    ) -> None:
        key = (channel, channel_order_id, push_type)
        if key in self.rows:
            raise DuplicateKey(f"push {key} already recorded")
        self.rows[key] = order_id


class FakeDaySequences(DaySequences):
    def __init__(self, rows: dict[tuple[int, date], int]) -> None:
        self.rows = rows

    def next(self, store_id: int, business_day: date) -> int:
        value = self.rows.get((store_id, business_day), 0) + 1
        self.rows[(store_id, business_day)] = value
        return value


class FakePullCursors(PullCursors):
    """The in-memory twin for unit tests (rows: (channel, store id) → (cursor, pulled_at))."""

    def __init__(self, rows: dict[tuple[str, int], tuple[str | None, datetime]]) -> None:
        self.rows = rows

    def get(self, channel: Channel, store_id: int) -> PullCursor:
        cursor, pulled_at = self.rows.get((str(channel), store_id), (None, None))
        return PullCursor(channel, store_id, cursor, pulled_at)

    def save(self, channel: Channel, store_id: int, cursor: str | None, now: datetime) -> None:
        stored, _ = self.rows.get((str(channel), store_id), (None, None))
        self.rows[(str(channel), store_id)] = (stored if cursor is None else cursor, now)


class FakeOrderUnitOfWork(InMemoryUnitOfWork):
    orders: OrderRepository
    pushes: PushLog
    day_sequences: DaySequences
    pull_cursors: PullCursors
    ids: IdAllocator

    def _open(self) -> None:
        rows, outbox = self.table("orders"), self.table("order_outbox")
        self.ids = MemoryIdAllocator(
            self.table("id_counter"), {"order": rows, "order_event": outbox}
        )
        self.orders = FakeOrderRepository(rows, outbox, self.ids)
        self.pushes = FakePushLog(self.table("channel_pushes"))
        self.day_sequences = FakeDaySequences(self.table("day_sequences"))
        self.pull_cursors = FakePullCursors(self.table("pull_cursors"))
