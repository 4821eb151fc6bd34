"""``t_pull_cursor``: where the last compensation pull of a channel and store stopped.

The channel API's opaque cursor is kept in ``last_order_id`` with the prefix ``c:`` (the
legacy never got a column of its own for it). Any other value there — seeded history keeps
the platform id of the last order seen — is not a cursor, so the next pull starts from the
beginning; ingesting is idempotent, so that costs only a longer answer.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from zhongtai.legacy.clock import local_str
from zhongtai.legacy.schema import t_pull_cursor
from zhongtai.legacy.tx import run_tx

CURSOR_PREFIX = "c:"


def _where(channel: int, store_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(t_pull_cursor.c.channel == channel, t_pull_cursor.c.store_id == store_id)


def read_cursor(conn: Connection, channel: int, store_id: int) -> str | None:
    """The channel cursor of the last pull, or None (pull from the start)."""
    stmt = sa.select(t_pull_cursor.c.last_order_id).where(_where(channel, store_id))
    return cursor_of(conn.execute(stmt).scalar())


def cursor_of(stored: str | None) -> str | None:
    """The channel cursor kept in ``last_order_id``, or None when it holds something else."""
    if stored and stored.startswith(CURSOR_PREFIX):
        return stored[len(CURSOR_PREFIX) :]
    return None


def save_cursor(engine: Engine, channel: int, store_id: int, cursor: str | None) -> None:
    """Record a pull; the cursor stays as it was when the channel sent none."""
    now = local_str()
    values = {"last_pull_time": now, "update_time": now}
    if cursor is not None:
        values["last_order_id"] = CURSOR_PREFIX + cursor

    def write(conn: Connection) -> None:
        updated = conn.execute(
            t_pull_cursor.update().where(_where(channel, store_id)).values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(
                t_pull_cursor.insert().values(channel=channel, store_id=store_id, **values)
            )

    try:
        run_tx(engine, write)
    except IntegrityError:  # a concurrent pull inserted the row first: update it now
        run_tx(engine, write)
