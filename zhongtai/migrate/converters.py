"""Per-column value converters for bulk writes: what SQLAlchemy's bind processing does, faster.

A backfill converts every datetime and JSON value it writes (a few hundred thousand per
mapping). SQLAlchemy's generic bind processors are correct but slow for that volume (a type
decorator calling an implementation's formatter through a dict of fields), so the two types
the centers use most get an equivalent fast path; every other column keeps the generic
processor. ``tests/unit/migrate/test_converters.py`` holds each fast path equal to the
generic one, value for value.

* :class:`~zhongtai.platform.columns.UtcDateTime`: aware → naive UTC (and, on SQLite, the
  text SQLAlchemy stores: ``YYYY-MM-DD HH:MM:SS.ffffff``). A naive value is refused, as the
  column type refuses it.
* ``JSON`` where the driver takes text (SQLite, MariaDB): :func:`dumps`, the exact text of
  ``json.dumps(value)`` without its per-call setup.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from json import encoder as _json_encoder
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import base as sqlite_base

from zhongtai.platform.columns import UtcDateTime

Converter = Callable[[Any], Any]

_SQLITE_DATETIME = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def _make_encoder() -> Callable[[Any, int], Any] | None:
    make = _json_encoder.c_make_encoder
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return None
    # The arguments json.dumps passes with its defaults, built once instead of per call;
    # no circular-reference markers (mapped rows are trees).
    return make(
        None,
        json.JSONEncoder().default,
        _json_encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
        True,
    )


_ENCODE = _make_encoder()
_ASCII_STRING = _json_encoder.encode_basestring_ascii


def dumps(value: Any) -> str:
    """``json.dumps(value)`` with default arguments, character for character.

    A plain function (no closure), so psycopg keeps one dumper class for it
    (:func:`~zhongtai.migrate.writer.copy_block`)."""
    if _ENCODE is None:  # pragma: no cover
        return json.dumps(value)
    if isinstance(value, str):
        return _ASCII_STRING(value)
    return "".join(_ENCODE(value, 0))


def naive_utc(value: datetime) -> datetime:
    """What ``UtcDateTime`` binds: the aware value as naive UTC; naive values are refused."""
    # An order's times repeat across its rows (placed = created, the log's first step), and
    # the same moment always has the same naive UTC value (equal keys are the same instant).
    naive = _NAIVE.get(value)
    if naive is None:
        zone = value.tzinfo
        if zone is UTC:  # the constructor: a third cheaper than replace(), which parses keywords
            naive = datetime(
                value.year, value.month, value.day,
                value.hour, value.minute, value.second, value.microsecond,
            )  # fmt: skip
        elif zone is None:
            raise ValueError(f"naive datetime {value!r}: the platform stores aware UTC only")
        else:
            naive = value.astimezone(UTC).replace(tzinfo=None)
        if len(_NAIVE) >= _TEXTS_MAX:
            _NAIVE.clear()
        _NAIVE[value] = naive
    return naive


_NAIVE: dict[datetime, datetime] = {}  # aware → naive UTC (a naive key never gets in)


_SQLITE_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # _SQLITE_DATETIME, positional
_TEXTS: dict[datetime, str] = {}  # an order's times repeat across its rows
_TEXTS_MAX = 1 << 15


def sqlite_utc_text(value: datetime) -> str:
    """What ``UtcDateTime`` binds on SQLite: naive UTC as SQLAlchemy's DATETIME text."""
    text = _TEXTS.get(value)
    if text is None:
        # %-formatting of the fields: about half the cost of isoformat(" ", "microseconds").
        moment = value if value.tzinfo is UTC else naive_utc(value)
        text = _SQLITE_TEXT % (
            moment.year, moment.month, moment.day,
            moment.hour, moment.minute, moment.second, moment.microsecond,
        )  # fmt: skip
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[value] = text
    return text


def generic(column: sa.Column, dialect) -> Converter | None:
    """SQLAlchemy's own bind processor of ``column`` for ``dialect`` (None: no conversion)."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def converter(column: sa.Column, dialect, *, raw_json: bool = False) -> Converter | None:
    """The converter a bulk write applies to non-NULL values of ``column``.

    ``raw_json``: the driver serialises JSON itself (PostgreSQL ``COPY``), so JSON values
    pass through unchanged.
    """
    kind = column.type
    if isinstance(kind, sa.JSON):
        if raw_json:
            return None
        if dialect.name in ("sqlite", "mysql", "mariadb") and dialect._json_serializer is None:
            return dumps
        return generic(column, dialect)
    if isinstance(kind, UtcDateTime):
        impl = kind.load_dialect_impl(dialect)
        after = impl.bind_processor(dialect)
        if after is None:
            return naive_utc
        if isinstance(impl, sqlite_base.DATETIME) and impl._storage_format == _SQLITE_DATETIME:
            return sqlite_utc_text
        return lambda value: after(naive_utc(value))
    return generic(column, dialect)
