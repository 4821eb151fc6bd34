"""The per-store business-day counter (``day_sequences``), atomic on every engine.

The application layer turns the number into a day sequence or an order-number serial (the
format is its business, not the center's). Taking a number is one atomic statement that
leaves the counter row locked by the calling transaction until it ends, so concurrent callers
queue on the row and never get the same number:

* PostgreSQL and SQLite: ``INSERT … ON CONFLICT DO UPDATE SET last_value = last_value + 1
  RETURNING last_value``;
* MariaDB/MySQL: ``INSERT … ON DUPLICATE KEY UPDATE last_value = last_value + 1``, then a read of
  the row this transaction has just written (and still locks).

Inside a dry-run unit of work the increment is rolled back with everything else, so a shadowed
order does not burn a number.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from zhongtai.platform.order.tables import day_sequences as ds

_ON_CONFLICT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


_KEY = {"store_id": sa.bindparam("b_store_id"), "business_day": sa.bindparam("b_business_day")}
_STATEMENTS: dict[str, tuple] = {}  # dialect → its statements, built once


def _statements(dialect: str) -> tuple:
    found = _STATEMENTS.get(dialect)
    if found is not None:
        return found
    if dialect in _ON_CONFLICT:
        found = (
            _ON_CONFLICT[dialect](ds)
            .values(**_KEY, last_value=1)
            .on_conflict_do_update(
                index_elements=[ds.c.store_id, ds.c.business_day],
                set_={"last_value": ds.c.last_value + 1},
            )
            .returning(ds.c.last_value),
        )
    elif dialect in ("mysql", "mariadb"):
        stmt = mysql.insert(ds).values(**_KEY, last_value=1)
        where = (ds.c.store_id == _KEY["store_id"]) & (ds.c.business_day == _KEY["business_day"])
        found = (
            stmt.on_duplicate_key_update(last_value=ds.c.last_value + 1),
            sa.select(ds.c.last_value).where(where),
        )
    else:
        raise NotImplementedError(f"no day-sequence counter for the {dialect} engine")
    _STATEMENTS[dialect] = found
    return found


def next_day_value(conn: Connection, store_id: int, business_day: date) -> int:
    """Take the next number of ``store_id`` on ``business_day``; the first one is 1."""
    key = {"b_store_id": store_id, "b_business_day": business_day}
    statements = _statements(conn.dialect.name)
    if len(statements) == 1:
        return int(conn.execute(statements[0], key).scalar_one())
    bump, read = statements
    conn.execute(bump, key)
    return int(conn.execute(read, key).scalar_one())
