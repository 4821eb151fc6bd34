"""Sync state in the state database: cursors, deferred keys, and sync-time quarantine.

``migrate_sync_cursor``    one row per (direction, source database): the last change id
                           applied, counters and when the last batch ran. The change log is
                           consumed like a queue (see :mod:`zhongtai.migrate.changelog`), so
                           the cursor is the record of progress that ``migrate status`` shows.
``migrate_sync_deferred``  (direction, mapping, key) that could not be applied yet, with why:
                           the mapping's backfill had not finished (a backfill chunk read
                           before the change could overwrite it), or a reverse-synced row's
                           parent is not in legacy yet. Retried on every batch.
``migrate_sync_agreed``    the last state of each versioned row both systems held (see
                           :mod:`zhongtai.migrate.agreed`): what a merge of two concurrent
                           writes starts from.

Rows a transform cannot map during sync go to the backfill's ``migrate_quarantine`` table,
the one place that lists unmappable rows with their reasons; a later change that maps cleanly
takes the row out again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhongtai.migrate import agreed, checkpoints
from zhongtai.migrate.checkpoints import now

metadata = sa.MetaData()

cursor_table = sa.Table(
    "migrate_sync_cursor",
    metadata,
    sa.Column("direction", sa.String(8), primary_key=True),  # forward | reverse
    sa.Column("source", sa.String(16), primary_key=True),  # the database the log is in
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("batches", sa.BigInteger, nullable=False),
    sa.Column("changes_read", sa.BigInteger, nullable=False),
    sa.Column("changes_applied", sa.BigInteger, nullable=False),
    sa.Column("changes_skipped", sa.BigInteger, nullable=False),  # echoes of the other syncer
    sa.Column("updated_at", sa.DateTime, nullable=False),  # naive UTC
)

deferred_table = sa.Table(
    "migrate_sync_deferred",
    metadata,
    sa.Column("direction", sa.String(8), primary_key=True),
    sa.Column("mapping", sa.String(64), primary_key=True),
    sa.Column("row_key", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("since", sa.DateTime, nullable=False),  # naive UTC
)

IN_BATCH = 1_000


@dataclass(frozen=True)
class Cursor:
    direction: str
    source: str
    last_id: int = 0
    batches: int = 0
    changes_read: int = 0
    changes_applied: int = 0
    changes_skipped: int = 0
    updated_at: datetime | None = None


def ensure_state(engine: Engine) -> None:
    """Create the sync state tables (and the shared quarantine table) when missing."""
    metadata.create_all(engine)
    checkpoints.ensure_state(engine)
    agreed.ensure_state(engine)


def has_state(conn: Connection) -> bool:
    return sa.inspect(conn).has_table(cursor_table.name)


def load_cursor(conn: Connection, direction: str, source: str) -> Cursor:
    c = cursor_table.c
    row = conn.execute(
        sa.select(cursor_table).where(c.direction == direction, c.source == source)
    ).first()
    return Cursor(**row._mapping) if row else Cursor(direction, source)


def advance(conn: Connection, cursor: Cursor, *, last_id: int, read: int, applied: int,
            skipped: int) -> Cursor:  # fmt: skip
    """Record one batch: the highest id consumed and the counters."""
    new = Cursor(
        cursor.direction,
        cursor.source,
        max(cursor.last_id, last_id),
        cursor.batches + 1,
        cursor.changes_read + read,
        cursor.changes_applied + applied,
        cursor.changes_skipped + skipped,
        now(),
    )
    c = cursor_table.c
    values = {k: v for k, v in vars(new).items() if k not in ("direction", "source")}
    done = conn.execute(
        sa.update(cursor_table)
        .where(c.direction == new.direction, c.source == new.source)
        .values(**values)
    ).rowcount
    if not done:
        conn.execute(sa.insert(cursor_table).values(**vars(new)))
    return new


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), IN_BATCH):
        yield values[i : i + IN_BATCH]


def defer(conn: Connection, direction: str, mapping: str, keys: Iterable[int], reason: str) -> int:
    """Remember ``keys`` of ``mapping`` for a later batch; an older entry keeps its ``since``."""
    wanted = sorted(set(keys))
    if not wanted:
        return 0
    d = deferred_table.c
    have: set[int] = set()
    for batch in _chunks(wanted):
        have.update(
            conn.execute(
                sa.select(d.row_key).where(
                    d.direction == direction, d.mapping == mapping, d.row_key.in_(batch)
                )
            ).scalars()
        )
    fresh = [k for k in wanted if k not in have]
    if fresh:
        at = now()
        conn.execute(
            sa.insert(deferred_table),
            [
                {"direction": direction, "mapping": mapping, "row_key": k, "reason": reason,
                 "since": at}
                for k in fresh
            ],
        )  # fmt: skip
    return len(fresh)


def deferred_keys(conn: Connection, direction: str, mapping: str, limit: int) -> list[int]:
    d = deferred_table.c
    return list(
        conn.execute(
            sa.select(d.row_key)
            .where(d.direction == direction, d.mapping == mapping)
            .order_by(d.row_key)
            .limit(limit)
        ).scalars()
    )


def undefer(conn: Connection, direction: str, mapping: str, keys: Iterable[int]) -> None:
    d = deferred_table.c
    for batch in _chunks(sorted(set(keys))):
        conn.execute(
            sa.delete(deferred_table).where(
                d.direction == direction, d.mapping == mapping, d.row_key.in_(batch)
            )
        )


def deferred_summary(conn: Connection, direction: str) -> dict[str, tuple[int, datetime, str]]:
    """mapping → (deferred keys, oldest ``since``, one reason)."""
    d = deferred_table.c
    rows = conn.execute(
        sa.select(d.mapping, sa.func.count(), sa.func.min(d.since), sa.func.min(d.reason))
        .where(d.direction == direction)
        .group_by(d.mapping)
    )
    return {r[0]: (int(r[1]), r[2], r[3]) for r in rows}


def quarantine(conn: Connection, mapping: str, bad: dict[int, tuple[str, str]],
               good: Iterable[int]) -> None:  # fmt: skip
    """Record rows sync could not map (key → reason, detail); clear those it now maps."""
    q = checkpoints.quarantine.c
    keys = sorted(set(bad) | set(good))
    for batch in _chunks(keys):
        conn.execute(
            sa.delete(checkpoints.quarantine).where(q.mapping == mapping, q.source_key.in_(batch))
        )
    if bad:
        at = now()
        conn.execute(
            sa.insert(checkpoints.quarantine),
            [
                {"mapping": mapping, "source_key": k, "reason": r[:64], "detail": d[:2000],
                 "recorded_at": at}
                for k, (r, d) in sorted(bad.items())
            ],
        )  # fmt: skip
