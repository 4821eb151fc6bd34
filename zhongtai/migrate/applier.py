"""Apply re-read source rows to a center in batches: the target side of forward sync.

For a batch of source keys of one mapping, :func:`apply_results` makes the center hold
exactly what those rows map to now — the batched form of ``writer.apply_record``: per owned
target one DELETE of the rows the new transforms no longer produce, then one bulk upsert of
everything they do produce (parents first). A key whose source row is gone, or that is
quarantined, loses the rows it owned. Running the same batch twice changes nothing.

Rows born on the platform and reverse-synced to legacy got a legacy id of their own (legacy
numbers its rows); the center keeps that id in ``legacy_id``. :func:`center_ids` finds those,
and their rows are re-keyed to the center id before they are written, so a legacy change to
such a row updates it instead of creating a twin.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.migrate import writer
from zhongtai.migrate.mapping import Mapped, Mapping, Quarantine

CHUNK = 500


def _chunks(values: Sequence[Any], size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def center_ids(conn: Connection, mapping: Mapping, keys: Sequence[int]) -> dict[int, int]:
    """Legacy key → center id, for rows whose center id differs from their ``legacy_id``."""
    main = mapping.targets[0]
    table = main.table
    if not main.owner or "legacy_id" not in table.c or not keys:
        return {}
    owner, legacy = table.c[main.owner], table.c.legacy_id
    found: dict[int, int] = {}
    for batch in _chunks(sorted(keys)):
        rows = conn.execute(sa.select(legacy, owner).where(legacy.in_(batch), owner != legacy))
        found.update({int(a): int(b) for a, b in rows})
    return found


def rekey(mapping: Mapping, mapped: Mapped, old: int, new: int) -> Mapped:
    """``mapped`` with every owner column holding ``old`` set to ``new`` (pure)."""
    owners = {t.name: t.owner for t in mapping.targets if t.owner}
    out: Mapped = {}
    for table, rows in mapped.items():
        column = owners.get(table)
        out[table] = [
            {**row, column: new} if column and row.get(column) == old else row for row in rows
        ]
    return out


def _key_in(table: sa.Table, key: tuple[str, ...], values: list[tuple]) -> Any:
    if len(key) == 1:
        return table.c[key[0]].in_([v[0] for v in values])
    return sa.tuple_(*(table.c[k] for k in key)).in_(values)


def apply_results(
    conn: Connection, mapping: Mapping, results: MappingABC[int, Mapped | Quarantine | None]
) -> int:
    """Replace the center rows owned by each key with what it maps to now; rows written."""
    remap = center_ids(conn, mapping, list(results))
    owned: dict[int, Mapped] = {}
    for key, result in results.items():
        mapped = result if isinstance(result, dict) else {}
        if key in remap:
            owned[remap[key]] = rekey(mapping, mapped, key, remap[key])
        else:
            owned[key] = mapped
    owners = sorted(owned)
    for target in reversed(mapping.targets):
        if not target.owner:
            continue  # shared rows (a category): only ever upserted
        table = target.table
        columns = [table.c[k] for k in target.key]
        for batch in _chunks(owners):
            keep = {
                tuple(row[k] for k in target.key)
                for owner in batch
                for row in owned[owner].get(target.name, ())
            }
            # Read the owned keys and delete the few that went away: one short statement,
            # where a NOT IN (every kept key) would send thousands of values each time.
            ids = [target.owned_by(owner) for owner in batch]
            found = conn.execute(sa.select(*columns).where(table.c[target.owner].in_(ids)))
            stale = [tuple(r) for r in found if tuple(r) not in keep]
            for gone in _chunks(stale):
                conn.execute(sa.delete(table).where(_key_in(table, target.key, list(gone))))
    produced = [m for m in owned.values() if any(m.values())]
    # Changed rows mostly exist already: straight to the upsert (no plain COPY tried first).
    return writer.write_mapped(conn, mapping, produced, existing=True) if produced else 0
