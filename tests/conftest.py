"""Shared fixtures: fresh databases on SQLite, PostgreSQL and MariaDB.

Each test that asks for ``db_url`` runs once per engine against a database created for it and
dropped afterwards, so nothing depends on what an earlier run left behind. PostgreSQL
(127.0.0.1:5432, trust auth) and MariaDB (127.0.0.1:3306, root, no password) must be running;
``.ci/run`` starts them. Set ZHONGTAI_TEST_ENGINES=sqlite to run on SQLite alone.
"""

from __future__ import annotations

import os
import uuid

import pytest

from zhongtai.db import drop_database, ensure_database

PG_SERVER = os.environ.get("ZHONGTAI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
MARIADB_SERVER = os.environ.get("ZHONGTAI_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306")
ALL_ENGINES = ("sqlite", "postgresql", "mariadb")
ENGINES = tuple(
    e for e in os.environ.get("ZHONGTAI_TEST_ENGINES", ",".join(ALL_ENGINES)).split(",") if e
)


def new_database_url(engine: str, tmp_path, prefix: str = "zt") -> str:
    """Create an empty database on ``engine`` and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    if engine == "postgresql":
        url = f"{PG_SERVER}/{name}"
    elif engine == "mariadb":
        url = f"{MARIADB_SERVER}/{name}?charset=utf8mb4"
    else:
        raise ValueError(f"unknown test engine {engine!r}")
    ensure_database(url)
    return url


@pytest.fixture
def make_db(tmp_path):
    """Factory: ``make_db(engine, prefix)`` → URL of a fresh database, dropped at teardown."""
    created: list[str] = []

    def factory(engine: str, prefix: str = "zt") -> str:
        url = new_database_url(engine, tmp_path, prefix)
        created.append(url)
        return url

    yield factory
    for url in created:
        drop_database(url)


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    return request.param


@pytest.fixture
def db_url(engine_name, make_db) -> str:
    """A fresh, empty database URL, once per engine in ZHONGTAI_TEST_ENGINES."""
    return make_db(engine_name)
