"""Where the last compensation pull (补单) of a channel and store stopped (``pull_cursors``).

The order center owns channel intake, so it keeps the channel API's opaque cursor for the
application layer, which has no database of its own (the legacy kept it in
``t_pull_cursor``). A pull records its moment every time; the cursor changes only when the
channel sent one, as the legacy's ``save_cursor`` did.

Saving is one atomic upsert on every engine (``ON CONFLICT DO UPDATE`` on SQLite and
PostgreSQL, ``ON DUPLICATE KEY UPDATE`` on MariaDB), so two pulls of one store racing each
other cannot both insert. Inside a dry-run unit of work it is rolled back with the rest.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.model import Channel
from zhongtai.platform.order.tables import pull_cursors as pc

MAX_CURSOR = 255  # characters, the column's width


@dataclass(frozen=True)
class PullCursor:
    channel: Channel
    store_id: int
    cursor: str | None  # None: no pull recorded a cursor yet, the next one starts from the start
    pulled_at: datetime | None  # None: never pulled

    def as_json(self) -> dict:
        return {
            "channel": str(self.channel),
            "store_id": self.store_id,
            "cursor": self.cursor,
            "pulled_at": None if self.pulled_at is None else self.pulled_at.isoformat(),
        }


def check_cursor_key(store_id: int, cursor: str | None) -> None:
    """InvalidInput for a store id that is not a positive integer or an oversized cursor."""
    if isinstance(store_id, bool) or not isinstance(store_id, int) or store_id <= 0:
        raise InvalidInput(f"store_id must be a positive integer, got {store_id!r}")
    if cursor is not None and (not isinstance(cursor, str) or len(cursor) > MAX_CURSOR):
        raise InvalidInput(
            f"cursor must be a string of at most {MAX_CURSOR} characters",
            hint="send the channel's cursor as it came, or null to keep the stored one",
        )


class PullCursors(abc.ABC):
    @abc.abstractmethod
    def get(self, channel: Channel, store_id: int) -> PullCursor:
        """The stored cursor (an empty one when the store was never pulled)."""

    @abc.abstractmethod
    def save(self, channel: Channel, store_id: int, cursor: str | None, now: datetime) -> None:
        """Record a pull at ``now``; a None cursor keeps the stored one."""


_WHERE = (pc.c.channel == sa.bindparam("b_channel")) & (pc.c.store_id == sa.bindparam("b_store"))
_READ = sa.select(pc.c.cursor, pc.c.pulled_at).where(_WHERE)
_UPSERTS: dict[tuple[str, bool], sa.Executable] = {}  # (dialect, with cursor) → statement


def _upsert(dialect: str, with_cursor: bool) -> sa.Executable:
    found = _UPSERTS.get((dialect, with_cursor))
    if found is not None:
        return found
    values = {
        "channel": sa.bindparam("b_channel"),
        "store_id": sa.bindparam("b_store"),
        "cursor": sa.bindparam("b_cursor"),
        "pulled_at": sa.bindparam("b_now"),
    }
    if dialect in ("postgresql", "sqlite"):
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(pc).values(**values)
        changed = {"pulled_at": insert.excluded.pulled_at}
        if with_cursor:
            changed["cursor"] = insert.excluded.cursor
        found = insert.on_conflict_do_update(
            index_elements=[pc.c.channel, pc.c.store_id], set_=changed
        )
    elif dialect in ("mysql", "mariadb"):
        insert = mysql.insert(pc).values(**values)
        changed = {"pulled_at": insert.inserted.pulled_at}
        if with_cursor:
            changed["cursor"] = insert.inserted.cursor
        found = insert.on_duplicate_key_update(**changed)
    else:
        raise NotImplementedError(f"no pull-cursor upsert for the {dialect} engine")
    _UPSERTS[(dialect, with_cursor)] = found
    return found


class SqlPullCursors(PullCursors):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def get(self, channel: Channel, store_id: int) -> PullCursor:
        row = self.conn.execute(_READ, {"b_channel": str(channel), "b_store": store_id}).first()
        if row is None:
            return PullCursor(channel, store_id, None, None)
        return PullCursor(channel, store_id, row.cursor, row.pulled_at)

    def save(self, channel: Channel, store_id: int, cursor: str | None, now: datetime) -> None:
        statement = _upsert(self.conn.dialect.name, cursor is not None)
        key = {"b_channel": str(channel), "b_store": store_id, "b_cursor": cursor, "b_now": now}
        self.conn.execute(statement, key)
