"""A clean migrated pair to plant differences in: seeded legacy, backfilled centers.

``pair`` runs once per (legacy, centers) engine pair: SQLite → SQLite, and the realistic
MariaDB legacy → PostgreSQL centers, as far as ZHONGTAI_TEST_ENGINES allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from tests.conftest import ENGINES
from tests.integration.platform.platform_support import ThreadedServer
from zhongtai.compare.run import Options
from zhongtai.config import CENTERS, Settings, load_settings
from zhongtai.db import create_engine
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.capture import install_capture
from zhongtai.platform.migrations import upgrade_center
from zhongtai.strangler.state import StateStore
from zhongtai.workload.catalog_view import load_catalog
from zhongtai.workload.seed import seed_legacy

PAIRS = [p for p in (("sqlite", "sqlite"), ("mariadb", "postgresql")) if set(p) <= set(ENGINES)]
# Small segments and downloads, so even the few planted differences go through them.
OPTIONS = Options(sample=1_000, settle_seconds=0, segment_rows=50, download_rows=8)


@dataclass
class Pair:
    settings: Settings
    env: dict[str, str]  # ZHONGTAI_* variables pointing a subprocess at these databases

    def url(self, name: str) -> str:
        return self.settings.database(name)

    def run(self, name: str, statement, params=None) -> list:
        """Execute on database ``name`` (legacy, state or a center) and commit."""
        engine = create_engine(self.url(name))
        try:
            with engine.begin() as conn:
                result = conn.execute(statement, params or {})
                return [dict(r) for r in result.mappings()] if result.returns_rows else []
        finally:
            engine.dispose()


def build_pair(make_db, tmp_path, legacy_engine: str, target_engine: str, orders: int) -> Pair:
    urls = {"legacy": make_db(legacy_engine, "ztcleg"), "state": make_db(target_engine, "ztcst")}
    for center in CENTERS:
        urls[center] = make_db(target_engine, f"ztc{center[:3]}")
    seed_legacy(urls["legacy"], stores=3, members=60, orders=orders, seed=23, progress=False)
    env = {f"ZHONGTAI_DATABASES_{name.upper()}": url for name, url in urls.items()}
    settings = load_settings(tmp_path / "ws", env=env)
    for center in CENTERS:
        upgrade_center(settings, center)
    backfill(settings, chunk_size=150)
    return Pair(settings, env)


@pytest.fixture(params=PAIRS, ids=["->".join(p) for p in PAIRS])
def pair(request, make_db, tmp_path) -> Pair:
    return build_pair(make_db, tmp_path, *request.param, orders=200)


def one(rows: list[dict]) -> dict:
    assert len(rows) == 1, rows
    return rows[0]


__all__ = ["OPTIONS", "PAIRS", "Pair", "build_pair", "one", "pos_on_platform", "sa"]


def pos_on_platform(settings: Settings, why: str) -> None:
    """Reverse capture installed and every store's POS on the platform (``pos.pull`` forced to
    the platform stage), so what the platform takes for them syncs back to legacy."""
    install_capture(settings, reverse=True)
    state = create_engine(settings.database("state"))
    try:
        routes = StateStore(state)
        routes.ensure()
        routes.set_stage("pos.pull", "platform", None, who="test", why=why, force=True)
    finally:
        state.dispose()


@pytest.fixture
def canary(pair):
    """The platform app over the pair's centers, every store's POS on the platform, reverse
    capture installed; yields (pair, platform URL, catalog)."""
    from zhongtai.platform.app import create_app

    pos_on_platform(pair.settings, "canary")
    catalog = load_catalog(pair.settings.database("legacy"))
    with ThreadedServer(create_app(pair.settings)) as server:
        yield pair, server.url, catalog
