"""Change-log trigger DDL for SQLite, PostgreSQL and MariaDB/MySQL (pure: text in, text out).

Each captured table gets row-level AFTER INSERT/UPDATE/DELETE triggers that append one row to
``zt_change_log``: the table name, the row's key, optionally the key of the parent row it
belongs to (``ref``: an order item's ``order_id``), the operation, the **origin** of the
writing transaction and the database clock in UTC. Only keys are recorded; the syncer re-reads
the current row when it applies the change, so replays are idempotent and no before/after
images have to be encoded in three SQL dialects (see ``shared/reference/data.md`` §7).

The origin says who wrote: ``app`` unless a zhongtai syncer marked its own transaction
(:mod:`zhongtai.migrate.origin`): a session setting on PostgreSQL (``zhongtai.origin``,
transaction-local), a user variable on MariaDB (``@zhongtai_origin``), a row of
``zt_change_origin`` on SQLite that only the marking transaction ever sees.

An UPDATE that moves a row to another parent or changes its key also records the old parent /
old key, so the parent that lost the row is re-synced too.
"""

from __future__ import annotations

from dataclasses import dataclass

LOG_TABLE = "zt_change_log"
ORIGIN_TABLE = "zt_change_origin"  # SQLite only
TRIGGER_PREFIX = "zt_cap_"
PG_SETTING = "zhongtai.origin"
MYSQL_VARIABLE = "@zhongtai_origin"
DEFAULT_ORIGIN = "app"

_OPS = {"insert": "I", "update": "U", "delete": "D"}


@dataclass(frozen=True)
class CaptureSpec:
    """One captured table: its integer key column and, for child tables, the parent column."""

    table: str
    key: str
    ref: str | None = None
    # Columns whose update can change a whole-table fact (a merge, a lookup): such an update
    # is recorded as op ``W`` instead of ``U``, so sync rebuilds that fact only when needed.
    watch: tuple[str, ...] = ()

    @property
    def base_name(self) -> str:
        return f"{TRIGGER_PREFIX}{self.table}"[:60]


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _dialect(name: str) -> str:
    if name == "sqlite":
        return "sqlite"
    if name == "postgresql":
        return "postgresql"
    if name in ("mysql", "mariadb"):
        return "mysql"
    raise ValueError(f"change capture supports SQLite, PostgreSQL and MariaDB/MySQL, not {name!r}")


def trigger_names(dialect: str, spec: CaptureSpec) -> list[str]:
    """The names of the triggers :func:`create_statements` makes for ``spec``."""
    if _dialect(dialect) == "postgresql":
        return [spec.base_name]
    names = [f"{spec.base_name}_{op[0]}" for op in _OPS]
    if _dialect(dialect) == "sqlite":
        names += [f"{spec.base_name}_k"] + ([f"{spec.base_name}_m"] if spec.ref else [])
    return names


# --------------------------------------------------------------------------- SQLite

_SQLITE_ORIGIN = f"COALESCE((SELECT origin FROM {ORIGIN_TABLE} WHERE slot = 1), 'app')"
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite_insert(spec: CaptureSpec, key: str, ref: str, op: str) -> str:
    return (
        f"INSERT INTO {LOG_TABLE} (table_name, row_key, ref_key, op, origin, captured_at) "
        f"VALUES ({_lit(spec.table)}, {key}, {ref}, {op}, {_SQLITE_ORIGIN}, {_SQLITE_NOW});"
    )


def _update_op(spec: CaptureSpec, differs: str) -> str:
    """SQL for the op of an UPDATE: ``'W'`` when a watched column changed, else ``'U'``.
    ``differs`` formats one column into a "changed" test for the dialect."""
    if not spec.watch:
        return "'U'"
    changed = " OR ".join(differs.format(c=c) for c in spec.watch)
    return f"CASE WHEN {changed} THEN 'W' ELSE 'U' END"


def _sqlite(spec: CaptureSpec) -> dict[str, str]:
    new_ref = f'NEW."{spec.ref}"' if spec.ref else "NULL"
    old_ref = f'OLD."{spec.ref}"' if spec.ref else "NULL"
    key = f'"{spec.key}"'
    table = f'"{spec.table}"'
    base = spec.base_name
    update_op = _update_op(spec, 'OLD."{c}" IS NOT NEW."{c}"')
    bodies = {
        f"{base}_i": ("INSERT", "", _sqlite_insert(spec, f"NEW.{key}", new_ref, "'I'")),
        f"{base}_u": ("UPDATE", "", _sqlite_insert(spec, f"NEW.{key}", new_ref, update_op)),
        f"{base}_d": ("DELETE", "", _sqlite_insert(spec, f"OLD.{key}", old_ref, "'D'")),
        f"{base}_k": (
            "UPDATE",
            f" WHEN OLD.{key} IS NOT NEW.{key}",
            _sqlite_insert(spec, f"OLD.{key}", old_ref, "'D'"),
        ),
    }
    if spec.ref:
        bodies[f"{base}_m"] = (
            "UPDATE",
            f' WHEN OLD."{spec.ref}" IS NOT NEW."{spec.ref}"',
            _sqlite_insert(spec, f"NEW.{key}", old_ref, update_op),
        )
    return {
        name: f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {body} END"
        for name, (event, when, body) in bodies.items()
    }


# --------------------------------------------------------------------------- PostgreSQL

_PG_INSERT = (
    f"INSERT INTO {LOG_TABLE} (table_name, row_key, ref_key, op, origin, captured_at) "
    "VALUES ({table}, {key}, {ref}, {op}, origin, clock_timestamp() AT TIME ZONE 'UTC');"
)


def pg_function_body(spec: CaptureSpec) -> str:
    """The plpgsql body of the per-table trigger function (compared verbatim on reinstall)."""
    table = _lit(spec.table)
    new_ref = f'NEW."{spec.ref}"' if spec.ref else "NULL"
    old_ref = f'OLD."{spec.ref}"' if spec.ref else "NULL"
    key = f'"{spec.key}"'
    update = _update_op(spec, 'OLD."{c}" IS DISTINCT FROM NEW."{c}"')
    lines = [
        "DECLARE origin text := COALESCE(NULLIF(current_setting("
        f"{_lit(PG_SETTING)}, true), ''), 'app');",
        "BEGIN",
        "IF TG_OP = 'DELETE' THEN",
        _PG_INSERT.format(table=table, key=f"OLD.{key}", ref=old_ref, op="'D'"),
        "RETURN NULL;",
        "END IF;",
        f"IF TG_OP = 'UPDATE' AND OLD.{key} IS DISTINCT FROM NEW.{key} THEN",
        _PG_INSERT.format(table=table, key=f"OLD.{key}", ref=old_ref, op="'D'"),
        "END IF;",
    ]
    if spec.ref:
        lines += [
            f'IF TG_OP = \'UPDATE\' AND OLD."{spec.ref}" IS DISTINCT FROM NEW."{spec.ref}" THEN',
            _PG_INSERT.format(table=table, key=f"NEW.{key}", ref=old_ref, op=update),
            "END IF;",
        ]
    lines += [
        _PG_INSERT.format(
            table=table,
            key=f"NEW.{key}",
            ref=new_ref,
            op=f"CASE WHEN TG_OP = 'INSERT' THEN 'I' ELSE {update} END",
        ),
        "RETURN NULL;",
        "END;",
    ]
    return "\n".join(lines)


def _postgresql(spec: CaptureSpec) -> dict[str, str]:
    name = spec.base_name
    function = (
        f'CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql AS '
        f"$zt$\n{pg_function_body(spec)}\n$zt$"
    )
    trigger = (
        f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE OR DELETE ON "{spec.table}" '
        f'FOR EACH ROW EXECUTE FUNCTION "{name}"()'
    )
    return {f"function:{name}": function, name: trigger}


# --------------------------------------------------------------------------- MariaDB / MySQL

_MY_INSERT = (
    f"INSERT INTO {LOG_TABLE} (table_name, row_key, ref_key, op, origin, captured_at) "
    f"VALUES ({{table}}, {{key}}, {{ref}}, {{op}}, COALESCE({MYSQL_VARIABLE}, 'app'), "
    "UTC_TIMESTAMP(6));"
)


def mysql_trigger_body(spec: CaptureSpec, event: str) -> str:
    """The ``BEGIN … END`` body of one MariaDB trigger (compared verbatim on reinstall)."""
    table = _lit(spec.table)
    key = f"`{spec.key}`"
    new_ref = f"NEW.`{spec.ref}`" if spec.ref else "NULL"
    old_ref = f"OLD.`{spec.ref}`" if spec.ref else "NULL"
    delete_old = _MY_INSERT.format(table=table, key=f"OLD.{key}", ref=old_ref, op="'D'")
    if event == "delete":
        return f"BEGIN {delete_old} END"
    update = _update_op(spec, "NOT (OLD.`{c}` <=> NEW.`{c}`)")
    op = "'I'" if event == "insert" else update
    parts = [_MY_INSERT.format(table=table, key=f"NEW.{key}", ref=new_ref, op=op)]
    if event == "update":
        parts.append(f"IF NOT (OLD.{key} <=> NEW.{key}) THEN {delete_old} END IF;")
        if spec.ref:
            moved = _MY_INSERT.format(table=table, key=f"NEW.{key}", ref=old_ref, op=update)
            parts.append(f"IF NOT (OLD.`{spec.ref}` <=> NEW.`{spec.ref}`) THEN {moved} END IF;")
    return "BEGIN " + " ".join(parts) + " END"


def _mysql(spec: CaptureSpec) -> dict[str, str]:
    out = {}
    for event in _OPS:
        name = f"{spec.base_name}_{event[0]}"
        out[name] = (
            f"CREATE OR REPLACE TRIGGER `{name}` AFTER {event.upper()} ON `{spec.table}` "
            f"FOR EACH ROW {mysql_trigger_body(spec, event)}"
        )
    return out


def create_statements(dialect: str, spec: CaptureSpec) -> dict[str, str]:
    """Trigger (and, on PostgreSQL, function) name → its CREATE statement, in order."""
    return {"sqlite": _sqlite, "postgresql": _postgresql, "mysql": _mysql}[_dialect(dialect)](spec)


def drop_statements(dialect: str, spec: CaptureSpec) -> list[str]:
    """Statements that remove every trigger (and function) of ``spec``; safe when absent."""
    kind = _dialect(dialect)
    if kind == "postgresql":
        name = spec.base_name
        return [
            f'DROP TRIGGER IF EXISTS "{name}" ON "{spec.table}"',
            f'DROP FUNCTION IF EXISTS "{name}"()',
        ]
    quote = "`" if kind == "mysql" else '"'
    return [f"DROP TRIGGER IF EXISTS {quote}{n}{quote}" for n in trigger_names(dialect, spec)]
