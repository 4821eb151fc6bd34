"""Backfill state in the state database: plans, per-partition checkpoints, quarantine.

Tables (created here with ``create_all`` of this module's own metadata; other migrate parts
keep their state tables in their own modules):

``migrate_backfill``            one row per mapping: planned total, chunk size, finished_at.
``migrate_backfill_partition``  one row per key-range partition: ``(lo, hi]``, the last key
                                committed, counters, and an ``owner`` token that fences off a
                                stale worker (a resumed run takes the partition over).
``migrate_quarantine``          one row per source row that could not be mapped, with reason.

A chunk's checkpoint and its quarantine rows commit in one state transaction, *after* the
chunk's target rows committed. A crash between the two replays that chunk on resume; the
target upsert is idempotent, so the end state is the same as an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()

backfill_run = sa.Table(
    "migrate_backfill",
    metadata,
    sa.Column("mapping", sa.String(64), primary_key=True),
    sa.Column("total_rows", sa.BigInteger, nullable=False),
    sa.Column("chunk_size", sa.Integer, nullable=False),
    sa.Column("partitions", sa.Integer, nullable=False),
    sa.Column("planned_at", sa.DateTime, nullable=False),  # naive UTC
    sa.Column("finished_at", sa.DateTime),
)

partition = sa.Table(
    "migrate_backfill_partition",
    metadata,
    sa.Column("mapping", sa.String(64), primary_key=True),
    sa.Column("part", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("lo", sa.BigInteger, nullable=False),  # exclusive
    sa.Column("hi", sa.BigInteger),  # inclusive; NULL: no upper bound (rows added later too)
    sa.Column("last_key", sa.BigInteger, nullable=False),
    sa.Column("rows_read", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_written", sa.BigInteger, nullable=False, default=0),
    sa.Column("quarantined", sa.BigInteger, nullable=False, default=0),
    sa.Column("chunks_done", sa.Integer, nullable=False, default=0),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
    sa.Column("owner", sa.String(40)),
    sa.Column("updated_at", sa.DateTime),
)

quarantine = sa.Table(
    "migrate_quarantine",
    metadata,
    sa.Column("mapping", sa.String(64), primary_key=True),
    sa.Column("source_key", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)


class Fenced(RuntimeError):
    """This worker no longer owns its partition: a resumed run took it over."""


@dataclass(frozen=True)
class Partition:
    mapping: str
    part: int
    lo: int
    hi: int | None
    last_key: int
    rows_read: int = 0
    rows_written: int = 0
    quarantined: int = 0
    chunks_done: int = 0
    done: bool = False


def now() -> datetime:
    """The time the state tables record: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_state(engine: Engine) -> None:
    """Create the backfill state tables that do not exist yet."""
    metadata.create_all(engine)


def state_exists(conn: Connection) -> bool:
    return sa.inspect(conn).has_table(partition.name)


def plan(
    conn: Connection,
    mapping: str,
    ranges: Sequence[tuple[int, int | None]],
    *,
    total: int,
    chunk_size: int,
) -> list[Partition]:
    """Start ``mapping`` afresh: forget its old checkpoints and quarantine, store the ranges."""
    for table in (partition, quarantine, backfill_run):
        conn.execute(sa.delete(table).where(table.c.mapping == mapping))
    conn.execute(
        sa.insert(backfill_run).values(
            mapping=mapping,
            total_rows=total,
            chunk_size=chunk_size,
            partitions=len(ranges),
            planned_at=now(),
        )
    )
    parts = [Partition(mapping, i, lo, hi, lo) for i, (lo, hi) in enumerate(ranges)]
    conn.execute(
        sa.insert(partition),
        [
            {
                "mapping": p.mapping,
                "part": p.part,
                "lo": p.lo,
                "hi": p.hi,
                "last_key": p.last_key,
                "rows_read": 0,
                "rows_written": 0,
                "quarantined": 0,
                "chunks_done": 0,
                "done": False,
                "updated_at": now(),
            }
            for p in parts
        ],
    )
    return parts


def run_info(conn: Connection, mapping: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(backfill_run).where(backfill_run.c.mapping == mapping)).first()
    return dict(row._mapping) if row else None


def partitions(conn: Connection, mapping: str) -> list[Partition]:
    c = partition.c
    rows = conn.execute(sa.select(partition).where(c.mapping == mapping).order_by(c.part))
    return [
        Partition(**{k: v for k, v in r._mapping.items() if k not in ("owner", "updated_at")})
        for r in rows
    ]


def claim(conn: Connection, mapping: str, part: int, owner: str) -> None:
    """Take partition ``part`` over for ``owner`` (fencing any earlier worker)."""
    c = partition.c
    conn.execute(
        sa.update(partition)
        .where(c.mapping == mapping, c.part == part)
        .values(owner=owner, updated_at=now())
    )


def commit_chunk(
    conn: Connection,
    p: Partition,
    owner: str,
    *,
    first_key: int,
    last_key: int,
    rows_read: int,
    rows_written: int,
    quarantined: Iterable[tuple[int, str, str]],
) -> Partition:
    """Record one chunk ``[first_key, last_key]``: its quarantine rows and the new checkpoint."""
    c = partition.c
    bad = list(quarantined)
    q = quarantine.c
    conn.execute(
        sa.delete(quarantine).where(
            q.mapping == p.mapping, q.source_key >= first_key, q.source_key <= last_key
        )
    )
    if bad:
        at = now()
        conn.execute(
            sa.insert(quarantine),
            [
                {
                    "mapping": p.mapping,
                    "source_key": key,
                    "reason": reason[:64],
                    "detail": detail[:2000],
                    "recorded_at": at,
                }
                for key, reason, detail in bad
            ],
        )
    new = Partition(
        p.mapping,
        p.part,
        p.lo,
        p.hi,
        last_key,
        p.rows_read + rows_read,
        p.rows_written + rows_written,
        p.quarantined + len(bad),
        p.chunks_done + 1,
        False,
    )
    result = conn.execute(
        sa.update(partition)
        .where(c.mapping == p.mapping, c.part == p.part, c.owner == owner)
        .values(
            last_key=new.last_key,
            rows_read=new.rows_read,
            rows_written=new.rows_written,
            quarantined=new.quarantined,
            chunks_done=new.chunks_done,
            updated_at=now(),
        )
    )
    if result.rowcount != 1:
        raise Fenced(f"partition {p.part} of {p.mapping} was taken over by another run")
    return new


def finish_partition(conn: Connection, p: Partition, owner: str) -> None:
    c = partition.c
    result = conn.execute(
        sa.update(partition)
        .where(c.mapping == p.mapping, c.part == p.part, c.owner == owner)
        .values(done=True, updated_at=now())
    )
    if result.rowcount != 1:
        raise Fenced(f"partition {p.part} of {p.mapping} was taken over by another run")


def finish_run(conn: Connection, mapping: str) -> None:
    conn.execute(
        sa.update(backfill_run).where(backfill_run.c.mapping == mapping).values(finished_at=now())
    )


def quarantine_reasons(conn: Connection, mapping: str) -> list[tuple[str, int, str]]:
    """(reason, count, one example detail) for a mapping's quarantined rows, commonest first."""
    q = quarantine.c
    rows = conn.execute(
        sa.select(q.reason, sa.func.count(), sa.func.min(q.detail))
        .where(q.mapping == mapping)
        .group_by(q.reason)
        .order_by(sa.func.count().desc(), q.reason)
    )
    return [(r[0], int(r[1]), r[2] or "") for r in rows]
