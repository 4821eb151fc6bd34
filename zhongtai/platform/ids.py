"""Application-generated ids, allocated inside the caller's transaction.

Why not autoincrement: PostgreSQL sequences and InnoDB ``AUTO_INCREMENT`` counters are not
transactional, so a rolled-back dry run would burn ids, the real call would then get a
different id than the dry run reported, and the database would not be byte-identical
afterwards. Here a per-center ``id_counter`` row is read ``FOR UPDATE`` and bumped in the same
transaction as the insert: a rollback undoes both, and the dry run reports exactly the id the
real call gets next (absent concurrent writers).

Legacy ids are preserved: rows migrated from the monolith keep their legacy primary key.
Rows born on the platform get ids from ``max(counter, max(id) + 1)`` with the counter starting
at :data:`PLATFORM_ID_BASE`, far above legacy autoincrement ranges, so rows still arriving from
legacy (synced with their own ids) and rows born on the platform do not collide.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

PLATFORM_ID_BASE = 1_000_000_000_000  # 10**12: above legacy ids, below 2**53 (safe in JSON/JS)


def id_counter_table(metadata: sa.MetaData) -> sa.Table:
    """The ``id_counter`` table every center includes in its own metadata."""
    return sa.Table(
        "id_counter",
        metadata,
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("next_id", sa.BigInteger, nullable=False),
    )


class IdAllocator(abc.ABC):
    """Hands out the next id for an entity kind (``"store"``, ``"sku"``...)."""

    @abc.abstractmethod
    def next_id(self, kind: str) -> int: ...


class SqlIdAllocator(IdAllocator):
    """Allocate from ``id_counter`` on ``connection``, skipping ids already present."""

    def __init__(
        self, connection: Connection, counter: sa.Table, id_columns: Mapping[str, sa.Column]
    ) -> None:
        self.connection = connection
        self.counter = counter
        self.id_columns = id_columns

    def next_id(self, kind: str) -> int:
        column = self.id_columns.get(kind)
        if column is None:
            raise KeyError(f"no id column registered for {kind!r}")
        read, write, insert = _counter_statements(self.counter, column)
        key = {"b_name": kind}
        # The counter row (locked) and the highest stored id, in one statement.
        row = self.connection.execute(read, key).first()
        if row is None:
            highest = self.connection.execute(_max_statement(column)).scalar()
        else:
            highest = row.highest
        new_id = max(row.next_id if row else PLATFORM_ID_BASE, (highest or 0) + 1)
        if row is None:
            self.connection.execute(insert, {"name": kind, "next_id": new_id + 1})
        else:
            self.connection.execute(write, {**key, "next_id": new_id + 1})
        return new_id


# Built once per counter table / id column: SQLAlchemy then reuses the expression and its
# cache key instead of rebuilding both on every allocation.
# Keyed by object identity: tables and columns are module-level and live as long as the process
# (and a Column's ``==`` builds an expression, so it must never be compared as a key).
_COUNTER_STATEMENTS: dict[tuple[int, int], tuple] = {}
_MAX_STATEMENTS: dict[int, sa.Select] = {}


def _counter_statements(counter: sa.Table, column: sa.Column) -> tuple:
    found = _COUNTER_STATEMENTS.get((id(counter), id(column)))
    if found is None:
        c = counter.c
        by_name = c.name == sa.bindparam("b_name")
        highest = _max_statement(column).scalar_subquery().label("highest")
        found = _COUNTER_STATEMENTS[id(counter), id(column)] = (
            sa.select(c.next_id, highest).where(by_name).with_for_update(),
            sa.update(counter).where(by_name),
            sa.insert(counter),
        )
    return found


def _max_statement(column: sa.Column) -> sa.Select:
    found = _MAX_STATEMENTS.get(id(column))
    if found is None:
        found = _MAX_STATEMENTS[id(column)] = sa.select(sa.func.max(column))
    return found


class MemoryIdAllocator(IdAllocator):
    """The fakes' allocator: counters live in an in-memory table, so rollback undoes them."""

    def __init__(self, counters: dict[str, int], existing: Mapping[str, Mapping[int, object]]):
        self.counters = counters
        self.existing = existing

    def next_id(self, kind: str) -> int:
        rows = self.existing.get(kind, {})
        highest = max(rows, default=0)
        new_id = max(self.counters.get(kind, PLATFORM_ID_BASE), highest + 1)
        self.counters[kind] = new_id + 1
        return new_id
