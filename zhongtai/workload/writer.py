"""Bulk writes of seeded rows, by the fastest path each driver offers (I/O edge).

SQLAlchemy Core's executemany costs several times the driver's own on SQLite and MariaDB
(``shared/reference/data.md`` §10.3), so plain tables go straight to the driver inside the
connection's transaction: ``sqlite3`` ``executemany``, psycopg binary ``COPY``, PyMySQL's
multi-row ``executemany``. Tables with DECIMAL or DATETIME columns (small master tables) go
through Core, so those values are stored exactly as the live app's SQLAlchemy code stores
them. Other drivers fall back to Core for everything.
"""

from __future__ import annotations

from operator import itemgetter

import sqlalchemy as sa

CHUNK_ROWS = 10_000
# SQLAlchemy type -> PostgreSQL type name for binary COPY (the target column's own type).
_PG_TYPES = (
    (sa.BigInteger, "int8"),
    (sa.SmallInteger, "int2"),
    (sa.Integer, "int4"),
    (sa.Double, "float8"),
    (sa.Float, "float8"),
    (sa.String, "text"),
    (sa.Text, "text"),
)


def driver_path(conn: sa.Connection) -> str:
    """Which bulk path this connection's driver gets: sqlite, copy, pymysql or core."""
    dialect = conn.dialect
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        return "sqlite"
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return "copy"
    if dialect.name in ("mysql", "mariadb") and dialect.driver == "pymysql":
        return "pymysql"
    return "core"


def plain(table: sa.Table) -> bool:
    """True when every column is an int, float or string (safe for the driver's own path)."""
    return all(_plain_type(c.type) for c in table.columns)


def _plain_type(type_: sa.types.TypeEngine) -> bool:
    if isinstance(type_, sa.Float):  # Float subclasses Numeric; floats are plain
        return True
    if isinstance(type_, sa.Numeric):
        return False
    return isinstance(type_, sa.Integer | sa.String)


class BulkWriter:
    """Writes rows into tables: dicts keyed by column name (every column present), or tuples
    in the table's column order."""

    def __init__(self, conn: sa.Connection, chunk_rows: int = CHUNK_ROWS) -> None:
        self.conn = conn
        self.path = driver_path(conn)
        self.chunk_rows = chunk_rows
        self._getters: dict[str, itemgetter] = {}

    def write(self, table: sa.Table, rows: list[dict]) -> int:
        """Insert ``rows`` into ``table`` in chunks; returns the number of rows written."""
        if not rows:
            return 0
        path = self.path if plain(table) else "core"
        if isinstance(rows[0], tuple):
            if len(rows[0]) != len(table.columns):
                raise ValueError(
                    f"{table.name} rows have {len(rows[0])} values, not {len(table.columns)}"
                )
            if path == "core":
                keys = table.columns.keys()
                rows = [dict(zip(keys, r, strict=True)) for r in rows]
            else:
                write_tuples(self.conn, path, table, rows, self.chunk_rows)
                return len(rows)
        if path == "core":
            for i in range(0, len(rows), self.chunk_rows):
                self.conn.execute(table.insert(), rows[i : i + self.chunk_rows])
            return len(rows)
        getter = self._getters.get(table.name)
        if getter is None:
            getter = self._getters[table.name] = itemgetter(*table.columns.keys())
        tuples = [getter(r) for r in rows]
        write_tuples(self.conn, self.path, table, tuples, self.chunk_rows)
        return len(rows)


def write_tuples(
    conn: sa.Connection,
    path: str,
    table: sa.Table,
    tuples: list[tuple],
    chunk_rows: int = CHUNK_ROWS,
) -> None:
    """Insert tuples (in the table's column order) through the driver's bulk path: ``copy``
    (psycopg binary COPY), ``sqlite`` (``executemany`` with ``?``), or any other name for the
    driver's ``executemany`` with ``%s`` (PyMySQL, psycopg).

    The rows join ``conn``'s transaction: it is begun here if needed, so that ``conn.commit()``
    commits them (raw driver calls do not start SQLAlchemy's transaction by themselves).
    """
    if not conn.in_transaction():
        conn.begin()
    names = ", ".join(table.columns.keys())
    raw = conn.connection.driver_connection
    if path == "copy":
        types = [_pg_type(c) for c in table.columns]
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(types)
            write_row = copy.write_row
            for row in tuples:
                write_row(row)
        return
    mark = "?" if path == "sqlite" else "%s"
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(table.columns))})"
    cur = raw.cursor()
    try:
        for i in range(0, len(tuples), chunk_rows):
            cur.executemany(sql, tuples[i : i + chunk_rows])
    finally:
        cur.close()


def _pg_type(column: sa.Column) -> str:
    for sa_type, name in _PG_TYPES:
        if isinstance(column.type, sa_type):
            return name
    raise TypeError(f"no COPY type for {column.table.name}.{column.name} ({column.type})")
