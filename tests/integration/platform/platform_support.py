"""Helpers for the platform's integration tests (imported by module path, not via conftest).

Import them as ``from tests.integration.platform.platform_support import ...``: several
directories have a ``conftest.py``, so ``from conftest import`` resolves to whichever pytest
loaded last.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import uvicorn

from zhongtai.config import load_settings
from zhongtai.serving import free_port

FIXED_NOW = datetime(2025, 6, 1, 4, 30, 0, 123456, tzinfo=UTC)


def settings_for(urls: dict[str, str], workspace) -> object:
    env = {f"ZHONGTAI_DATABASES_{name.upper()}": url for name, url in urls.items()}
    return load_settings(workspace, env=env, cwd=workspace)


class ThreadedServer:
    """uvicorn serving ``app`` on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


_REFLECTED: dict = {}


def dump_database(url: str) -> dict:
    """Every table's full content in primary-key order, plus the engine's id counters.

    Sequences (PostgreSQL) and AUTO_INCREMENT counters (MariaDB) are not transactional, so
    they are dumped too: a rolled-back dry run must not have moved them either.
    """
    import sqlalchemy as sa

    from zhongtai.db import create_engine

    engine = create_engine(url)
    try:
        meta = _REFLECTED.get(url)
        if meta is None:  # reflection is the slow part on PostgreSQL; schemas don't change
            meta = _REFLECTED[url] = sa.MetaData()
            meta.reflect(engine)
        out: dict = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                keys = list(table.primary_key.columns) or list(table.columns)
                rows = conn.execute(sa.select(table).order_by(*keys)).all()
                out[table.name] = [tuple(row) for row in rows]
            dialect = engine.dialect.name
            if dialect == "postgresql":
                out["@sequences"] = conn.execute(
                    sa.text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
                ).all()
            elif dialect in ("mysql", "mariadb"):
                out["@auto_increment"] = conn.execute(
                    sa.text(
                        "SELECT table_name, auto_increment FROM information_schema.tables "
                        "WHERE table_schema = DATABASE() ORDER BY 1"
                    )
                ).all()
            else:
                out["@sqlite_sequence"] = conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
                ).all()
        return out
    finally:
        engine.dispose()


def sqlite_file_bytes(url: str) -> bytes:
    """The SQLite file's bytes after a full checkpoint (WAL folded in)."""
    import sqlite3

    from sqlalchemy.engine import make_url

    path = make_url(url).database
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "rb") as fh:
        return fh.read()
