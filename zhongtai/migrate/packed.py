"""A backfill chunk packed for its target engine's bulk path, ready to send as bytes.

A producer (a ``--workers`` pool process, or the CLI itself) reads, transforms and prepares a
chunk; the CLI alone writes it. Handing the writer Python tuples costs twice: pickling them
across processes, and, on the writer's side, binding every value of every row while holding
the interpreter lock (which the write then competes for with the thread producing the next
chunk). So the producer packs the chunk in the form the engine's bulk path consumes, and the
writer only sends bytes:

* **PostgreSQL**: one binary ``COPY`` block per target table (signature to trailer), formatted
  by psycopg's own ``Copy`` with a file writer — the exact bytes a ``COPY … FROM STDIN`` of the
  rows would send. The writer sends each block in one ``write`` through the same optimistic
  COPY / temp table + ``ON CONFLICT`` upsert as rows (:mod:`.writer`).
* **SQLite**: one in-memory database, a table per target, ``serialize()``-d. The writer
  attaches it to its connection as the schema ``zt_chunk`` and runs one ``INSERT … SELECT …
  ON CONFLICT`` per target: a statement that runs entirely inside SQLite with the lock
  released. The chunk's tables have no declared types, so SQLite keeps each value as bound
  and the target column's affinity applies on insert exactly as when the value is bound
  directly.

Either way the rows are the bind-processed values of
:func:`~zhongtai.migrate.writer.prepare_mapped` and the upsert is the one the row-by-row
writer issues — same key, same updated columns (an existing row keeps its
:attr:`~zhongtai.migrate.mapping.Target.counter`), a key repeated inside a chunk ends with
its last row. ``tests/integration/migrate/test_packed.py`` holds packed writes equal to
row-by-row ones on every engine that packs. Other engines (MariaDB) keep prepared rows.
SQLite packing needs a library built with serialization (the default since 3.36; Python ≥
3.11 exposes it): :func:`available` says whether this one is.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from zhongtai.migrate import writer
from zhongtai.migrate.mapping import Mapping

SCHEMA = "zt_chunk"
ENGINES = ("postgresql", "sqlite")


def available(engine: str) -> bool:
    """True when chunks for ``engine`` (a dialect name) can be packed here."""
    if engine == "sqlite":
        return hasattr(sqlite3.Connection, "serialize") and hasattr(
            sqlite3.Connection, "deserialize"
        )
    return engine == "postgresql" and writer.FileWriter is not None


@dataclass(frozen=True)
class Packed:
    """A chunk's rows, packed for one engine.

    ``tables`` lists ``(target name, columns, rows)`` in write order; ``data`` holds the
    serialized SQLite database, ``blocks`` the PostgreSQL COPY block of each table."""

    engine: str
    tables: tuple[tuple[str, tuple[str, ...], int], ...]
    data: bytes = b""
    blocks: tuple[bytes, ...] = ()

    @property
    def rows(self) -> int:
        return sum(count for _, _, count in self.tables)


def pack(target: Engine, mapping: Mapping, prepared: writer.Prepared) -> Packed:
    """Prepared rows ``(target name, columns, value tuples)`` packed for ``target``."""
    engine = target.dialect.name
    tables = tuple((name, tuple(columns), len(values)) for name, columns, values in prepared)
    if not tables:  # every row quarantined (SQLite cannot serialize a database of no pages)
        return Packed(engine, ())
    if engine == "postgresql":
        with target.connect() as conn:
            blocks = tuple(
                writer.copy_block(conn, mapping.target(name), columns, values)
                for name, columns, values in prepared
            )
        return Packed(engine, tables, blocks=blocks)
    _bind_none_directly()
    db = sqlite3.connect(":memory:")
    try:
        db.execute("PRAGMA journal_mode=OFF")
        for name, columns, values in prepared:
            cols = ", ".join(_quote(c) for c in columns)
            db.execute(f"CREATE TABLE {_quote(name)} ({cols})")
            marks = ", ".join("?" for _ in columns)
            db.executemany(f"INSERT INTO {_quote(name)} VALUES ({marks})", values)
        db.commit()
        return Packed(engine, tables, data=db.serialize())
    finally:
        db.close()


def _none(value: None) -> None:
    return value


def _bind_none_directly() -> None:
    """Register ``None`` with ``sqlite3``'s adapters, adapted to itself (still bound as NULL).

    ``sqlite3`` binds int, float and str directly but looks every other value up among its
    adapters and then asks the protocol and the value itself to adapt it: for ``None``, a
    quarter of a chunk's values, that search costs as much as binding two columns. With an
    entry it takes the first lookup. The registry is the process's; the entry changes no
    value any connection binds (an adapter registered for ``None`` before is left alone)."""
    if (type(None), sqlite3.PrepareProtocol) not in sqlite3.adapters:
        sqlite3.register_adapter(type(None), _none)


def write(conn: Connection, mapping: Mapping, packed: Packed) -> int:
    """Upsert a packed chunk through ``conn`` (inside the caller's transaction); rows
    written."""
    if not packed.tables:
        return 0
    if packed.engine != conn.dialect.name:
        raise ValueError(f"a chunk packed for {packed.engine} cannot go to {conn.dialect.name}")
    if packed.engine == "postgresql":
        for (name, columns, count), block in zip(packed.tables, packed.blocks, strict=True):
            if count:
                writer.write_copy_block(conn, mapping.target(name), columns, block)
        return packed.rows
    dbapi = conn.connection.driver_connection
    attached = {row[1] for row in dbapi.execute("PRAGMA database_list")}
    if SCHEMA not in attached:
        dbapi.execute(f"ATTACH DATABASE ':memory:' AS {SCHEMA}")
    # The connection keeps the attached schema's parsed tables until the schema cookie in the
    # database header changes; two chunks may carry the same cookie and different tables (or
    # the same tables on other pages), and statements would read the new image through the
    # old layout. The image gets the next cookie, so SQLite parses its schema afresh.
    cookie = dbapi.execute(f"PRAGMA {SCHEMA}.schema_version").fetchone()[0]
    image = bytearray(packed.data)
    image[_COOKIE] = ((cookie + 1) & 0xFFFFFFFF).to_bytes(4, "big")
    dbapi.deserialize(image, name=SCHEMA)
    for name, columns, count in packed.tables:
        if count:
            dbapi.execute(_upsert_sql(mapping, name, columns))
    return packed.rows


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Where the schema cookie sits in an SQLite database header (4 bytes, big-endian).
_COOKIE = slice(40, 44)

_SQL: dict[tuple[int, tuple[str, ...]], str] = {}


def _upsert_sql(mapping: Mapping, name: str, columns: tuple[str, ...]) -> str:
    target = mapping.target(name)
    found = _SQL.get((id(target), columns))
    if found is None:
        updates = writer.upsert_updates(target.table, columns, target.key, target.counter)
        cols = ", ".join(_quote(c) for c in columns)
        sets = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in updates)
        keys = ", ".join(_quote(c) for c in target.key)
        # "WHERE true": SQLite's parser needs a WHERE before an upsert clause on a SELECT.
        found = (
            f"INSERT INTO {_quote(target.table.name)} ({cols}) "
            f"SELECT {cols} FROM {SCHEMA}.{_quote(name)} WHERE true "
            f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        )
        _SQL[(id(target), columns)] = found
    return found
