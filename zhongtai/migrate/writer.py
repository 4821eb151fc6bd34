"""Idempotent bulk upserts into a center table, one strategy per engine.

* PostgreSQL: ``COPY`` (binary) straight into the table inside a savepoint; when a unique key
  is already taken (a replayed chunk, a row shared across chunks), ``COPY`` into a session
  temp table shaped like the written columns, then ``INSERT … SELECT … ON CONFLICT (key) DO
  UPDATE``. Sync's re-applied rows, when few, go as one ``INSERT … SELECT FROM unnest(column
  arrays) ON CONFLICT …`` instead: one round trip where temp table, ``COPY`` and upsert take
  four, and on a busy machine every round trip waits tens of milliseconds for the CPU.
* MariaDB/MySQL: multi-row ``INSERT … ON DUPLICATE KEY UPDATE`` (PyMySQL's ``executemany``
  folds the rows into statements of up to ~1 MB).
* SQLite: ``INSERT … ON CONFLICT (key) DO UPDATE`` through ``executemany``.

Values go through each column's SQLAlchemy bind processing (``UtcDateTime`` → naive UTC, JSON →
text where the driver needs it), so the rows a mapping produces are written exactly as the
center's own repository would write them. Everything runs inside the caller's transaction.

:func:`apply_record` is the row-level entry for sync: it replaces the target rows one source
row owns (``Target.owner``), deleting the ones the new transform no longer produces.
"""

from __future__ import annotations

import hashlib
import io
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Connection

try:  # the PostgreSQL driver; other engines never reach the code that needs it
    import psycopg
    from psycopg.copy import FileWriter
    from psycopg.errors import UniqueViolation
    from psycopg.types.json import Json, Jsonb, set_json_dumps
except ImportError:  # pragma: no cover
    psycopg = FileWriter = UniqueViolation = None  # type: ignore[assignment,misc]
    Json = Jsonb = set_json_dumps = None  # type: ignore[assignment,misc]

from zhongtai.migrate.converters import converter, dumps
from zhongtai.migrate.mapping import Mapped, Mapping, Quarantine, Row, Target


class _PgSql(NamedTuple):
    """A PostgreSQL upsert's statements (``_Plan.sql`` is the temp table → table upsert)."""

    tmp: str  # the session temp table shaped like the written columns
    copy: str  # COPY into it
    create: str  # CREATE TEMP TABLE IF NOT EXISTS it
    direct: str  # COPY straight into the table
    table: str  # the table, quoted
    tail: str  # ON CONFLICT … DO UPDATE … WHERE a value differs


@dataclass(frozen=True)
class _Plan:
    columns: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    sql: str
    pg: _PgSql | None = None  # PostgreSQL only
    named: bool = False  # the driver takes a dict per row (PyMySQL's pyformat), not a tuple

    @cached_property
    def build(self) -> Callable[[Row], tuple]:
        """row dict → value tuple in ``columns`` order, non-NULL values converted."""
        return _builder(self.columns, self.processors)


def _builder(columns: tuple[str, ...], processors: tuple) -> Callable:
    # Generated once per plan, like namedtuple and dataclasses do: one flat tuple expression
    # per row is several times cheaper than a loop over the columns (a backfill builds
    # hundreds of thousands of these).
    env: dict[str, Any] = {}
    parts = []
    for i, (column, process) in enumerate(zip(columns, processors, strict=True)):
        if process is None:
            parts.append(f"row[{column!r}]")
        else:
            env[f"p{i}"] = process
            parts.append(f"(None if (v{i} := row[{column!r}]) is None else p{i}(v{i}))")
    exec(f"def build(row):\n    return ({', '.join(parts)},)\n", env)  # noqa: S102
    return env["build"]


def upsert_updates(
    table: sa.Table, columns: Sequence[str], key: Sequence[str], counter: str | None
) -> list[str]:
    """The columns an upsert of ``columns`` by ``key`` sets on a row that exists: not the key,
    not the ``counter`` (:attr:`Target.counter`), the first key column when nothing else is
    left (a no-op update). ValueError names columns the table does not have."""
    missing = [c for c in (*columns, *key) if c not in table.c]
    if missing:
        raise ValueError(f"table {table.name!r} has no column(s) {missing}")
    return [c for c in columns if c not in key and c != counter] or [key[0]]


_PLANS: dict[tuple[str, int, tuple[str, ...], tuple[str, ...], str | None], _Plan] = {}


def _plan(
    dialect,
    table: sa.Table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    counter: str | None = None,
) -> _Plan:
    """The upsert of ``columns`` by ``key``; an existing row keeps its ``counter``
    (:attr:`Target.counter`)."""
    cache_key = (dialect.name, id(table), columns, key, counter)
    plan = _PLANS.get(cache_key)
    if plan is not None:
        return plan
    updates = upsert_updates(table, columns, key, counter)
    is_pg = dialect.name == "postgresql"
    processors = tuple(converter(table.c[c], dialect, raw_json=is_pg) for c in columns)
    if is_pg:
        prep = dialect.identifier_preparer
        qualified = prep.format_table(table)
        cols = ", ".join(prep.quote(c) for c in columns)
        digest = hashlib.sha1(",".join(columns).encode()).hexdigest()[:8]
        tmp = prep.quote(f"_zt_{table.name[:40]}_{digest}")
        create = (
            f"CREATE TEMP TABLE IF NOT EXISTS {tmp} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {qualified} WITH NO DATA"
        )
        sets = ", ".join(f"{prep.quote(c)} = EXCLUDED.{prep.quote(c)}" for c in updates)
        conflict = ", ".join(prep.quote(c) for c in key)
        tail = (
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sets} WHERE {_changed(table, updates, prep)}"
        )
        sql = f"INSERT INTO {qualified} ({cols}) SELECT {cols} FROM {tmp} {tail}"
        copy = f"COPY {tmp} ({cols}) FROM STDIN (FORMAT BINARY)"
        direct = f"COPY {qualified} ({cols}) FROM STDIN (FORMAT BINARY)"
        plan = _Plan(columns, processors, sql, _PgSql(tmp, copy, create, direct, qualified, tail))
    else:
        if dialect.name == "sqlite":
            stmt = sqlite.insert(table)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(key), set_={c: stmt.excluded[c] for c in updates}
            )
        elif dialect.name in ("mysql", "mariadb"):
            stmt = mysql.insert(table)
            stmt = stmt.on_duplicate_key_update({c: stmt.inserted[c] for c in updates})
        else:
            raise ValueError(f"no bulk upsert for the {dialect.name!r} engine")
        stmt = stmt.values({c: sa.bindparam(c) for c in columns})
        compiled = stmt.compile(dialect=dialect)
        # Positional drivers get tuples in the compiler's VALUES order; named ones (PyMySQL's
        # pyformat) get dicts keyed by column, built in upsert().
        order = tuple(compiled.positiontup or columns)
        if sorted(order) != sorted(columns):
            raise ValueError(f"cannot compile a bulk upsert for {table.name!r}")
        by_name = dict(zip(columns, processors, strict=True))
        named = compiled.positiontup is None
        plan = _Plan(order, tuple(by_name[c] for c in order), compiled.string, named=named)
    _PLANS[cache_key] = plan
    return plan


def _tuples(plan: _Plan, rows: Sequence[dict], key: tuple[str, ...], table: str) -> list:
    key_of = operator.itemgetter(*[plan.columns.index(k) for k in key])
    try:
        # Last one wins inside a batch: PostgreSQL refuses to upsert one key twice.
        out = {key_of(values): values for values in map(plan.build, rows)}
    except KeyError as exc:
        raise ValueError(
            f"a row for {table!r} lacks column {exc.args[0]!r}; every row a mapping emits for "
            "one table must carry the same columns"
        ) from None
    return list(out.values())


def prepare(conn: Connection, target: Target, rows: Sequence[dict]) -> tuple[tuple, list]:
    """(columns, value tuples) exactly as :func:`upsert` sends them: bind-processed for this
    engine, one tuple per key. ``bench/backfill.py`` bulk-inserts these as its baseline."""
    return prepare_rows(conn.dialect, target, rows)


def prepare_rows(dialect, target: Target, rows: Sequence[dict]) -> tuple[tuple, list]:
    """:func:`prepare` for a dialect rather than a connection (a backfill worker prepares
    rows for the process that writes them)."""
    if not rows:
        return (), []
    plan = _plan(dialect, target.table, tuple(rows[0]), target.key, target.counter)
    return plan.columns, _tuples(plan, rows, target.key, target.name)


Prepared = list[tuple[str, tuple[str, ...], list[tuple]]]  # (table, columns, value tuples)


def prepare_mapped(dialect, mapping: Mapping, batches: Sequence[Mapped]) -> Prepared:
    """Every target row of ``batches``, prepared per target table in write order: the pure
    half of :func:`write_mapped`, picklable, for :func:`write_prepared` to send."""
    prepared: Prepared = []
    for target, rows in _rows_by_target(mapping, batches):
        if rows:
            prepared.append((target.name, *prepare_rows(dialect, target, rows)))
    return prepared


def _rows_by_target(mapping: Mapping, batches: Sequence[Mapped]) -> list[tuple[Target, list]]:
    """Every row of ``batches`` per target, in the mapping's target order (one pass; rows for
    a table the mapping does not declare are left out)."""
    rows: dict[str, list] = {target.name: [] for target in mapping.targets}
    for mapped in batches:
        for name, found in mapped.items():
            if name in rows:
                rows[name] += found
    return [(target, rows[target.name]) for target in mapping.targets]


def write_prepared(conn: Connection, mapping: Mapping, prepared: Prepared) -> int:
    """Upsert rows :func:`prepare_mapped` prepared (for this engine); rows written."""
    written = 0
    for name, columns, values in prepared:
        target = mapping.target(name)
        plan = _plan(conn.dialect, target.table, tuple(columns), target.key, target.counter)
        if plan.columns != tuple(columns):  # the compiler put the columns in another order
            at = [columns.index(c) for c in plan.columns]
            values = [tuple(v[i] for i in at) for v in values]
        written += _send(conn, plan, values)
    return written


def upsert(
    conn: Connection, target: Target, rows: Sequence[dict], *, existing: bool = False
) -> int:
    """Insert-or-update ``rows`` into ``target.table`` by ``target.key``; returns rows sent.

    ``existing``: most rows are expected to exist already (sync re-applying changed rows), so
    PostgreSQL goes straight to the ON CONFLICT path instead of trying a plain COPY first."""
    if not rows:
        return 0
    plan = _plan(conn.dialect, target.table, tuple(rows[0]), target.key, target.counter)
    return _send(conn, plan, _tuples(plan, rows, target.key, target.name), existing=existing)


def _send(conn: Connection, plan: _Plan, values: list[tuple], *, existing: bool = False) -> int:
    if not values:
        return 0
    dbapi = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur:
            # Sync's re-applied rows only: a backfill chunk, however narrow, COPYs faster.
            if existing and len(values) * len(plan.columns) <= ARRAY_UPSERT_MAX:
                types = _pg_types(cur, plan.pg.table, plan.columns)
                sql = _unnest_sql(plan, types, conn.dialect.identifier_preparer.quote)
                cur.execute(sql, _column_arrays(values, types))
                return len(values)
            _copy_upsert(cur, plan, lambda copy: _copy_rows(copy, values), existing=existing)
        return len(values)
    if plan.named:
        values = [dict(zip(plan.columns, v, strict=True)) for v in values]
    cur = dbapi.cursor()
    try:
        cur.executemany(plan.sql, values)
    finally:
        cur.close()
    return len(values)


def _copy_rows(copy, values: list[tuple]) -> None:
    for v in values:
        copy.write_row(v)


def _copy_upsert(cur, plan: _Plan, feed: Callable, *, existing: bool = False) -> None:
    """COPY what ``feed(copy)`` writes into ``plan``'s table as an upsert (PostgreSQL).

    Optimistic: fresh rows COPY straight into the table. A replayed chunk or a row shared with
    an earlier chunk hits a unique key; then, and only then, the savepoint is rolled back and
    the rows go through temp table + ON CONFLICT (``existing``: straight there)."""
    pg = plan.pg
    dbapi = cur.connection
    if not existing:
        types = _pg_types(cur, pg.table, plan.columns)
        try:
            with dbapi.transaction(), cur.copy(pg.direct) as copy:
                copy.set_types(types)
                feed(copy)
            return
        except UniqueViolation:
            pass
    # One round trip (no parameters: psycopg sends both statements as one query).
    cur.execute(f"{pg.create}; TRUNCATE {pg.tmp}")
    types = _pg_types(cur, pg.tmp, plan.columns)
    with cur.copy(pg.copy) as copy:
        copy.set_types(types)
        feed(copy)
    cur.execute(plan.sql)


def copy_block(conn: Connection, target: Target, columns: tuple[str, ...], values) -> bytes:
    """``values`` as one PostgreSQL binary ``COPY`` block (signature to trailer), formatted
    by the driver without sending anything: :func:`write_copy_block` sends it."""
    plan = _plan(conn.dialect, target.table, tuple(columns), target.key, target.counter)
    buffer = io.BytesIO()
    dbapi = conn.connection.driver_connection
    with dbapi.cursor() as cur:
        types = _pg_types(cur, plan.pg.table, plan.columns)
    # A Copy needs a cursor that ran nothing else.
    with dbapi.cursor() as cur:
        # The text json.dumps makes, without its per-call setup (a third of the cost of
        # packing an order's rows): the same bytes.
        set_json_dumps(dumps, cur)
        with psycopg.Copy(cur, binary=True, writer=FileWriter(buffer)) as copy:
            copy.set_types(types)
            _copy_rows(copy, values)
    return buffer.getvalue()


def write_copy_block(conn: Connection, target: Target, columns: tuple[str, ...], block) -> None:
    """Upsert a block :func:`copy_block` made (for these columns) into ``target``."""
    plan = _plan(conn.dialect, target.table, tuple(columns), target.key, target.counter)
    with conn.connection.driver_connection.cursor() as cur:
        _copy_upsert(cur, plan, lambda copy: copy.write(block))


def _changed(table: sa.Table, columns: Sequence[str], prep) -> str:
    """An existing row is rewritten only when a value differs: re-applied rows (sync re-maps
    an order and all its child rows for one status move) then leave the rest untouched, with
    no new row versions, index entries or reverse-capture trigger runs. ``json`` has no
    equality: compared as text (never parsed: a value ``jsonb`` refuses cannot fail the
    write; differently spaced equal JSON is merely rewritten)."""
    qualified = prep.format_table(table)

    def side(prefix: str, column: str) -> str:
        value = f"{prefix}.{prep.quote(column)}"
        is_json = isinstance(table.c[column].type, sa.JSON)
        return f"{value}::text" if is_json else value

    mine = ", ".join(side(qualified, c) for c in columns)
    theirs = ", ".join(side("EXCLUDED", c) for c in columns)
    return f"ROW({mine}) IS DISTINCT FROM ROW({theirs})"


# Rows × columns up to which PostgreSQL gets one unnest() upsert of sync's rows instead of
# temp table + COPY.
ARRAY_UPSERT_MAX = 20_000


_UNNEST: dict[tuple[int, tuple[str, ...]], str] = {}


def _unnest_sql(plan: _Plan, types: list[str], quote: Callable[[str], str]) -> str:
    """``INSERT … SELECT * FROM unnest(%s::type[], …) ON CONFLICT …`` for ``plan``: the same
    text every time, so the driver prepares it once it has run a few times."""
    found = _UNNEST.get((id(plan), tuple(types)))
    if found is None:
        cols = ", ".join(quote(c) for c in plan.columns)
        casts = ", ".join(f"%s::{quote(t)}[]" for t in types)
        found = f"INSERT INTO {plan.pg.table} ({cols}) SELECT * FROM unnest({casts}) {plan.pg.tail}"
        _UNNEST[(id(plan), tuple(types))] = found
    return found


def _column_arrays(values: list[tuple], types: list[str]) -> list[list]:
    """One list per column (the unnest() parameters); JSON values wrapped for the driver."""
    arrays = [list(column) for column in zip(*values, strict=True)]
    for i, kind in enumerate(types):
        wrap = {"jsonb": Jsonb, "json": Json}.get(kind)
        if wrap is not None:
            arrays[i] = [None if v is None else wrap(v) for v in arrays[i]]
    return arrays


_PG_TYPES: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def _pg_types(cur, tmp: str, columns: tuple[str, ...]) -> list[str]:
    cached = _PG_TYPES.get((tmp, columns))
    if cached is None:
        cur.execute(
            "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t "
            "ON t.oid = a.atttypid WHERE a.attrelid = %s::regclass AND a.attnum > 0",
            (tmp,),
        )
        by_name = dict(cur.fetchall())
        cached = [by_name[c] for c in columns]
        _PG_TYPES[(tmp, columns)] = cached
    return cached


def write_mapped(
    conn: Connection, mapping: Mapping, batches: Sequence[Mapped], *, existing: bool = False
) -> int:
    """Upsert every target row of ``batches`` in the mapping's target order; rows written
    (``existing``: see :func:`upsert`)."""
    written = 0
    for target, rows in _rows_by_target(mapping, batches):
        written += upsert(conn, target, rows, existing=existing)
    return written


def apply_record(conn: Connection, mapping: Mapping, key: Any, result: Mapped | Quarantine | None):
    """Make the target hold exactly what source row ``key`` maps to now (row-level sync).

    ``None`` (the source row is gone) or a Quarantine removes the rows it owned; a Mapped
    result replaces them: owned rows the transform no longer produces are deleted, then the
    new rows are upserted. Targets without ``owner`` (shared rows) are only upserted.
    """
    mapped = result if isinstance(result, dict) else {}
    for target in reversed(mapping.targets):
        if not target.owner:
            continue
        table = target.table
        keep = [tuple(r[k] for k in target.key) for r in mapped.get(target.name, ())]
        stmt = sa.delete(table).where(table.c[target.owner] == target.owned_by(key))
        if keep:
            stmt = stmt.where(~sa.tuple_(*(table.c[k] for k in target.key)).in_(keep))
        conn.execute(stmt)
    if mapped:
        write_mapped(conn, mapping, [mapped])


__all__ = [
    "Prepared",
    "apply_record",
    "copy_block",
    "prepare",
    "prepare_mapped",
    "prepare_rows",
    "upsert",
    "upsert_updates",
    "write_mapped",
    "write_copy_block",
    "write_prepared",
]
