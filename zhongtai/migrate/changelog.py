"""The change-log table the capture triggers fill, read and consumed like a queue.

Every row in ``zt_change_log`` is a change not yet applied: a syncer reads the lowest ids,
applies them (re-reading the rows they name), then deletes exactly the ids it applied. Ids
come from a sequence / AUTO_INCREMENT, which is *not* commit order: a transaction may take id
10, commit after id 11 was applied and only then become visible. Because consumed rows are
deleted rather than skipped by a high-water mark, such a late row is simply the next one read;
nothing below a cursor is ever assumed to be done. The cursor kept in the state database
(:mod:`zhongtai.migrate.syncstate`) records progress, not correctness.

Lag is measured with the database's own clock: now − ``captured_at`` of the oldest row left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine

from zhongtai.migrate.capture_sql import LOG_TABLE, ORIGIN_TABLE
from zhongtai.migrate.origin import SYNCERS

metadata = sa.MetaData()

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LogTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

change_log = sa.Table(
    LOG_TABLE,
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("row_key", sa.BigInteger, nullable=False),
    sa.Column("ref_key", sa.BigInteger),  # the parent's key, for child tables
    sa.Column("op", sa.String(1), nullable=False),  # I / U / D
    sa.Column("origin", sa.String(16), nullable=False),  # app / forward / reverse / merge
    sa.Column("captured_at", LogTime, nullable=False),  # UTC, database clock
    # AUTOINCREMENT on SQLite: never reuse the id of a consumed (deleted) row.
    sqlite_autoincrement=True,
)

# SQLite has no session variables: a syncer writes its origin here at the start of its
# transaction and deletes it before commit, so no other transaction ever sees the row.
origin_table = sa.Table(
    ORIGIN_TABLE,
    metadata,
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("origin", sa.String(16), nullable=False),
)

DELETE_BATCH = 1_000


@dataclass(frozen=True)
class Change:
    """One captured change: ``table``'s row ``key`` (and its parent ``ref``) was written."""

    id: int
    table: str
    key: int
    ref: int | None
    op: str
    origin: str


@dataclass(frozen=True)
class Backlog:
    """Changes not applied yet: how many, and the age in seconds of the oldest one."""

    count: int = 0
    oldest_seconds: float | None = None


def read_changes(conn: Connection, limit: int) -> list[Change]:
    """The ``limit`` lowest-id changes still in the log (all of them are unapplied)."""
    c = change_log.c
    rows = conn.execute(
        sa.select(c.id, c.table_name, c.row_key, c.ref_key, c.op, c.origin)
        .order_by(c.id)
        .limit(limit)
    )
    return [Change(int(r[0]), r[1], int(r[2]), r[3], r[4], r[5]) for r in rows]


def enqueue(conn: Connection, table: str, key: int, origin: str, ref: int | None = None) -> None:
    """Put one change in the log by hand, as a trigger would (in the caller's transaction):
    row ``key`` of ``table`` (``ref`` its parent's key) is to be carried again."""
    conn.execute(
        sa.insert(change_log).values(
            table_name=table,
            row_key=key,
            ref_key=ref,
            op="U",
            origin=origin,
            captured_at=_now_expression(conn.dialect.name),
        )
    )


def _now_expression(dialect: str) -> Any:
    """The database's clock now, in UTC, as the triggers stamp ``captured_at``."""
    if dialect == "sqlite":
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", "now")
    if dialect == "postgresql":
        return sa.literal_column("(clock_timestamp() AT TIME ZONE 'UTC')")
    return sa.func.utc_timestamp(6)


def last_change_id(conn: Connection) -> int:
    """The highest id in the log now (0 when it is empty)."""
    return int(conn.execute(sa.select(sa.func.max(change_log.c.id))).scalar() or 0)


def delete_changes(engine: Engine, ids: Sequence[int]) -> int:
    """Remove applied changes by id (never by range: a late commit may sit in between)."""
    if not ids:
        return 0
    deleted = 0
    # READ COMMITTED keeps InnoDB from taking gap locks that would stall the triggers.
    options = {"isolation_level": "READ COMMITTED"} if _is_mysql(engine) else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        ordered = sorted(ids)
        for i in range(0, len(ordered), DELETE_BATCH):
            batch = ordered[i : i + DELETE_BATCH]
            deleted += conn.execute(
                sa.delete(change_log).where(change_log.c.id.in_(batch))
            ).rowcount
    return deleted


def _is_mysql(engine: Engine | Connection) -> bool:
    return engine.dialect.name in ("mysql", "mariadb")


def _age_expression(dialect: str, column: Any) -> Any:
    """Seconds between ``column`` (naive UTC) and the database's own clock now."""
    if dialect == "sqlite":
        return (sa.func.julianday("now") - sa.func.julianday(column)) * 86400.0
    if dialect == "postgresql":
        now = sa.text("(clock_timestamp() AT TIME ZONE 'UTC')")
        return sa.func.extract("epoch", sa.literal_column(now.text) - column)
    return sa.func.timestampdiff(sa.text("MICROSECOND"), column, sa.func.utc_timestamp(6)) / 1e6


def backlog_by_table(conn: Connection) -> dict[str, Backlog]:
    """Per captured table: the changes left to apply and the age of the oldest."""
    c = change_log.c
    age = _age_expression(conn.dialect.name, sa.func.min(c.captured_at))
    # Rows a syncer wrote are only skipped when consumed: they are not changes waiting.
    rows = conn.execute(
        sa.select(c.table_name, sa.func.count(), age)
        .where(c.origin.not_in(sorted(SYNCERS)))
        .group_by(c.table_name)
    ).all()
    return {
        name: Backlog(int(count), max(0.0, float(seconds)) if seconds is not None else None)
        for name, count, seconds in rows
    }


def total_backlog(parts: dict[str, Backlog]) -> Backlog:
    """Sum of per-table backlogs; the oldest change of any table sets the age."""
    ages = [b.oldest_seconds for b in parts.values() if b.oldest_seconds is not None]
    return Backlog(sum(b.count for b in parts.values()), max(ages) if ages else None)


def log_exists(conn: Connection) -> bool:
    return sa.inspect(conn).has_table(LOG_TABLE)
