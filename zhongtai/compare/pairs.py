"""Ad-hoc comparisons of two same-shape tables (what data-diff and reladiff do).

:func:`same_shape` wraps a table pair into an identity :class:`~zhongtai.migrate.mapping.Mapping`
plus the trivial SQL form of that identity, so the whole parity machinery applies: both
checksums run inside the databases (PostgreSQL, MariaDB; SQLite through the Python aggregate on
the platform side), mismatched segments are bisected and downloaded, and duplicates in a target
without a primary key are reported. Used by the benchmark against reladiff and by tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from zhongtai.compare.model import DataParity
from zhongtai.compare.run import DataRun, Events, Options
from zhongtai.compare.units import plan_units
from zhongtai.migrate.mapping import Mapped, Mapping, Record, Target
from zhongtai.migrate.sqlforms import SqlForm


def same_shape(
    name: str,
    source: sa.Table,
    target: sa.Table,
    *,
    center: str,
    key: str = "id",
    money: Sequence[str] = (),
) -> tuple[Mapping, dict[tuple[str, str], SqlForm]]:
    """An identity mapping ``source`` → ``target`` (same column names) and its SQL form."""
    missing = [c.name for c in target.c if c.name not in source.c]
    if missing:
        raise ValueError(f"{source.name} lacks the target's column(s) {missing}")
    columns = [c.name for c in target.c]

    def copy(record: Record) -> Mapped:
        return {target.name: [{c: record.row[c] for c in columns}]}

    mapping = Mapping(
        name=name,
        source=source,
        center=center,
        targets=(Target(target, key=(key,), owner=key, money=tuple(money)),),
        transform=copy,
        key=key,
        description=f"{source.name} → {target.name} (same shape)",
    )
    form = SqlForm(
        mapping=name,
        target=target.name,
        columns=lambda table, dialect: {c: table.c[c] for c in columns},
        guard=lambda table, dialect: sa.true(),
    )
    return mapping, {(name, target.name): form}


def compare_tables(
    legacy: sa.Engine,
    platform: sa.Engine,
    mapping: Mapping,
    forms: dict[tuple[str, str], SqlForm],
    *,
    options: Options | None = None,
    events: Events | None = None,
) -> DataParity:
    """Compare one same-shape pair over open engines."""
    options = options or Options()
    options.check()
    units = plan_units(
        [mapping],
        [mapping],
        money_tolerance=options.money_tolerance,
        float_tolerance=options.float_tolerance,
        forms=forms,
    )
    return DataRun(legacy, {mapping.center: platform}, units, options, events).run()
