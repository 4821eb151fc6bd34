"""Who wrote a change: the origin marker a syncer sets inside its own write transaction.

The capture triggers record the origin of the transaction that fired them (see
:mod:`zhongtai.migrate.capture_sql`). The forward syncer writes the centers as ``forward``, the
reverse syncer writes legacy as ``reverse``; each syncer applies only changes whose origin is
neither, so a change crosses once and never comes back.

* PostgreSQL: ``set_config('zhongtai.origin', …, true)`` — transaction-local by definition.
* MariaDB/MySQL: the user variable ``@zhongtai_origin``. It is session-scoped, so it is set at
  the start and cleared before commit (and on the way out of a failed transaction).
* SQLite: one row in ``zt_change_origin``, inserted first and deleted before commit. SQLite
  allows one writer at a time and the row never commits, so no other transaction can see it.
  Written only when that table exists (capture installed); without triggers there is nothing
  to tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhongtai.migrate.capture_sql import MYSQL_VARIABLE, ORIGIN_TABLE, PG_SETTING

APP = "app"
FORWARD = "forward"
REVERSE = "reverse"
# A row queued again by a syncer (see :mod:`.agreed`): carried like an application's write.
MERGE = "merge"
SYNCERS = frozenset({FORWARD, REVERSE})


def applies(origin: str) -> bool:
    """True for changes a syncer must carry: written by anyone but a zhongtai syncer."""
    return origin not in SYNCERS


def _sqlite_ready(conn: Connection) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (ORIGIN_TABLE,)
    ).first()
    return found is not None


def mark(conn: Connection, origin: str) -> None:
    """Tag the rest of ``conn``'s current transaction with ``origin``."""
    name = conn.dialect.name
    if name == "postgresql":
        conn.execute(sa.select(sa.func.set_config(PG_SETTING, origin, True)))
    elif name in ("mysql", "mariadb"):
        conn.exec_driver_sql(f"SET {MYSQL_VARIABLE} = %s", (origin,))
    elif name == "sqlite" and _sqlite_ready(conn):
        conn.exec_driver_sql(
            f"INSERT OR REPLACE INTO {ORIGIN_TABLE} (slot, origin) VALUES (1, ?)", (origin,)
        )


def unmark(conn: Connection) -> None:
    """Remove the marker before commit (PostgreSQL resets it by itself)."""
    name = conn.dialect.name
    if name in ("mysql", "mariadb"):
        conn.exec_driver_sql(f"SET {MYSQL_VARIABLE} = NULL")
    elif name == "sqlite" and _sqlite_ready(conn):
        conn.exec_driver_sql(f"DELETE FROM {ORIGIN_TABLE}")


@contextmanager
def transaction(engine: Engine, origin: str) -> Iterator[Connection]:
    """``engine.begin()`` whose writes the capture triggers record as ``origin``."""
    with engine.connect() as conn:
        try:
            with conn.begin():
                mark(conn, origin)
                yield conn
                unmark(conn)
        finally:
            if conn.dialect.name in ("mysql", "mariadb") and not conn.invalidated:
                # A failed transaction skipped unmark(); never hand a marked session back.
                try:
                    conn.exec_driver_sql(f"SET {MYSQL_VARIABLE} = NULL")
                    conn.rollback()
                except sa.exc.DBAPIError:
                    conn.invalidate()
