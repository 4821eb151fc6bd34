"""Rows born on the platform, read under the ids legacy gave them (reverse sync's id map).

Reverse sync inserts a platform-born row into legacy under an id legacy assigns itself and
records that id in the center row's ``legacy_id`` (:mod:`zhongtai.migrate.reverse`). Rows
migrated from legacy hold ``legacy_id = id``; a platform-born row not in legacy yet holds NULL.
A comparison speaks legacy keys, so the platform side reads, for such a *moved* row:

* its own ``id`` — and every column referencing it (a foreign key to the ``id`` of a table
  with a ``legacy_id`` column: ``order_items.order_id``, ``refunds.payment_id``, or a plain
  column declaring the table it refers to in ``Column.info["refers_to"]``:
  ``channel_pushes.order_id``) — as the legacy id;
* a segment ``(after, upto]`` of legacy keys as the platform rows whose owner is in range and
  not moved, plus the moved rows whose *legacy* id is in range.

Without this a reverse-synced row reads as "missing on the platform" under its legacy id and
"extra on the platform" under its platform id. In the database the owner becomes
``CASE owner WHEN p THEN l ... ELSE owner END`` over the few moved rows of the segment, and any
other referencing column ``COALESCE((SELECT legacy_id FROM t WHERE t.id = col), col)`` (only
while there are moved rows at all); in Python the same map is applied to fetched rows, so both
paths hash identical text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhongtai.compare.segments import KeyRange

LEGACY_ID = "legacy_id"
REFERS_TO = "refers_to"  # Column.info key: the table whose ids a column without a FK holds
Moved = dict[int, int]  # platform id → legacy id, for rows where the two differ


def references(table: sa.Table) -> dict[str, sa.Table]:
    """Columns of ``table`` holding the ``id`` of a table that records legacy ids.

    The table's own ``id`` when it has a ``legacy_id`` column, every foreign key to the
    ``id`` of such a table, and every column naming such a table (of the same metadata) in
    ``info["refers_to"]``.
    """
    out: dict[str, sa.Table] = {}
    if LEGACY_ID in table.c and "id" in table.c:
        out["id"] = table
    for fk in table.foreign_keys:
        target = fk.column.table
        if fk.column.name == "id" and LEGACY_ID in target.c:
            out[fk.parent.name] = target
    for column in table.c:
        name = column.info.get(REFERS_TO)
        if name is None:
            continue
        target = table.metadata.tables.get(name)
        if target is None:
            raise ValueError(
                f"{table.name}.{column.name} refers to table {name!r}, which is not in its "
                f"metadata (known: {', '.join(sorted(table.metadata.tables))})"
            )
        if LEGACY_ID in target.c and "id" in target.c:
            out[column.name] = target
    return out


def load_moved(engine: Engine, table: sa.Table) -> Moved:
    """The rows of ``table`` whose legacy id is not their own id."""
    c = table.c
    query = sa.select(c.id, c[LEGACY_ID]).where(c[LEGACY_ID].is_not(None), c[LEGACY_ID] != c.id)
    with engine.connect() as conn:
        return {int(p): int(legacy) for p, legacy in conn.execute(query)}


class Rekey:
    """How one table's platform rows are read in legacy ids (inert when nothing moved)."""

    def __init__(self, table: sa.Table, owner: str | None, moved: Mapping[str, Moved]) -> None:
        self.table, self.owner = table, owner
        refs = references(table)
        # column → (referenced table, its moved rows); only columns with moved rows count
        self.columns = {
            col: (target, moved[target.name])
            for col, target in refs.items()
            if moved.get(target.name)
        }

    @classmethod
    def build(
        cls, engine: Engine, table: sa.Table, owner: str | None, cache: dict | None = None
    ) -> Rekey:
        """Load the moved rows of every table ``table`` references (once per ``cache``)."""
        cache = cache if cache is not None else {}
        moved = {}
        for target in references(table).values():
            key = (str(engine.url), target.name)
            if key not in cache:
                cache[key] = load_moved(engine, target)
            moved[target.name] = cache[key]
        return cls(table, owner, moved)

    @property
    def active(self) -> bool:
        return bool(self.columns)

    def owner_moved(self) -> Moved:
        if self.owner is None or self.owner not in self.columns:
            return {}
        return self.columns[self.owner][1]

    def moved_in(self, rng: KeyRange) -> tuple[list[int], list[int]]:
        """(platform ids in ``rng`` that belong elsewhere, platform ids whose legacy id is)."""
        moved = self.owner_moved()
        away = sorted(p for p in moved if rng.contains(p))
        into = sorted(p for p, legacy in moved.items() if rng.contains(legacy))
        return away, into

    def segment_where(self, rng: KeyRange, plain: Any) -> Any:
        """The platform rows of the legacy key range ``rng`` (``plain``: the owner in range)."""
        away, into = self.moved_in(rng)
        if not away and not into:
            return plain
        col = self.table.c[self.owner]
        where = sa.and_(plain, col.not_in(away)) if away else plain
        return sa.or_(where, col.in_(into)) if into else where

    def expressions(self, rng: KeyRange | None) -> dict[str, sa.ColumnElement]:
        """Column → its value in legacy ids, as SQL (for the rows of ``rng``, or any row)."""
        out: dict[str, sa.ColumnElement] = {}
        for col, (target, moved) in self.columns.items():
            column = self.table.c[col]
            if col == self.owner and rng is not None:
                _, into = self.moved_in(rng)
                if into:
                    out[col] = sa.case({p: moved[p] for p in into}, value=column, else_=column)
            elif target is self.table:
                out[col] = sa.func.coalesce(self.table.c[LEGACY_ID], column)
            else:
                legacy = (
                    sa.select(target.c[LEGACY_ID]).where(target.c.id == column).scalar_subquery()
                )
                out[col] = sa.func.coalesce(legacy, column)
        return out

    def row(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """``row`` with its moved ids replaced by legacy ids (the row itself if none)."""
        changed = None
        for col, (_, moved) in self.columns.items():
            value = row.get(col)
            if value in moved:
                changed = changed if changed is not None else dict(row)
                changed[col] = moved[value]
        return row if changed is None else changed
