"""The platform side of a unit: checksums and rows of one center table (I/O edge).

Checksums are computed in the center's database when every compared column has a canonical
SQL text there (:func:`zhongtai.compare.sqlhash.renderable`); otherwise rows are fetched and
hashed in Python with the very same normalisation (:class:`~zhongtai.compare.rowhash.RowShape`).
Rows come back raw (result mappings); the caller projects the few it drills into.
Rows born on the platform and reverse-synced into legacy are read under their legacy ids
(:mod:`zhongtai.compare.idmap`), so the two sides pair them under one key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhongtai.compare import sqlhash
from zhongtai.compare.idmap import Rekey
from zhongtai.compare.rowhash import checksum, text_hash
from zhongtai.compare.segments import Checksum, KeyRange
from zhongtai.compare.units import Unit

STREAM_ROWS = 5_000


def range_filter(column: sa.ColumnElement, rng: KeyRange) -> Any:
    """``after < column <= upto`` (open ends left out)."""
    parts = []
    if rng.after is not None:
        parts.append(column > rng.after)
    if rng.upto is not None:
        parts.append(column <= rng.upto)
    return sa.and_(sa.true(), *parts)


class PlatformSide:
    """Reads one unit's center table."""

    def __init__(self, engine: Engine, unit: Unit, moved: dict | None = None) -> None:
        self.engine = engine
        self.unit = unit
        self.table = unit.table
        self.dialect = engine.dialect.name
        self.why_python = sqlhash.renderable(self.table, unit.columns, self.dialect)
        self.key_why_python = sqlhash.renderable(self.table, unit.key, self.dialect)
        self._moved = moved  # the run's cache of moved rows (idmap), shared by its units
        self._rekey: Rekey | None = None

    @property
    def rekey(self) -> Rekey:
        """The unit's id map, loaded on first use (one small query per referenced table)."""
        if self._rekey is None:
            self._rekey = Rekey.build(
                self.engine, self.table, self.unit.segment_column, self._moved
            )
        return self._rekey

    @property
    def in_db(self) -> bool:
        return self.why_python is None

    def _select(self):
        return sa.select(*(self.table.c[c] for c in self.unit.columns))

    def _segment_where(self, rng: KeyRange):
        plain = range_filter(self.table.c[self.unit.segment_column], rng)
        return self.rekey.segment_where(rng, plain) if self.rekey.active else plain

    def bounds(self, below: int | None = None) -> tuple[int | None, int | None, int]:
        """(min, max, count) of the segment column in legacy ids (owners under ``below``)."""
        col = self.table.c[self.unit.segment_column]
        query = sa.select(sa.func.min(col), sa.func.max(col), sa.func.count())
        moved = self.rekey.owner_moved()
        if moved:
            query = query.where(col.not_in(sorted(moved)))
        if below is not None:
            query = query.where(col < below)
        with self.engine.connect() as conn:
            lo, hi, n = conn.execute(query).one()
        keys = [k for k in (lo, hi, *moved.values()) if k is not None]
        if not keys:
            return None, None, 0
        return min(keys), max(keys), int(n or 0) + len(moved)

    def any_above(self, key: int | None) -> bool:
        """Whether a row's owner (in legacy ids) is above ``key`` (any row, for None)."""
        rng = KeyRange(key, None)
        query = sa.select(sa.literal(1)).where(self._segment_where(rng)).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(query.select_from(self.table)).first() is not None

    def _text(self, rng: KeyRange | None, columns=None):
        """The canonical row text of ``columns`` (the compared ones), in legacy ids."""
        exprs = self.rekey.expressions(rng) if self.rekey.active else {}
        c, d = self.table.c, self.dialect
        parts = [
            sqlhash.value_text(exprs.get(n, c[n]), c[n].type, d)
            for n in columns or self.unit.columns
        ]
        return sqlhash.row_text(parts, d)

    def rows(self, rng: KeyRange) -> list:
        """The raw rows (result mappings) of a segment, in key order."""
        query = self._select().where(self._segment_where(rng))
        query = query.order_by(*(self.table.c[k] for k in self.unit.key))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query).mappings())
        if self.rekey.active:
            rows = [self.rekey.row(r) for r in rows]
            key = [self.unit.columns.index(k) for k in self.unit.key]
            rows.sort(key=lambda r: tuple(r[self.unit.columns[i]] for i in key))
        return rows

    def checksum(self, rng: KeyRange) -> tuple[Checksum, list | None]:
        """A segment's checksum, and its raw rows when they had to be fetched for it."""
        if self.in_db:
            text = self._text(rng)
            with self.engine.connect() as conn:
                return sqlhash.checksum(conn, text, self.table, self._segment_where(rng)), None
        rows = self.rows(rng)
        shape = self.unit.shape
        return checksum(shape.text(r) for r in rows), rows

    # -- bucketed units --------------------------------------------------------------------------

    def _stream(self) -> Iterator:
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
                self._select()
            )
            if self.rekey.active:
                yield from (self.rekey.row(r) for r in result.mappings())
            else:
                yield from result.mappings()

    def bucket_checksums(self, buckets: int) -> dict[int, Checksum]:
        """Checksum per key-hash bucket: one grouped query, or one streamed pass."""
        if self.in_db and self.key_why_python is None:
            text, key = self._text(None), self._text(None, self.unit.key)
            with self.engine.connect() as conn:
                return sqlhash.bucket_checksums(conn, text, key, buckets, self.table)
        sums: dict[int, Checksum] = {}
        shape = self.unit.shape
        for row in self._stream():
            b = sqlhash.key_bucket(shape.key_text(row), buckets)
            sums[b] = sums.get(b, Checksum()) + Checksum(1, text_hash(shape.text(row)))
        return sums

    def bucket_rows(self, buckets: int, wanted: set[int]) -> list:
        """Raw rows whose key falls in one of the ``wanted`` buckets."""
        if not wanted:
            return []
        shape = self.unit.shape
        if self.key_why_python is None:
            key = self._text(None, self.unit.key)
            with self.engine.connect() as conn:
                sqlhash.prepare(conn)
                where = sqlhash.bucket_of(key, buckets, self.dialect).in_(sorted(wanted))
                rows = list(conn.execute(self._select().where(where)).mappings())
            return [self.rekey.row(r) for r in rows] if self.rekey.active else rows
        return [
            r for r in self._stream() if sqlhash.key_bucket(shape.key_text(r), buckets) in wanted
        ]
