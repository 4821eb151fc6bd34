"""Order repositories: the abstract interfaces and their SQLAlchemy Core implementations.

The in-memory twins are in :mod:`zhongtai.platform.order.fakes`. Saving an order is
optimistic on ``version`` (a writer that loaded an older version gets a Conflict), appends
only the new history rows, rewrites the handful of external references, and moves the
order's pending events into the outbox in the same transaction.
"""

from __future__ import annotations

import abc
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from zhongtai.platform.errors import Conflict
from zhongtai.platform.ids import IdAllocator
from zhongtai.platform.order import tables as t
from zhongtai.platform.order.model import Channel, Event, Order
from zhongtai.platform.order.query import OrderQuery
from zhongtai.platform.order.rows import (
    event_row,
    history_rows,
    order_from_rows,
    order_row,
    ref_rows,
    static_rows,
)
from zhongtai.platform.order.sequences import next_day_value
from zhongtai.platform.order.status import OPEN_REFUNDS, MainStatus, RefundStatus


class DuplicateKey(Conflict):
    """An insert hit a unique key (order number, channel order id, push key)."""

    default_code = "DUPLICATE_KEY"


class OrderRepository(abc.ABC):
    """Load and save :class:`Order` aggregates; read the outbox."""

    @abc.abstractmethod
    def get(
        self, order_no: str, *, for_update: bool = False, lines: bool = True, history: bool = True
    ) -> Order | None:
        """The order with this number, deleted or not. ``lines=False`` leaves its items and
        discounts empty (written once at creation, never saved back: fine for any command
        whose answer shows no lines); ``history=False`` leaves its history empty too (a
        header read, never to be saved)."""

    @abc.abstractmethod
    def get_many(self, order_nos: list[str], *, for_update: bool = False) -> list[Order]:
        """The orders with these numbers, in id order (missing ones left out)."""

    @abc.abstractmethod
    def get_by_channel(
        self, channel: Channel, channel_order_id: str, *, lines: bool = True
    ) -> Order | None:
        """The order a channel knows by this id; ``lines=False``: a header read (no lines,
        discounts or history)."""

    @abc.abstractmethod
    def add(self, order: Order) -> None:
        """Insert a new order (its ``id`` already set) and its events."""

    @abc.abstractmethod
    def save(self, order: Order) -> None:
        """Write back a loaded order; Conflict if someone saved it since it was loaded."""

    @abc.abstractmethod
    def search(self, query: OrderQuery) -> tuple[int, list[Order]]:
        """The number of matches and one page of them."""

    @abc.abstractmethod
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
        """Numbers of live orders of the store in ``statuses`` not yet handed to ``system``
        (no reference row, or one in PENDING), oldest (lowest id) first; optionally only in
        ``refund_statuses`` and only without a sub-status."""

    @abc.abstractmethod
    def events_after(self, after_id: int, limit: int) -> list[tuple[int, Event]]: ...


class PushLog(abc.ABC):
    """Inbound channel pushes already applied, keyed (channel, channel order id, push type)."""

    @abc.abstractmethod
    def seen(self, channel: str, channel_order_id: str, push_type: str) -> int | None:
        """The order id the push was applied to, or None if it is new."""

    @abc.abstractmethod
    def record(
        self, channel: str, channel_order_id: str, push_type: str, order_id: int, now: datetime
    ) -> None: ...


class DaySequences(abc.ABC):
    @abc.abstractmethod
    def next(self, store_id: int, business_day: date) -> int:
        """Take the next number of the store's business day (the first is 1)."""


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the driver reports a unique/primary key violation (not NOT NULL, not FK)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL (psycopg)
        return True
    if orig is not None and getattr(orig, "args", None) and orig.args[0] == 1062:  # MariaDB
        return True
    return "UNIQUE constraint failed" in str(orig)  # SQLite


def stale(order: Order) -> Conflict:
    return Conflict(
        f"order {order.order_no} was changed by someone else since version {order.version}",
        code="VERSION_CONFLICT",
        hint="load the order again and retry",
        details={"version": order.version},
    )


# Statements of the hot paths, built once: SQLAlchemy then neither rebuilds the expression
# nor recomputes its cache key per call (both cost more than running the statement on SQLite).
_CHILDREN = (
    ("items", t.order_items, t.order_items.c.line_no),
    ("discounts", t.order_discounts, t.order_discounts.c.seq),
    ("history", t.order_status_history, t.order_status_history.c.seq),
    ("refs", t.external_refs, t.external_refs.c.system),
)
_IDS = sa.bindparam("ids", expanding=True)


def _child_read(table: sa.Table, key: sa.Column, *, many: bool, locking: bool) -> sa.Select:
    # One order (the usual case) reads by equality: an expanding IN list costs a
    # post-compile step on every execution.
    match = table.c.order_id.in_(_IDS) if many else table.c.order_id == sa.bindparam("id")
    stmt = sa.select(table).where(match).order_by(key)
    return stmt.with_for_update() if locking else stmt


_CHILD_READS = {
    (name, many, locking): _child_read(table, key, many=many, locking=locking)
    for name, table, key in _CHILDREN
    for many in (False, True)
    for locking in (False, True)
}
_BY_NO = t.orders.c.order_no == sa.bindparam("b_order_no")
_BY_CHANNEL = (t.orders.c.channel == sa.bindparam("b_channel")) & (
    t.orders.c.channel_order_id == sa.bindparam("b_channel_order_id")
)
_HEADER_BY_NO = {
    False: sa.select(t.orders).where(_BY_NO),
    True: sa.select(t.orders).where(_BY_NO).with_for_update(),
}
_HEADER_BY_CHANNEL = sa.select(t.orders).where(_BY_CHANNEL)
_SAVE_HEADER = sa.update(t.orders).where(
    (t.orders.c.id == sa.bindparam("b_id")) & (t.orders.c.version == sa.bindparam("b_version"))
)
_COUNT_HISTORY = (
    sa.select(sa.func.count())
    .select_from(t.order_status_history)
    .where(t.order_status_history.c.order_id == sa.bindparam("b_order_id"))
)
_DELETE_REFS = sa.delete(t.external_refs).where(
    t.external_refs.c.order_id == sa.bindparam("b_order_id")
)
_INSERTS = {
    table.name: sa.insert(table)
    for table in (
        t.orders,
        t.order_items,
        t.order_discounts,
        t.order_status_history,
        t.external_refs,
        t.order_outbox,
    )
}


class SqlOrderRepository(OrderRepository):
    def __init__(self, connection: Connection, ids: IdAllocator) -> None:
        self.conn = connection
        self.ids = ids
        # order id -> (history rows stored, its reference rows) as loaded in this transaction:
        # the version guard of ``save`` proves both are still what is stored, so a save
        # need not count the history again nor rewrite references that did not change.
        self._stored: dict[int, tuple[int, list[dict]]] = {}

    def _load(
        self,
        where,
        *,
        for_update=False,
        order_by=None,
        limit=None,
        offset=0,
        lines=True,
        history=True,
        query=None,
        params=None,
    ):
        # ``query``/``params``: a prebuilt header statement and its values (hot paths);
        # otherwise the header query is built from ``where``.
        if query is None:
            query = sa.select(t.orders).where(where)
            if order_by is not None:
                query = query.order_by(*order_by).limit(limit).offset(offset)
            if for_update:
                query = query.with_for_update()
        headers = self.conn.execute(query, params).mappings().all()
        if not headers:
            return []
        ids = [h["id"] for h in headers]
        children = {}
        for name, _table, _key in _CHILDREN:
            grouped: dict[int, list] = {i: [] for i in ids}
            children[name] = grouped
            if (not lines and name in ("items", "discounts")) or (
                not history and name == "history"
            ):
                continue  # each child table skipped is one query fewer
            # A locking read sees the latest commit under MariaDB's REPEATABLE READ too.
            many = len(ids) > 1
            stmt = _CHILD_READS[name, many, bool(for_update)]
            params = {"ids": ids} if many else {"id": ids[0]}
            for row in self.conn.execute(stmt, params).mappings():
                grouped[row["order_id"]].append(row)
        orders = [
            order_from_rows(
                h, *(children[n][h["id"]] for n in ("items", "discounts", "history", "refs"))
            )
            for h in headers
        ]
        for o in orders:  # a header read (no history) cannot vouch for what is stored
            if history:
                self._stored[o.id] = (len(o.history), ref_rows(o))
            else:
                self._stored.pop(o.id, None)
        return orders

    def get(
        self, order_no: str, *, for_update: bool = False, lines: bool = True, history: bool = True
    ) -> Order | None:
        found = self._load(
            None,
            for_update=for_update,
            lines=lines,
            history=history,
            query=_HEADER_BY_NO[bool(for_update)],
            params={"b_order_no": order_no},
        )
        return found[0] if found else None

    def get_many(self, order_nos: list[str], *, for_update: bool = False) -> list[Order]:
        if not order_nos:
            return []
        where = t.orders.c.order_no.in_(order_nos)
        return self._load(where, for_update=for_update, order_by=[t.orders.c.id])

    def get_by_channel(
        self, channel: Channel, channel_order_id: str, *, lines: bool = True
    ) -> Order | None:
        params = {"b_channel": channel.value, "b_channel_order_id": channel_order_id}
        found = self._load(
            None, lines=lines, history=lines, query=_HEADER_BY_CHANNEL, params=params
        )
        return found[0] if found else None

    def add(self, order: Order) -> None:
        try:
            self.conn.execute(_INSERTS["orders"], order_row(order))
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            raise DuplicateKey(
                f"order {order.order_no} collides with a stored order (number, channel id or "
                "legacy id)"
            ) from exc
        for table, rows in static_rows(order):
            if rows:
                self.conn.execute(_INSERTS[table.name], rows)
        self._append(order, already=0, refs=ref_rows(order))

    def save(self, order: Order) -> None:
        row = order_row(order)
        del row["id"]
        row["version"] = order.version + 1
        row["b_id"], row["b_version"] = order.id, order.version
        result = self.conn.execute(_SAVE_HEADER, row)
        if result.rowcount != 1:
            raise stale(order)
        order.version += 1
        known = self._stored.get(order.id)
        if known is None:
            stored = self.conn.execute(_COUNT_HISTORY, {"b_order_id": order.id}).scalar_one()
        else:
            stored = known[0]
        refs = ref_rows(order)
        if known is not None and known[1] == refs:
            refs = []  # unchanged: leave the stored rows alone
        else:
            self.conn.execute(_DELETE_REFS, {"b_order_id": order.id})
        self._append(order, already=stored, refs=refs)

    def _append(self, order: Order, *, already: int, refs: list[dict]) -> None:
        # Inserts the history past ``already``, the given reference rows and the pending
        # events, and remembers what is now stored for a later save in this transaction.
        new_history = history_rows(order, start=already)
        if new_history:
            self.conn.execute(_INSERTS["order_status_history"], new_history)
        if refs:
            self.conn.execute(_INSERTS["external_refs"], refs)
        self._stored[order.id] = (len(order.history), ref_rows(order))
        events = [event_row(self.ids.next_id("order_event"), e) for e in order.events]
        if events:
            self.conn.execute(_INSERTS["order_outbox"], events)
        order.events.clear()

    def _where(self, q: OrderQuery):
        c = t.orders.c
        where = sa.true()
        if not q.include_deleted:
            where &= c.deleted_at.is_(None)
        if q.store_id is not None:
            where &= c.store_id == q.store_id
        if q.main_statuses:
            where &= c.main_status.in_([s.value for s in q.main_statuses])
        if q.refund_statuses:
            refund = c.refund_status.in_([s.value for s in q.refund_statuses])
            if q.open_refund_sub_status is not None:
                refund |= c.refund_status.in_([s.value for s in OPEN_REFUNDS]) & (
                    c.sub_status == q.open_refund_sub_status
                )
            where &= refund
        if q.channel is not None:
            where &= c.channel == q.channel.value
        if q.member_id is not None:
            where &= c.member_id == q.member_id
        if q.member_account is not None:
            account = c.customer_snapshot["member_account"].as_integer()
            where &= account == q.member_account
        if q.sub_status is not None:
            where &= c.sub_status == q.sub_status
        if q.no_sub_status:
            where &= c.sub_status.is_(None)
        if q.not_sub_status is not None:
            where &= c.sub_status.is_(None) | (c.sub_status != q.not_sub_status)
        if q.placed_from is not None:
            where &= c.placed_at >= q.placed_from
        if q.placed_to is not None:
            where &= c.placed_at < q.placed_to
        if q.phone_digits is not None:
            where &= c.phone_search.contains(q.phone_digits, autoescape=True)
        return where

    def search(self, query: OrderQuery) -> tuple[int, list[Order]]:
        where = self._where(query)
        total = self.conn.execute(
            sa.select(sa.func.count()).select_from(t.orders).where(where)
        ).scalar_one()
        column = getattr(t.orders.c, query.sort.lstrip("-"))
        desc = query.sort.startswith("-")
        order_by = [column.desc(), t.orders.c.id.desc()] if desc else [column, t.orders.c.id]
        found = self._load(where, order_by=order_by, limit=query.size, offset=query.offset)
        return total, found

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
        c, r = t.orders.c, t.external_refs.c
        handed = sa.exists().where(
            (r.order_id == c.id) & (r.system == system) & (r.state != "PENDING")
        )
        where = (
            (c.store_id == store_id)
            & c.main_status.in_([s.value for s in statuses])
            & c.deleted_at.is_(None)
            & ~handed
        )
        if refund_statuses:
            where &= c.refund_status.in_([s.value for s in refund_statuses])
        if without_sub_status:
            where &= c.sub_status.is_(None)
        stmt = sa.select(c.order_no).where(where).order_by(c.id).limit(limit)
        return list(self.conn.execute(stmt).scalars())

    def events_after(self, after_id: int, limit: int) -> list[tuple[int, Event]]:
        o = t.order_outbox.c
        rows = self.conn.execute(
            sa.select(t.order_outbox).where(o.id > after_id).order_by(o.id).limit(limit)
        ).mappings()
        return [
            (r["id"], Event(r["kind"], r["order_no"], r["payload"], r["created_at"])) for r in rows
        ]


_PUSH_SEEN = sa.select(t.channel_pushes.c.order_id).where(
    (t.channel_pushes.c.channel == sa.bindparam("b_channel"))
    & (t.channel_pushes.c.channel_order_id == sa.bindparam("b_channel_order_id"))
    & (t.channel_pushes.c.push_type == sa.bindparam("b_push_type"))
)
_PUSH_RECORD = sa.insert(t.channel_pushes)


class SqlPushLog(PushLog):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def seen(self, channel: str, channel_order_id: str, push_type: str) -> int | None:
        key = {"b_channel": channel, "b_channel_order_id": channel_order_id}
        return self.conn.execute(_PUSH_SEEN, {**key, "b_push_type": push_type}).scalar()

    def record(
        self, channel: str, channel_order_id: str, push_type: str, order_id: int, now: datetime
    ) -> None:
        try:
            self.conn.execute(
                _PUSH_RECORD,
                {
                    "channel": channel,
                    "channel_order_id": channel_order_id,
                    "push_type": push_type,
                    "order_id": order_id,
                    "received_at": now,
                },
            )
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            raise DuplicateKey(f"push {channel}/{channel_order_id}/{push_type} exists") from exc


class SqlDaySequences(DaySequences):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def next(self, store_id: int, business_day: date) -> int:
        return next_day_value(self.conn, store_id, business_day)
