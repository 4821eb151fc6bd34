"""Check every database a run needs before anything is written, and open its engines.

A bad URL, a missing SQLite file, an unreachable server, a legacy table that is not there or a
center that was never upgraded each fail here with a DatabaseError naming the masked URL and
what to do — so a run either starts on solid ground or changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhongtai.config import Settings, mask_url
from zhongtai.db import open_database, open_state_engine
from zhongtai.errors import ConfigError, DatabaseError
from zhongtai.migrate.mapping import Group, Mapping


@dataclass
class Endpoints:
    """Engines of one run: the legacy source, the state database, one per target center."""

    legacy: Engine
    state: Engine | None
    centers: dict[str, Engine] = field(default_factory=dict)

    def dispose(self) -> None:
        for engine in (self.legacy, self.state, *self.centers.values()):
            if engine is not None:
                engine.dispose()


_HINTS = {
    "legacy": "seed it with `zhongtai seed`, or point databases.legacy at the monolith's database",
    "state": "check databases.state",
    "center": "create the center's schema with `zhongtai platform upgrade`",
}


def open_engine(name: str, url: str, *, must_exist: bool, hint_key: str) -> Engine:
    """An engine for ``url`` that has answered one query; DatabaseError otherwise, with the
    hint for its role (``legacy``, ``state``, ``center``)."""
    return open_database(name, url, must_exist=must_exist, hint=_HINTS[hint_key])


def _tables_missing(engine: Engine, tables: Sequence[sa.Table]) -> list[str]:
    inspector = sa.inspect(engine)
    return sorted({t.name for t in tables if not inspector.has_table(t.name, schema=t.schema)})


def _source_tables(mapping: Mapping) -> list[sa.Table]:
    tables = [mapping.source, *(c.table for c in mapping.children)]
    tables += [g.table for g in (mapping.group, *mapping.uses) if isinstance(g, Group)]
    return tables


def open_endpoints(settings: Settings, mappings: Sequence[Mapping], *, dry_run: bool) -> Endpoints:
    """Open and check legacy, state (unless ``dry_run``) and every target center."""
    opened: list[Engine] = []
    try:
        legacy = open_engine(
            "legacy", settings.database("legacy"), must_exist=True, hint_key="legacy"
        )
        opened.append(legacy)
        missing = _tables_missing(legacy, [t for m in mappings for t in _source_tables(m)])
        if missing:
            raise DatabaseError(
                f"legacy table(s) {', '.join(missing)} not found",
                url=mask_url(settings.database("legacy")),
                hint=_HINTS["legacy"],
            )
        centers: dict[str, Engine] = {}
        for mapping in mappings:
            if mapping.center not in centers:
                url = settings.database(mapping.center)
                centers[mapping.center] = open_engine(
                    mapping.center, url, must_exist=True, hint_key="center"
                )
                opened.append(centers[mapping.center])
            targets = [t.table for t in mapping.targets]
            missing = _tables_missing(centers[mapping.center], targets)
            if missing:
                raise DatabaseError(
                    f"{mapping.center} center table(s) {', '.join(missing)} not found "
                    f"(needed by mapping {mapping.name!r})",
                    url=mask_url(settings.database(mapping.center)),
                    hint=_HINTS["center"],
                )
        state = None
        if not dry_run:
            state = open_state_engine(settings)
            opened.append(state)
        return Endpoints(legacy=legacy, state=state, centers=centers)
    except BaseException:
        for engine in opened:
            engine.dispose()
        raise


def check_mapping(mapping: Mapping) -> None:
    """A mapping's targets must upsert on a primary key or unique constraint of their table."""
    for target in mapping.targets:
        table = target.table
        keys = {tuple(c.name for c in table.primary_key.columns)}
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                keys.add(tuple(c.name for c in constraint.columns))
        keys |= {tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique}
        keys |= {(c.name,) for c in table.columns if c.unique}
        if not any(set(k) == set(target.key) for k in keys):
            raise ConfigError(
                f"mapping {mapping.name!r}: target {table.name}{target.key} is neither the "
                "primary key nor a unique key, so upserts cannot be idempotent",
                hint="use the table's primary key or a unique constraint as Target.key",
            )
