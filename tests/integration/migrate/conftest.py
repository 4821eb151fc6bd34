"""Migration environments: a seeded legacy database, a state database and five centers.

``migrate_env`` runs once per (legacy, centers) engine pair: SQLite → SQLite, and the
realistic pair MariaDB → PostgreSQL, as far as ZHONGTAI_TEST_ENGINES allows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from zhongtai.config import CENTERS, Settings, load_settings
from zhongtai.db import create_engine
from zhongtai.legacy import schema as ls
from zhongtai.platform.center import load_center
from zhongtai.platform.migrations import upgrade_center
from zhongtai.workload.seed import seed_legacy

ENGINES = tuple(
    e for e in os.environ.get("ZHONGTAI_TEST_ENGINES", "sqlite,postgresql,mariadb").split(",") if e
)
PAIRS = [p for p in (("sqlite", "sqlite"), ("mariadb", "postgresql")) if set(p) <= set(ENGINES)]


@dataclass
class MigrateEnv:
    settings: Settings
    env: dict[str, str]  # ZHONGTAI_* variables that point a subprocess at these databases

    def url(self, name: str) -> str:
        return self.settings.database(name)

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every center table, in primary-key order (values normalised)."""
        out: dict[str, list[tuple]] = {}
        for center in CENTERS:
            metadata = load_center(center).metadata
            engine = create_engine(self.url(center))
            try:
                with engine.connect() as conn:
                    for table in metadata.sorted_tables:
                        rows = conn.execute(
                            sa.select(table).order_by(*table.primary_key.columns)
                        ).all()
                        out[f"{center}.{table.name}"] = [tuple(_plain(v) for v in r) for r in rows]
            finally:
                engine.dispose()
        return out

    def legacy(self, statement, params=None) -> list:
        engine = create_engine(self.url("legacy"))
        try:
            with engine.begin() as conn:
                result = conn.execute(statement, params or {})
                return result.all() if result.returns_rows else []
        finally:
            engine.dispose()

    def state_tables(self) -> list[str]:
        engine = create_engine(self.url("state"))
        try:
            return sorted(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()


def _plain(value):
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def build_env(make_db, tmp_path, legacy_engine: str, target_engine: str, *, legacy_url=None):
    """Fresh state + center databases (centers upgraded); the legacy one given or new."""
    urls = {"legacy": legacy_url or make_db(legacy_engine, "ztleg")}
    urls["state"] = make_db(target_engine, "ztst")
    for center in CENTERS:
        urls[center] = make_db(target_engine, f"zt{center[:3]}")
    env = {f"ZHONGTAI_DATABASES_{name.upper()}": url for name, url in urls.items()}
    settings = load_settings(tmp_path / "ws", env=env)
    for center in CENTERS:
        upgrade_center(settings, center)
    return MigrateEnv(settings, env)


def add_quirks(url: str) -> None:
    """Rows every run must handle, whatever the random seed produced: a re-push duplicate
    of a Meituan order and an order with an order type that does not exist."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            o = ls.t_order
            first = (
                conn.execute(sa.select(o).where(o.c.channel == 1).order_by(o.c.id).limit(1))
                .mappings()
                .one()
            )
            top = conn.execute(sa.select(sa.func.max(o.c.id))).scalar()
            dup = dict(first, id=top + 1, order_no=f"DUP{top + 1}")
            bad = dict(first, id=top + 2, order_no=f"BAD{top + 2}", order_type=9,
                       channel_order_id=None)  # fmt: skip
            conn.execute(sa.insert(o), [dup, bad])
    finally:
        engine.dispose()


@pytest.fixture(params=PAIRS, ids=["->".join(p) for p in PAIRS])
def engine_pair(request) -> tuple[str, str]:
    return request.param


@pytest.fixture
def seeded_legacy(make_db, engine_pair):
    url = make_db(engine_pair[0], "ztleg")
    seed_legacy(url, stores=3, members=60, orders=240, seed=11, reset=False, progress=False)
    add_quirks(url)
    return url


@pytest.fixture
def migrate_env(make_db, tmp_path, engine_pair, seeded_legacy) -> MigrateEnv:
    return build_env(make_db, tmp_path, *engine_pair, legacy_url=seeded_legacy)


@pytest.fixture
def env_factory(make_db, tmp_path, engine_pair):
    """Another set of state + center databases for the same legacy (for reference runs)."""
    counter = iter(range(100))

    def factory(legacy_url: str) -> MigrateEnv:
        return build_env(
            make_db, tmp_path / f"e{next(counter)}", *engine_pair, legacy_url=legacy_url
        )

    return factory


@pytest.fixture
def migrate_tools():
    """The helpers above, for tests that build environments of their own."""
    from types import SimpleNamespace

    return SimpleNamespace(engines=ENGINES, build_env=build_env, add_quirks=add_quirks)
