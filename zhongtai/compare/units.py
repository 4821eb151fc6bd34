"""What a data comparison compares: one unit per center table, from the mappings (pure).

A *unit* is one center table together with every mapping that writes it — a table written by
two mappings (``member`` by ``members`` and ``platform_customers``) is compared against the
union of what both produce, or the other's rows would read as "extra on the platform". Each
unit is walked one of two ways:

``ranged``
    one contributing mapping that declares the target's ``owner`` (the column holding the
    source key): segments are ranges of that key, so a chunk of legacy rows and the platform
    rows ``WHERE owner IN (after, upto]`` are two views of the same segment.
``bucketed``
    anything else (several contributors, or no owner): rows are spread over hash buckets of
    their key, both sides sum their hashes per bucket, and only mismatched buckets are read
    again row by row.

Columns are the target's ``compare`` columns (all table columns but its ``counter`` by
default — every reference transform writes all of them); money columns (fen) get the money
tolerance, float columns the float tolerance. Everything here is derived from the mapping
objects, the one source of truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from zhongtai.compare.diff import Spec
from zhongtai.compare.rowhash import RowShape
from zhongtai.migrate.mapping import Mapping, Target
from zhongtai.migrate.sqlforms import SqlForm, sql_form

MONEY_TOLERANCE_FEN = 1  # domain.md §3.5: ±1 分 where the legacy value was a float
FLOAT_TOLERANCE = 1e-6  # coordinates: about 0.1 m


@dataclass(frozen=True)
class Contributor:
    """One mapping's share of a unit."""

    mapping: Mapping
    target: Target
    form: SqlForm | None = None


@dataclass(frozen=True)
class Unit:
    """One center table and the mappings that write it."""

    center: str
    table: sa.Table
    contributors: tuple[Contributor, ...]
    columns: tuple[str, ...]
    key: tuple[str, ...]
    tolerance: dict[str, float] = field(default_factory=dict)
    segment_column: str | None = None  # ranged units: the owner column

    @property
    def name(self) -> str:
        return f"{self.center}.{self.table.name}"

    @property
    def ranged(self) -> bool:
        return self.segment_column is not None

    @property
    def mappings(self) -> tuple[str, ...]:
        return tuple(c.mapping.name for c in self.contributors)

    @cached_property
    def shape(self) -> RowShape:
        return RowShape(self.table, self.columns, self.key)

    @cached_property
    def spec(self) -> Spec:
        return Spec(self.columns, self.key, self.tolerance)

    def form_for(self, dialect: str) -> SqlForm | None:
        """The SQL form of a ranged unit's transform on ``dialect``, if there is one."""
        if not self.ranged:
            return None
        form = self.contributors[0].form
        return form if form is not None and form.supports(dialect) else None


def _is_integer(column: sa.Column) -> bool:
    return isinstance(column.type, sa.Integer) and not isinstance(column.type, sa.Boolean)


def _tolerance(table: sa.Table, money: Iterable[str], money_fen: float, floats: float) -> dict:
    out = {name: float(money_fen) for name in money if name in table.c}
    for col in table.c:
        if isinstance(col.type, sa.Float) and col.name not in out:
            out[col.name] = floats
    return out


def plan_units(
    selected: Sequence[Mapping],
    registry: Iterable[Mapping],
    *,
    money_tolerance: float = MONEY_TOLERANCE_FEN,
    float_tolerance: float = FLOAT_TOLERANCE,
    forms: dict[tuple[str, str], SqlForm] | None = None,
) -> list[Unit]:
    """The units the ``selected`` mappings write, each with all its contributors.

    ``registry`` is every known mapping (contributors outside the selection still count);
    ``forms`` overrides the SQL-form registry (for ad-hoc table pairs).
    """
    everyone = list(registry)
    for m in selected:
        if all(m is not other for other in everyone):
            everyone.append(m)
    writers: dict[tuple[str, str], list[Contributor]] = {}
    for mapping in everyone:
        for target in mapping.targets:
            form = (forms or {}).get((mapping.name, target.name)) or sql_form(
                mapping.name, target.name
            )
            writers.setdefault((mapping.center, target.name), []).append(
                Contributor(mapping, target, form)
            )
    units: list[Unit] = []
    seen: set[tuple[str, str]] = set()
    for mapping in selected:
        for target in mapping.targets:
            ident = (mapping.center, target.name)
            if ident in seen:
                continue
            seen.add(ident)
            contributors = tuple(writers[ident])
            table = target.table
            columns = tuple(target.compare or (c.name for c in table.c if c.name != target.counter))
            money = {m for c in contributors for m in c.target.money}
            near = {path: t for c in contributors for path, t in c.target.near}
            owner = target.owner
            ranged = (
                len(contributors) == 1
                and owner is not None
                and owner in table.c
                and _is_integer(table.c[owner])
            )
            units.append(
                Unit(
                    center=mapping.center,
                    table=table,
                    contributors=contributors,
                    columns=columns,
                    key=tuple(target.key),
                    tolerance=_tolerance(table, money, money_tolerance, float_tolerance) | near,
                    segment_column=owner if ranged else None,
                )
            )
    return units
