"""``t_pull_cursor``: where the last compensation pull of a channel and store stopped."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from zhongtai.legacy.clock import local_str
from zhongtai.legacy.schema import t_pull_cursor
from zhongtai.legacy.tx import run_tx


def _where(channel: int, store_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(t_pull_cursor.c.channel == channel, t_pull_cursor.c.store_id == store_id)


def read_cursor(conn: Connection, channel: int, store_id: int) -> str | None:
    stmt = sa.select(t_pull_cursor.c.last_order_id).where(_where(channel, store_id))
    return conn.execute(stmt).scalar()


def save_cursor(engine: Engine, channel: int, store_id: int, cursor: str | None) -> None:
    """Record a pull; the cursor stays as it was when the channel sent none."""
    now = local_str()
    values = {"last_pull_time": now, "update_time": now}
    if cursor is not None:
        values["last_order_id"] = cursor

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
