"""Which tables change capture covers, derived from the mappings (pure).

Forward capture covers every legacy table a mapping reads — sources, child tables (recording
the parent column, so a deleted child still names its parent) and merge-group tables — and
watches, on each, the columns a whole-table fact reads (see :mod:`.ripples`). Reverse capture
covers the center tables a mapping owns, keyed by their owner column; on a mapping's main
table it records the row's ``legacy_id`` too (``ref``), so a row deleted on the platform still
names its legacy twin (a row born on the platform has a legacy id other than its own).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from zhongtai.errors import ConfigError
from zhongtai.migrate.capture_sql import CaptureSpec
from zhongtai.migrate.mapping import Group, Mapping


def _single_key(table: sa.Table) -> str:
    cols = [c.name for c in table.primary_key.columns]
    if len(cols) != 1:
        raise ConfigError(
            f"table {table.name} has primary key {cols}; change capture needs one integer key"
        )
    return cols[0]


def forward_specs(mappings: Sequence[Mapping]) -> list[CaptureSpec]:
    """Capture specs for every legacy table the mappings read, parents recorded for children."""
    keys: dict[str, str] = {}
    refs: dict[str, set[str]] = {}
    for m in mappings:
        keys.setdefault(m.source.name, m.key)
        for child in m.children:
            keys.setdefault(child.table.name, _single_key(child.table))
            refs.setdefault(child.table.name, set()).add(child.column)
        for item in (m.group, *m.uses):
            if isinstance(item, Group):
                keys.setdefault(item.table.name, _single_key(item.table))
    specs = []
    for table, key in keys.items():
        columns = sorted(refs.get(table, ()))
        if len(columns) > 1:
            raise ConfigError(
                f"table {table} is a child through several columns {columns}; "
                "change capture records one parent column per table"
            )
        specs.append(CaptureSpec(table, key, columns[0] if columns else None))
    return specs


def owned_specs(mappings: Sequence[Mapping]) -> list[CaptureSpec]:
    """Capture specs for the target tables the mappings own, keyed by their owner column
    (the main table's ``legacy_id`` recorded as ``ref``)."""
    specs: dict[str, CaptureSpec] = {}
    for m in mappings:
        for target in m.targets:
            if target.owner:
                main = target is m.targets[0] and "legacy_id" in target.table.c
                ref = "legacy_id" if main else None
                specs.setdefault(target.name, CaptureSpec(target.name, target.owner, ref))
    return list(specs.values())
