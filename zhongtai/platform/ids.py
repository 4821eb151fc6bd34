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
        c = self.counter.c
        row = self.connection.execute(
            sa.select(c.next_id).where(c.name == kind).with_for_update()
        ).first()
        highest = self.connection.execute(sa.select(sa.func.max(column))).scalar()
        new_id = max(row.next_id if row else PLATFORM_ID_BASE, (highest or 0) + 1)
        if row is None:
            self.connection.execute(sa.insert(self.counter).values(name=kind, next_id=new_id + 1))
        else:
            self.connection.execute(
                sa.update(self.counter).where(c.name == kind).values(next_id=new_id + 1)
            )
        return new_id


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
