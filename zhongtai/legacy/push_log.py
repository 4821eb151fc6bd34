"""Idempotent channel pushes: ``t_push_log`` is unique on (channel, order id, push type).

The log row is claimed first thing in the push's transaction, so a concurrent duplicate waits
on the unique key and then fails it, while a late duplicate finds the row; either way the
duplicate changes nothing and the channel gets its success body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from zhongtai.legacy.clock import local_str
from zhongtai.legacy.schema import t_push_log
from zhongtai.legacy.tx import run_tx


class DuplicatePush(Exception):
    """This push was handled before (or is being handled by a concurrent request)."""


@dataclass(frozen=True)
class PushKey:
    channel: int
    channel_order_id: str
    push_type: str

    def where(self) -> sa.ColumnElement[bool]:
        return sa.and_(
            t_push_log.c.channel == self.channel,
            t_push_log.c.channel_order_id == self.channel_order_id,
            t_push_log.c.push_type == self.push_type,
        )


def seen(conn: Connection, key: PushKey) -> bool:
    """Whether this push is in the log already."""
    return conn.execute(sa.select(t_push_log.c.id).where(key.where())).first() is not None


def claim(conn: Connection, key: PushKey) -> int:
    """Insert the log row; a unique violation means a duplicate."""
    try:
        result = conn.execute(
            t_push_log.insert().values(
                channel=key.channel,
                channel_order_id=key.channel_order_id,
                push_type=key.push_type,
                create_time=local_str(),
            )
        )
    except IntegrityError:
        raise DuplicatePush from None
    return result.inserted_primary_key[0]


def once(engine: Engine, key: PushKey, work: Callable[[Connection], int]) -> bool:
    """Run ``work`` (which returns the order id) once per key; False for a duplicate."""

    def transaction(conn: Connection) -> bool:
        if seen(conn, key):
            raise DuplicatePush
        log_id = claim(conn, key)
        order_id = work(conn)
        conn.execute(t_push_log.update().where(t_push_log.c.id == log_id).values(order_id=order_id))
        return True

    try:
        return run_tx(engine, transaction)
    except DuplicatePush:
        return False
