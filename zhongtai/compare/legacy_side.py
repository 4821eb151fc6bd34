"""The legacy side of a comparison: source rows mapped as the platform should hold them.

The Python path reads the mapping's source in keyset chunks with the migration's own reader
(:mod:`zhongtai.migrate.source`: children, groups and lookups included), runs the mapping's
transform and projects each target row — exactly what backfill and sync would write. The SQL
path (a mapping target with a :class:`~zhongtai.migrate.sqlforms.SqlForm`) sums the hashes in
the legacy database for the rows the form's guard certifies, and transforms only the rest in
Python; both parts add up to the segment's checksum.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterator
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhongtai.compare import sqlhash
from zhongtai.compare.platform_side import range_filter
from zhongtai.compare.rowhash import RowShape, checksum
from zhongtai.compare.segments import Checksum, KeyRange
from zhongtai.compare.units import Unit
from zhongtai.errors import ZhongtaiError
from zhongtai.migrate import source
from zhongtai.migrate.mapping import Group, Mapping, Quarantine
from zhongtai.migrate.sqlforms import SqlForm

logger = logging.getLogger(__name__)
READ_BATCH = 2_000


@dataclass
class Chunk:
    """One walk step: the source key range it covers and the target rows it maps to.

    ``rows`` holds the transform's rows as written (projected only if a segment is drilled
    into), ``texts`` their canonical texts, in the same order.
    """

    range: KeyRange
    rows: dict[str, list[dict]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)
    read: int = 0
    quarantined: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    seen: dict[str, set] = field(default_factory=dict, repr=False)


class LegacySide:
    """One mapping's source rows in the legacy database."""

    def __init__(self, engine: Engine, mapping: Mapping, shared: dict | None = None) -> None:
        self.engine = engine
        self.mapping = mapping
        self.dialect = engine.dialect.name
        self._ctx: source.Context | None = None
        # Groups and lookups by name, shared by the mappings of one run (people: one scan).
        self._shared = shared if shared is not None else {}

    def context(self) -> source.Context:
        """The groups and lookups the transform reads (built on first use)."""
        if self._ctx is None:
            ctx = source.Context()
            needed = ([self.mapping.group] if self.mapping.group else []) + list(self.mapping.uses)
            with self.engine.connect() as conn:
                for item in needed:
                    if item.name not in self._shared:
                        if isinstance(item, Group):
                            self._shared[item.name] = source.scan_group(conn, item)
                        else:
                            self._shared[item.name] = item.build(conn)
                    target = ctx.groups if isinstance(item, Group) else ctx.lookups
                    target[item.name] = self._shared[item.name]
            self._ctx = ctx
        return self._ctx

    def bounds(self) -> tuple[int | None, int | None, int]:
        """(min key, max key, rows) of the mapping's source."""
        with self.engine.connect() as conn:
            return source.key_bounds(conn, self.mapping)

    @staticmethod
    def _map(m: Mapping, records, shapes: MappingABC[str, RowShape], chunk: Chunk, owners) -> None:
        for record in records:
            out = m.apply(record)
            if isinstance(out, Quarantine):
                chunk.quarantined[out.reason] += 1
                chunk.examples.setdefault(out.reason, f"{record.row[m.key]}: {out.detail}")
                continue
            for name, shape in shapes.items():
                owner = owners.get(name)
                for row in out.get(name, ()):
                    if owner is not None and not chunk.range.contains(row[owner]):
                        raise ZhongtaiError(
                            f"mapping {m.name!r}: {name}.{owner} = {row[owner]!r} is not the key "
                            f"of the source row {record.row[m.key]!r} that wrote it",
                            hint=f"declare Target({name}) without owner=, or fix the transform",
                        )
                    text = shape.text(row)
                    # A row several source rows emit alike is one row (upserts are idempotent).
                    seen = chunk.seen.setdefault(name, set())
                    if text not in seen:
                        seen.add(text)
                        chunk.rows[name].append(row)
                        chunk.texts[name].append(text)

    def walk(
        self,
        shapes: MappingABC[str, RowShape],
        owners: MappingABC[str, str | None],
        chunk_size: int,
        *,
        after: int | None = None,
        upto: int | None = None,
    ) -> Iterator[Chunk]:
        """Chunks of ``chunk_size`` source rows with ``after < key <= upto`` in key order,
        then an empty tail chunk up to ``upto``.

        ``None`` leaves an end open, so with the defaults the ranges cover every key a
        platform row could hold (a partition of a parallel walk passes its own bounds).
        ``owners`` names, per target, the column whose value must fall inside the chunk.
        """
        ctx = self.context()
        key = self.mapping.key
        last: Any = after
        with self.engine.connect() as conn:
            while True:
                start = last if last is not None else _before_everything(conn, self.mapping)
                records = source.read_chunk(
                    conn, self.mapping, ctx, after=start, upto=upto, limit=chunk_size
                )
                conn.rollback()  # no long-lived snapshot on a legacy that still takes writes
                if not records:
                    break
                end = records[-1].row[key]
                chunk = _chunk(KeyRange(last, end), shapes, len(records))
                self._map(self.mapping, records, shapes, chunk, owners)
                yield chunk
                last = end
        if upto is None or last is None or last < upto:
            yield _chunk(KeyRange(last, upto), shapes)

    def rows(self, target: str, shape: RowShape, rng: KeyRange, owner: str | None) -> Chunk:
        """Every source row in ``rng`` mapped to ``target``'s rows (for drill-down and rechecks)."""
        return self._rows_of(self.mapping, {target: shape}, rng, {target: owner})

    def _rows_of(self, mapping: Mapping, shapes, rng: KeyRange, owners) -> Chunk:
        ctx = self.context()
        chunk = _chunk(rng, shapes)
        with self.engine.connect() as conn:
            after = rng.after if rng.after is not None else _before_everything(conn, mapping)
            while True:
                records = source.read_chunk(
                    conn, mapping, ctx, after=after, upto=rng.upto, limit=READ_BATCH
                )
                if not records:
                    break
                chunk.read += len(records)
                self._map(mapping, records, shapes, chunk, owners)
                after = records[-1].row[mapping.key]
        return chunk

    def form_checksum(self, unit: Unit, form: SqlForm, rng: KeyRange) -> tuple[Checksum, Chunk]:
        """A segment's checksum: SQL for guarded rows plus Python for the rest.

        Returns the Python part's chunk too (its quarantined rows count for the report).
        """
        m, src, d = self.mapping, self.mapping.source, self.dialect
        exprs = form.columns(src, d)
        text = sqlhash.row_text(
            [sqlhash.value_text(exprs[c], unit.table.c[c].type, d) for c in unit.columns], d
        )
        guard = form.guard(src, d)
        where = sa.and_(range_filter(src.c[m.key], rng), guard)
        if m.where is not None:
            where = sa.and_(where, m.where(src))
        with self.engine.connect() as conn:
            sql_part = sqlhash.checksum(conn, text, src, where)

        def rest(table: sa.Table):
            outside = sa.not_(sa.func.coalesce(form.guard(table, d), sa.false()))
            return outside if m.where is None else sa.and_(outside, m.where(table))

        if isinstance(guard, sa.sql.elements.True_):
            return sql_part, _chunk(rng, {})  # the form covers every row: no Python part
        remainder = dataclasses.replace(m, where=rest)
        shape = unit.shape
        chunk = self._rows_of(
            remainder, {unit.table.name: shape}, rng, {unit.table.name: unit.segment_column}
        )
        return sql_part + checksum(chunk.texts[unit.table.name]), chunk


def _chunk(rng: KeyRange, shapes, read: int = 0) -> Chunk:
    return Chunk(rng, {n: [] for n in shapes}, {n: [] for n in shapes}, read)


def _before_everything(conn: sa.Connection, mapping: Mapping) -> int:
    """A key below every source key (keyset reads need a number to start after)."""
    col = mapping.source.c[mapping.key]
    lowest = conn.execute(sa.select(sa.func.min(col))).scalar()
    return (lowest if lowest is not None else 0) - 1
