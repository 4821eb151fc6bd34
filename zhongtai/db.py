"""Engines for every database zhongtai touches, built in one place per process.

SQLite gets WAL and a busy timeout so a server and a seeder can share a file; every URL is
masked in errors. ``ensure_database`` creates a PostgreSQL or MariaDB database when missing;
``open_database`` opens one and checks it with a query, failing clearly; ``open_state_engine``
opens the toolkit's own state database, made where missing, for every command that uses it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from zhongtai.config import Settings, mask_url
from zhongtai.errors import DatabaseError

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder created and WAL mode."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = sa.create_engine(parsed, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "mysql":
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return sa.create_engine(parsed, **kwargs)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception as exc:  # ArgumentError, ValueError
        raise DatabaseError(
            "not a SQLAlchemy database URL", url=mask_url(url), hint="e.g. sqlite:///file.db"
        ) from exc


def check_connection(engine: Engine) -> None:
    """Connect once, turning driver errors into a DatabaseError with the masked URL."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        url = str(engine.url.render_as_string(hide_password=False))
        raise _cannot_connect(url, exc) from exc


def _cause(exc: SQLAlchemyError) -> str:
    # The driver's class name only: its message may quote the connection string.
    return type(getattr(exc, "orig", None) or exc).__name__


def _cannot_connect(url: str, exc: SQLAlchemyError) -> DatabaseError:
    return DatabaseError(
        f"cannot connect: {_cause(exc)}",
        url=mask_url(url),
        hint="check that the server runs and the URL (host, port, user, database) is right",
    )


def ensure_database(url: str) -> None:
    """Create the database named in a PostgreSQL or MariaDB URL if it does not exist yet."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" or not parsed.database:
        return
    name = parsed.database
    server = parsed.set(database="postgres" if backend == "postgresql" else "")
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:  # server down, login refused: as for any other database
        engine.dispose()
        raise _cannot_connect(url, exc) from exc
    try:
        with conn:
            if backend == "postgresql":
                exists = conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
                if not exists:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            else:  # looked up first: an account without CREATE rights may use its database
                exists = conn.execute(
                    sa.text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"),
                    {"n": name},
                ).first()
                if not exists:
                    conn.execute(
                        sa.text(
                            f"CREATE DATABASE IF NOT EXISTS `{name}` "
                            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                        )
                    )
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot create the database: {_cause(exc)}",
            url=mask_url(url),
            hint="create it by hand, or use an account that may create databases",
        ) from exc
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    """Drop a PostgreSQL or MariaDB database, or delete a SQLite file (tests use this)."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    name = parsed.database
    server = parsed.set(database="postgres" if backend == "postgresql" else "")
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        engine.dispose()


def open_database(name: str, url: str, *, must_exist: bool, hint: str) -> Engine:
    """An engine for ``url`` that has answered one query; DatabaseError otherwise (``hint``:
    what to do). ``must_exist=False``: the toolkit's own database, made where missing."""
    masked = mask_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # ArgumentError, ValueError
        raise DatabaseError(
            f"databases.{name} is not a SQLAlchemy URL", url=masked, hint=hint
        ) from exc
    if parsed.get_backend_name() == "sqlite" and must_exist:
        path = parsed.database
        if path and path != ":memory:" and not Path(path).is_file():
            raise DatabaseError(f"the {name} database file does not exist", url=masked, hint=hint)
    try:
        engine = create_engine(url)  # no connection yet: a missing driver is named first
    except DatabaseError:
        raise
    except Exception as exc:  # NoSuchModuleError, missing driver, bad options
        raise DatabaseError(
            f"cannot use databases.{name}: {exc}", url=masked, hint="check the URL's driver"
        ) from exc
    try:
        if not must_exist:  # the toolkit's own database: made where missing, like a SQLite file
            ensure_database(url)
        check_connection(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def open_state_engine(settings: Settings) -> Engine:
    """The state database (routes, audit, plans, checkpoints), checked by one query.

    It is the toolkit's own, so it is made where missing — a SQLite file or a database on its
    PostgreSQL/MariaDB server — by whichever command opens it first. Every command opens it
    here; an unreachable server or a refused login is a DatabaseError with the masked URL.
    """
    return open_database(
        "state", settings.database("state"), must_exist=False, hint="check databases.state"
    )
