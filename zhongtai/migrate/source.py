"""Reading legacy rows for a mapping: contexts (groups, lookups), keyset chunks, single rows.

This is the I/O edge on the source side. Backfill calls :func:`read_chunk`; sync calls
:func:`read_one` (re-read the current row by key, as change capture only records keys).
Both return :class:`~zhongtai.migrate.mapping.Record` objects the mapping's pure transform
consumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby, repeat
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.migrate.mapping import (
    Group,
    GroupIndex,
    Lookup,
    Mapping,
    Record,
    build_group,
    membership,
)

# Rows per IN (...) list when fetching children and group members; far below every engine's
# bound-parameter limit (SQLite 32766, PostgreSQL 65535).
IN_BATCH = 5_000


@dataclass
class Context:
    """Everything a mapping's transform may consult beyond its own row, built once per run."""

    groups: dict[str, GroupIndex] = field(default_factory=dict)
    lookups: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {**self.groups, **self.lookups}


def scan_group(conn: Connection, group: Group) -> GroupIndex:
    """One pass over the group's columns; the index is independent of chunking."""
    if group.scan is not None:
        return build_group(group.scan(conn), group)
    table = group.table
    query = sa.select(table.c.id, *(table.c[c] for c in group.columns if c != "id"))
    if group.where is not None:
        query = query.where(group.where(table))
    rows = [dict(r) for r in conn.execute(query.order_by(table.c.id)).mappings()]
    return build_group(rows, group)


def build_context(
    conn: Connection, mapping: Mapping, built: dict[str, Any] | None = None
) -> Context:
    """Build the groups and lookups ``mapping`` needs (one scan each).

    ``built`` is an optional cache by name shared across the mappings of one run, so a lookup
    several mappings use (the catalog, the people) is scanned once; pass none to rebuild.
    """
    ctx = Context()
    built = {} if built is None else built
    needed: list[Group | Lookup] = ([mapping.group] if mapping.group else []) + list(mapping.uses)
    for item in needed:
        if item.name not in built:
            built[item.name] = _build(conn, item, built)
        target = ctx.groups if isinstance(item, Group) else ctx.lookups
        target[item.name] = built[item.name]
    return ctx


def _build(conn: Connection, item: Group | Lookup, built: dict[str, Any]) -> Any:
    if isinstance(item, Lookup):
        return item.build(conn)
    base = item.derived_from
    if base is None or item.derive is None:
        return scan_group(conn, item)
    if base.name not in built:  # built once, then shared with the mappings that use it
        built[base.name] = base.build(conn)
    return build_group(item.derive(built[base.name]), item)


def fetch_dicts(conn: Connection, query: sa.Executable) -> list[dict[str, Any]]:
    """Every row of ``query`` as a plain dict (column name → value, after the dialect's result
    processing). Transforms read a few dozen columns of hundreds of thousands of rows: a dict
    lookup is much cheaper than a ``RowMapping`` one, and building the dicts from the rows
    costs about what ``.mappings().all()`` does. (Every row has one value per key; ``map``
    builds them a fifth cheaper than a comprehension, ``zip``'s strict check would add a tenth.)
    """
    result = conn.execute(query)
    return list(map(dict, map(zip, repeat(tuple(result.keys())), result.all())))


def _in_batches(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + IN_BATCH] for i in range(0, len(values), IN_BATCH)]


def _children(conn: Connection, mapping: Mapping, keys: Sequence[Any]) -> dict[str, dict]:
    found: dict[str, dict[Any, list]] = {}
    wanted = set(keys)
    lo, hi = min(keys), max(keys)
    # A keyset chunk is dense: one range scan on the child's parent index beats IN (...).
    dense = isinstance(lo, int) and hi - lo + 1 <= 2 * len(wanted)
    for child in mapping.children:
        col = child.table.c[child.column]
        order = (col, *(child.table.c[c] for c in child.order_by))
        by_parent: dict[Any, list] = {}
        if dense:
            wheres = [col.between(lo, hi)]
        else:
            wheres = [col.in_(batch) for batch in _in_batches(sorted(wanted))]
        parent_of = itemgetter(child.column)
        for where in wheres:
            rows = fetch_dicts(conn, sa.select(child.table).where(where).order_by(*order))
            # Ordered by parent: each parent's rows come as one run (grouped at C speed).
            for parent, run in groupby(rows, parent_of):
                if parent in wanted:
                    by_parent.setdefault(parent, []).extend(run)
        found[child.name] = by_parent
    return found


def _records(conn: Connection, mapping: Mapping, rows: Sequence[Any], ctx: Context) -> list:
    key = mapping.key
    keys = [r[key] for r in rows]
    children = _children(conn, mapping, keys) if mapping.children else {}
    index = ctx.groups.get(mapping.group.name) if mapping.group else None
    merged_rows: dict[Any, Any] = {}
    if index is not None and mapping.group.fetch_members:
        wanted = sorted(
            {
                other
                for k in keys
                if (m := membership(index, k)) and m.survivor == k
                for other in m.members[1:]
            }
        )
        for batch in _in_batches(wanted):
            query = sa.select(mapping.source).where(mapping.source.c[key].in_(batch))
            merged_rows.update({r[key]: r for r in fetch_dicts(conn, query)})
    view = ctx.view()
    records = []
    for row in rows:
        k = row[key]
        member = membership(index, k) if index is not None else None
        merged = []
        if member is not None and member.survivor == k:
            merged = [merged_rows[m] for m in member.members[1:] if m in merged_rows]
        records.append(
            Record(
                row=row,
                children={name: by.get(k, []) for name, by in children.items()},
                group=member,
                merged=merged,
                lookups=view,
            )
        )
    return records


def source_query(mapping: Mapping) -> sa.Select:
    query = sa.select(mapping.source)
    if mapping.where is not None:
        query = query.where(mapping.where(mapping.source))
    return query


def read_chunk(
    conn: Connection,
    mapping: Mapping,
    ctx: Context,
    *,
    after: Any,
    upto: Any | None,
    limit: int | None,
) -> list[Record]:
    """The next ``limit`` source rows with ``after < key <= upto`` in key order (keyset);
    ``limit=None``: every row of the range."""
    col = mapping.source.c[mapping.key]
    query = source_query(mapping).where(col > after)
    if upto is not None:
        query = query.where(col <= upto)
    query = query.order_by(col)
    if limit is not None:
        query = query.limit(limit)
    rows = fetch_dicts(conn, query)
    return _records(conn, mapping, rows, ctx) if rows else []


def chunk_end(conn: Connection, mapping: Mapping, *, after: Any, upto: Any | None, size: int):
    """The key of the ``size``-th source row after ``after`` (and at most ``upto``), or None
    when fewer rows remain: ``(after, chunk_end]`` is a chunk of exactly ``size`` rows, read
    later (and elsewhere) as a range. One index scan of the key column."""
    col = mapping.source.c[mapping.key]
    query = sa.select(col).where(col > after)
    if upto is not None:
        query = query.where(col <= upto)
    if mapping.where is not None:
        query = query.where(mapping.where(mapping.source))
    return conn.execute(query.order_by(col).offset(size - 1).limit(1)).scalar()


def read_one(conn: Connection, mapping: Mapping, key: Any, ctx: Context) -> Record | None:
    """The current source row ``key`` as a Record, or None when it no longer exists (or no
    longer matches the mapping's filter)."""
    col = mapping.source.c[mapping.key]
    rows = fetch_dicts(conn, source_query(mapping).where(col == key))
    return _records(conn, mapping, rows, ctx)[0] if rows else None


def read_many(conn: Connection, mapping: Mapping, keys: Sequence[Any], ctx: Context) -> dict:
    """The current source rows of ``keys`` as Records by key (sync's batched re-read); keys
    whose row is gone (or no longer matches the mapping's filter) are absent."""
    col = mapping.source.c[mapping.key]
    rows: list = []
    for batch in _in_batches(sorted(set(keys))):
        rows += fetch_dicts(conn, source_query(mapping).where(col.in_(batch)))
    return {r.row[mapping.key]: r for r in _records(conn, mapping, rows, ctx)} if rows else {}


def key_bounds(conn: Connection, mapping: Mapping) -> tuple[Any, Any, int]:
    """(min key, max key, row count) of the mapping's source rows."""
    col = mapping.source.c[mapping.key]
    query = sa.select(sa.func.min(col), sa.func.max(col), sa.func.count())
    if mapping.where is not None:
        query = query.where(mapping.where(mapping.source))
    lo, hi, count = conn.execute(query).one()
    return lo, hi, int(count or 0)


def count_range(conn: Connection, mapping: Mapping, after: Any, upto: Any | None) -> int:
    col = mapping.source.c[mapping.key]
    query = sa.select(sa.func.count()).select_from(mapping.source).where(col > after)
    if upto is not None:
        query = query.where(col <= upto)
    if mapping.where is not None:
        query = query.where(mapping.where(mapping.source))
    return int(conn.execute(query).scalar() or 0)
