"""A platform seeded from a legacy dataset, served on loopback, for the gateway's tests.

A plain module, not a conftest.py: other platform tests import ``conftest`` by its bare name,
which a second conftest.py in a sub-folder would shadow. Test modules import the fixture.

``seeded_platform`` (one per module and engine): a small legacy dataset is seeded on SQLite
and migrated into fresh center databases on the engine under test by the real backfill; the
simulated channel open API and the platform app (gateway + centers, one-process layout) are
served by uvicorn on loopback ports. Tests talk to it over HTTP only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from tests.conftest import ENGINES, new_database_url
from tests.integration.platform.conftest import ThreadedServer, dump_database
from zhongtai.config import Settings, load_settings
from zhongtai.db import drop_database
from zhongtai.legacy.clock import SHANGHAI
from zhongtai.migrate.backfill import backfill
from zhongtai.platform.center import available_centers
from zhongtai.platform.migrations import upgrade_all
from zhongtai.serving import free_port
from zhongtai.workload.catalog_view import Catalog, load_catalog
from zhongtai.workload.seed import seed_legacy


@dataclass
class SeededPlatform:
    url: str
    settings: Settings
    catalog: Catalog
    channel_api: str

    def dump(self) -> dict[str, dict]:
        """Full dumps of every center database (all tables, all rows, id counters)."""
        return {name: dump_database(self.settings.database(name)) for name in available_centers()}


@contextmanager
def seeded_centers(engine: str, ws: Path, **seed: int) -> Iterator[tuple[Settings, str]]:
    """Legacy seeded on SQLite (``seed_legacy``'s ``stores``, ``members``, ``orders``, ``seed``)
    and backfilled into fresh center databases on ``engine``, with the simulated channel open
    API served; yields the settings and the channel API's URL. No platform app yet."""
    from zhongtai.workload.channel_api import create_app as create_channel_api

    urls = {n: new_database_url(engine, ws, f"zt_{n}") for n in available_centers()}
    env = {f"ZHONGTAI_DATABASES_{n.upper()}": url for n, url in urls.items()}
    try:
        with ThreadedServer(create_channel_api()) as channel:
            env["ZHONGTAI_LEGACY_CHANNEL_API"] = channel.url
            settings = load_settings(ws, env=env, cwd=ws)
            anchor = datetime.combine(date.today() - timedelta(days=2), time(20), SHANGHAI)
            seed_legacy(settings.database("legacy"), anchor=anchor, **seed)
            upgrade_all(settings)
            backfill(settings, [])
            yield settings, channel.url
    finally:
        for url in urls.values():
            drop_database(url)


@pytest.fixture(name="seeded_platform", scope="module", params=ENGINES)
def seeded_platform_fixture(request, tmp_path_factory):
    from zhongtai.platform.app import create_app

    ws = tmp_path_factory.mktemp(f"gateway_{request.param}")
    with seeded_centers(request.param, ws, stores=8, members=30, orders=60, seed=12) as (
        settings,
        channel_api,
    ):
        port = free_port()
        app = create_app(settings, public_url=f"http://127.0.0.1:{port}")
        with ThreadedServer(app, port) as server:
            catalog = load_catalog(settings.database("legacy"))
            yield SeededPlatform(server.url, settings, catalog, channel_api)
