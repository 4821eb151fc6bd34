"""``zhongtai migrate capture install|remove``: change-log triggers, installed and removed safely.

Forward capture goes on the legacy database, on every table a mapping reads (sources,
children, merge-group tables). Reverse capture goes on the center databases, on the tables
the reverse-synced mappings own (see :mod:`zhongtai.migrate.reverse`).

Install is idempotent: triggers already installed with the same body are left alone (no
window without capture on a live database), changed ones are replaced, missing ones created.
Everything is checked before anything is written: the tables must exist, and a trigger that
carries one of our names but was not made by zhongtai is a conflict to resolve by hand.
Other triggers on captured tables are reported, not touched. Remove drops our triggers and
the change log; it refuses while the log still holds changes no syncer applied (``--force``
discards them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhongtai.config import Settings, mask_url
from zhongtai.errors import ZhongtaiError
from zhongtai.migrate import capture_sql as ddl
from zhongtai.migrate.capture_specs import forward_specs, owned_specs
from zhongtai.migrate.capture_sql import LOG_TABLE, TRIGGER_PREFIX, CaptureSpec
from zhongtai.migrate.changelog import change_log, origin_table
from zhongtai.migrate.mapping import Mapping


class CaptureError(ZhongtaiError):
    """Capture cannot be installed, removed or used as asked; nothing was changed."""


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    body: str

    @property
    def ours(self) -> bool:
        return self.name.startswith(TRIGGER_PREFIX) and LOG_TABLE in self.body


@dataclass
class CaptureResult:
    """What install or remove did on one database."""

    database: str
    url: str
    tables: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    other_triggers: list[str] = field(default_factory=list)  # "table.trigger", not ours
    discarded_changes: int = 0

    def as_dict(self) -> dict:
        return dict(vars(self))


# --------------------------------------------------------------------------- inspection


def list_triggers(conn: Connection) -> list[Trigger]:
    """Every trigger of the connected database (current schema)."""
    name = conn.dialect.name
    if name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
    elif name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT t.tgname, c.relname, p.prosrc FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        )
    else:
        rows = conn.exec_driver_sql(
            "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT "
            "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        )
    return [Trigger(r[0], r[1], r[2] or "") for r in rows]


def _expected_body(dialect: str, spec: CaptureSpec, name: str, statement: str) -> str:
    if dialect == "sqlite":
        return statement
    if dialect == "postgresql":
        return ddl.pg_function_body(spec)
    event = {"i": "insert", "u": "update", "d": "delete"}[name[-1]]
    return ddl.mysql_trigger_body(spec, event)


def _plan(conn: Connection, specs: Sequence[CaptureSpec], result: CaptureResult) -> list[str]:
    """Statements that bring ``specs`` up to date; raises on conflicts, writes nothing."""
    dialect = conn.dialect.name
    inspector = sa.inspect(conn)
    missing = [s.table for s in specs if not inspector.has_table(s.table)]
    if missing:
        raise CaptureError(
            f"cannot capture table(s) {', '.join(missing)}: not found [{result.url}]",
            hint="check the database URL (and seed or upgrade it first)",
        )
    if inspector.has_table(LOG_TABLE):
        columns = {c["name"] for c in inspector.get_columns(LOG_TABLE)}
        if not {c.name for c in change_log.columns} <= columns:
            raise CaptureError(
                f"a table {LOG_TABLE} exists but is not a zhongtai change log [{result.url}]",
                hint="rename or drop that table, then install again",
            )
    existing = {(t.table, t.name): t for t in list_triggers(conn)}
    by_name = {t.name: t for t in existing.values()}
    captured = {s.table for s in specs}
    statements: list[str] = []
    for spec in specs:
        for name, statement in ddl.create_statements(dialect, spec).items():
            if name.startswith("function:"):
                continue  # judged through the trigger that calls it
            found = existing.get((spec.table, name)) or (
                by_name.get(name) if dialect != "postgresql" else None
            )
            if found is not None and (found.table != spec.table or not found.ours):
                raise CaptureError(
                    f"trigger {name} on {found.table} exists and was not installed by zhongtai "
                    f"for {spec.table} [{result.url}]",
                    hint="drop or rename that trigger, then run `zhongtai migrate capture "
                    "install` again",
                )
            expected = _expected_body(dialect, spec, name, statement)
            label = f"{spec.table}.{name}"
            if found is not None and found.body.strip() == expected.strip():
                result.unchanged.append(label)
                continue
            (result.replaced if found is not None else result.created).append(label)
            statements += _statements_for(dialect, spec, name, found is not None)
    result.other_triggers = sorted(
        f"{t.table}.{t.name}" for t in existing.values() if t.table in captured and not t.ours
    )
    result.tables = [s.table for s in specs]
    return statements


def _statements_for(dialect: str, spec: CaptureSpec, name: str, exists: bool) -> list[str]:
    creates = ddl.create_statements(dialect, spec)
    if dialect == "postgresql":
        # CREATE OR REPLACE FUNCTION swaps the body atomically; the trigger stays in place.
        return [creates[f"function:{name}"]] + ([] if exists else [creates[name]])
    if dialect == "sqlite" and exists:
        return [f'DROP TRIGGER IF EXISTS "{name}"', creates[name]]
    return [creates[name]]  # MariaDB: CREATE OR REPLACE TRIGGER


# --------------------------------------------------------------------------- install / remove


def install(engine: Engine, specs: Sequence[CaptureSpec], database: str) -> CaptureResult:
    """Create the change log and the triggers of ``specs`` (idempotent; see module doc)."""
    result = CaptureResult(database, mask_url(engine.url.render_as_string(hide_password=False)))
    with engine.connect() as conn:
        statements = _plan(conn, specs, result)
        conn.rollback()
    tables = [change_log] + ([origin_table] if engine.dialect.name == "sqlite" else [])
    # SQLite and PostgreSQL run DDL in the transaction: all of it lands, or none.
    with engine.begin() as conn:
        for table in tables:
            table.create(conn, checkfirst=True)
        for statement in statements:
            conn.exec_driver_sql(statement)
    return result


def remove(engine: Engine, database: str, *, force: bool = False) -> CaptureResult:
    """Drop every zhongtai capture trigger and the change log of one database (idempotent)."""
    result = CaptureResult(database, mask_url(engine.url.render_as_string(hide_password=False)))
    with engine.connect() as conn:
        ours = [t for t in list_triggers(conn) if t.ours]
        pending = 0
        if sa.inspect(conn).has_table(LOG_TABLE):
            pending = conn.execute(sa.select(sa.func.count()).select_from(change_log)).scalar()
        conn.rollback()
    if pending and not force:
        raise CaptureError(
            f"{database}: {pending:,} captured change(s) were not applied yet [{result.url}]",
            hint="run `zhongtai migrate sync --once` first, or pass --force to discard them",
        )
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for trigger in ours:
            if dialect == "postgresql":
                conn.exec_driver_sql(
                    f'DROP TRIGGER IF EXISTS "{trigger.name}" ON "{trigger.table}"'
                )
                conn.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{trigger.name}"()')
            else:
                quote = "`" if dialect in ("mysql", "mariadb") else '"'
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {quote}{trigger.name}{quote}")
            result.removed.append(f"{trigger.table}.{trigger.name}")
        for table in (change_log, origin_table):
            table.drop(conn, checkfirst=True)
    result.discarded_changes = int(pending or 0)
    return result


def require_installed(engine: Engine, specs: Sequence[CaptureSpec], database: str) -> None:
    """Raise CaptureError naming what is missing unless capture of ``specs`` is complete."""
    url = mask_url(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        has_log = sa.inspect(conn).has_table(LOG_TABLE)
        probe = CaptureResult(database, url)
        try:
            _plan(conn, specs, probe)  # what an install would still have to do
        except CaptureError as exc:
            raise CaptureError(exc.message, hint=exc.hint) from None
    stale = sorted({label.split(".")[0] for label in probe.created + probe.replaced})
    if not has_log or stale:
        what = (
            "no change log" if not has_log else f"missing or outdated triggers: {', '.join(stale)}"
        )
        flag = " --reverse" if database != "legacy" else ""
        raise CaptureError(
            f"change capture is not installed on the {database} database ({what}) [{url}]",
            hint=f"run `zhongtai migrate capture install{flag}` (before the backfill, so no "
            "change is missed)",
        )


# --------------------------------------------------------------------------- settings level


def capture_targets(settings: Settings, *, reverse: bool) -> dict[str, list[CaptureSpec]]:
    """Database name → specs: legacy for forward capture, the centers for reverse."""
    from zhongtai.migrate.mappings import all_mappings

    if not reverse:
        return {"legacy": forward_specs(list(all_mappings().values()))}
    from zhongtai.migrate.reverse_specs import reverse_mappings

    by_center: dict[str, list[Mapping]] = {}
    for mapping in reverse_mappings():
        by_center.setdefault(mapping.center, []).append(mapping)
    return {center: owned_specs(ms) for center, ms in by_center.items()}


def _open(settings: Settings, database: str) -> Engine:
    from zhongtai.migrate.preflight import open_engine

    hint = "legacy" if database == "legacy" else "center"
    return open_engine(database, settings.database(database), must_exist=True, hint_key=hint)


def install_capture(settings: Settings, *, reverse: bool = False) -> list[CaptureResult]:
    """Install capture on legacy (or, ``reverse``, on the centers the reverse sync reads)."""
    targets = capture_targets(settings, reverse=reverse)
    engines = {db: _open(settings, db) for db in targets}  # every URL checked first
    try:
        return [install(engines[db], specs, db) for db, specs in targets.items()]
    finally:
        for engine in engines.values():
            engine.dispose()


def remove_capture(
    settings: Settings, *, reverse: bool = False, force: bool = False
) -> list[CaptureResult]:
    """Remove capture from legacy (or, ``reverse``, from the centers)."""
    targets = capture_targets(settings, reverse=reverse)
    engines = {db: _open(settings, db) for db in targets}
    try:
        if not force:  # refuse before touching any database
            for db, engine in engines.items():
                with engine.connect() as conn:
                    if sa.inspect(conn).has_table(LOG_TABLE):
                        pending = conn.execute(
                            sa.select(sa.func.count()).select_from(change_log)
                        ).scalar()
                        if pending:
                            remove(engine, db)  # raises with the figures
        return [remove(engine, db, force=force) for db, engine in engines.items()]
    finally:
        for engine in engines.values():
            engine.dispose()


__all__ = [
    "CaptureError",
    "CaptureResult",
    "forward_specs",
    "install",
    "install_capture",
    "owned_specs",
    "remove",
    "remove_capture",
    "require_installed",
]
