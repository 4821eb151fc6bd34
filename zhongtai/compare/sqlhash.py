"""Segment checksums computed inside the database, with the exact text Python hashes.

:mod:`zhongtai.compare.rowhash` defines a row's canonical text; this module builds the same
text as a SQL expression for each column type it can render identically on an engine, then
``COUNT(*)`` and ``SUM`` of the 48-bit MD5 slice (data.md §1.3, §9.1):

* PostgreSQL: ``sum(('x' || substr(md5(s), 21))::bit(48)::bigint)`` — ``sum(bigint)`` is
  ``numeric`` there, so it never overflows;
* MariaDB/MySQL: ``SUM(CAST(CONV(SUBSTRING(MD5(s), 21), 16, 10) AS UNSIGNED))`` — a DECIMAL sum;
* SQLite: the Python aggregate :class:`~zhongtai.compare.rowhash.HashSum` (mod 2^64), because
  SQLite has no MD5 and its ``sum()`` raises past 2^63.

Renderable types: integers, booleans (as 0/1), strings, naive-UTC datetimes (``UtcDateTime``,
as ``YYYY-MM-DDTHH:MM:SS+00:00``, truncated to the second like :func:`normalise`) and dates.
JSON, floats and decimals have no engine-independent text, so a table holding them is hashed
in Python instead (:func:`renderable` says which column stops it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from hashlib import md5
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from zhongtai.compare.rowhash import NULL, SEP, HashSum
from zhongtai.compare.segments import MOD, Checksum

ENGINES = ("postgresql", "mysql", "sqlite")  # dialect names (MariaDB's is "mysql")
_PG_TIME = 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'
_MY_TIME = "%Y-%m-%dT%H:%i:%s+00:00"
_LITE_TIME = "%Y-%m-%dT%H:%M:%S+00:00"


def _kind(sqltype: sa.types.TypeEngine) -> str | None:
    t = sqltype
    if isinstance(t, sa.types.TypeDecorator):
        t = t.impl_instance
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.DateTime):
        return "datetime"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, sa.String) and not isinstance(t, sa.Enum):
        return "str"
    return None


def renderable(table: sa.Table, columns: Sequence[str], dialect: str) -> str | None:
    """None when every column's text can be built in ``dialect``; else why not."""
    if dialect not in ENGINES:
        return f"no in-database checksum on {dialect}"
    for name in columns:
        col = table.c[name]
        if _kind(col.type) is None:
            return f"{table.name}.{name} is {col.type!r}"
        if _kind(col.type) == "datetime" and getattr(col.type, "timezone", False):
            return f"{table.name}.{name} is a zoned timestamp"
    return None


def value_text(expr: ColumnElement, sqltype: sa.types.TypeEngine, dialect: str) -> ColumnElement:
    """The canonical text of one value (NULL stays NULL; :func:`row_text` marks it)."""
    kind = _kind(sqltype)
    if kind == "str":
        return expr
    if kind in ("int", "bool"):
        if dialect == "postgresql" and kind == "bool":
            expr = sa.cast(expr, sa.Integer)
        return sa.cast(expr, sa.String if dialect == "mysql" else sa.Text)
    if kind == "datetime":
        if dialect == "postgresql":
            return sa.func.to_char(expr, _PG_TIME)
        if dialect == "mysql":
            return sa.func.date_format(expr, _MY_TIME)
        return sa.func.strftime(_LITE_TIME, expr)
    if kind == "date":
        if dialect == "postgresql":
            return sa.func.to_char(expr, "YYYY-MM-DD")
        if dialect == "mysql":
            return sa.func.date_format(expr, "%Y-%m-%d")
        return sa.func.strftime("%Y-%m-%d", expr)
    raise ValueError(f"no canonical SQL text for {sqltype!r}")


def row_text(parts: Sequence[ColumnElement], dialect: str) -> ColumnElement:
    """Canonical texts joined by SEP, each NULL replaced by the NULL marker."""
    pieces: list[Any] = []
    for i, part in enumerate(parts):
        if i:
            pieces.append(sa.literal(SEP, sa.Text))
        pieces.append(sa.func.coalesce(part, sa.literal(NULL, sa.Text)))
    if dialect == "sqlite":
        return reduce(lambda a, b: a.op("||")(b), pieces)
    return sa.func.concat(*pieces)


def table_text(table: sa.Table, columns: Sequence[str], dialect: str) -> ColumnElement:
    """The canonical row text of ``table``'s ``columns``."""
    return row_text([value_text(table.c[c], table.c[c].type, dialect) for c in columns], dialect)


def row_hash(text: ColumnElement, dialect: str) -> ColumnElement:
    """The 48-bit slice of MD5(text) as an integer (PostgreSQL, MariaDB)."""
    tail = sa.func.substr(sa.func.md5(text), 21)
    if dialect == "postgresql":
        return sa.cast(sa.cast(sa.func.concat("x", tail), postgresql.BIT(48)), sa.BigInteger)
    if dialect == "mysql":
        return sa.cast(sa.func.conv(tail, 16, 10), mysql.INTEGER(unsigned=True))
    raise ValueError(f"no SQL row hash on {dialect}")


def hash_sum(text: ColumnElement, dialect: str) -> ColumnElement:
    """The aggregate: SUM of row hashes (a hex string mod 2^64 on SQLite)."""
    if dialect == "sqlite":
        return sa.func.zt_hashsum(text)
    return sa.func.sum(row_hash(text, dialect))


def bucket_of(text: ColumnElement, buckets: int, dialect: str) -> ColumnElement:
    """Which of ``buckets`` hash buckets a key text falls in (as :func:`key_bucket`)."""
    head = sa.func.substr(sa.func.md5(text), 1, 8)
    if dialect == "postgresql":
        number = sa.cast(sa.cast(sa.func.concat("x", head), postgresql.BIT(32)), sa.BigInteger)
    elif dialect == "mysql":
        number = sa.cast(sa.func.conv(head, 16, 10), mysql.INTEGER(unsigned=True))
    else:
        return sa.func.zt_bucket(text, buckets)
    return number % buckets


def key_bucket(text: str, buckets: int) -> int:
    """Python twin of :func:`bucket_of`."""
    return int(md5(text.encode("utf-8")).hexdigest()[:8], 16) % buckets


def as_sum(value: Any) -> int:
    """The aggregate's result as an int mod 2^64 (numeric, DECIMAL or SQLite's hex)."""
    if value is None:
        return 0
    if isinstance(value, str):
        return int(value, 16) % MOD
    return int(value) % MOD


def prepare(conn: Connection) -> None:
    """Register the SQLite functions on this connection (once); a no-op elsewhere."""
    if conn.dialect.name != "sqlite":
        return
    info = conn.connection.info  # lives as long as the DBAPI connection in the pool
    if info.get("zt_hash_functions"):
        return
    raw = conn.connection.driver_connection
    raw.create_aggregate("zt_hashsum", 1, HashSum)
    raw.create_function("zt_bucket", 2, key_bucket, deterministic=True)
    info["zt_hash_functions"] = True


def checksum(conn: Connection, text: ColumnElement, source, where: Any = None) -> Checksum:
    """COUNT and hash sum of ``text`` over ``source`` (a table or subquery) ``where``."""
    dialect = conn.dialect.name
    prepare(conn)
    query = sa.select(sa.func.count(), hash_sum(text, dialect)).select_from(source)
    if where is not None:
        query = query.where(where)
    count, total = conn.execute(query).one()
    return Checksum(int(count or 0), as_sum(total))


def bucket_checksums(
    conn: Connection, text: ColumnElement, key_text: ColumnElement, buckets: int, source, where=None
) -> dict[int, Checksum]:
    """Checksums per hash bucket of the key, in one grouped scan."""
    dialect = conn.dialect.name
    prepare(conn)
    bucket = bucket_of(key_text, buckets, dialect).label("bucket")
    query = sa.select(bucket, sa.func.count(), hash_sum(text, dialect)).select_from(source)
    if where is not None:
        query = query.where(where)
    # By position: the bucket expression's bound literals differ between SELECT and GROUP BY.
    rows = conn.execute(query.group_by(sa.text("1"))).all()
    return {int(b): Checksum(int(n), as_sum(s)) for b, n, s in rows}
