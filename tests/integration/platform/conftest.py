"""Fixtures for the platform's integration tests: center databases and a real HTTP server.

``platform_settings`` gives every center its own fresh database on the engine under test
(SQLite, PostgreSQL, MariaDB), upgraded to head. ``platform_server`` serves
``create_app(settings)`` with uvicorn on a loopback port in a background thread, with a fixed
clock so responses can be compared exactly. ``shared_platform`` is the same, built once per
test module and engine, for HTTP tests that keep out of each other's way (own codes and ids):
creating five databases per test is what makes suites slow.
"""

from __future__ import annotations

import pytest

from tests.conftest import ENGINES, new_database_url
from tests.integration.platform.platform_support import (  # re-exported for older imports
    FIXED_NOW,
    ThreadedServer,
    dump_database,
    settings_for,
    sqlite_file_bytes,
)
from zhongtai.db import drop_database
from zhongtai.platform.center import available_centers
from zhongtai.platform.migrations import upgrade_all
from zhongtai.serving import free_port

__all__ = ["FIXED_NOW", "ThreadedServer", "dump_database", "settings_for", "sqlite_file_bytes"]


@pytest.fixture
def center_urls(engine_name, make_db) -> dict[str, str]:
    """A fresh, empty database per center on the engine under test."""
    return {name: make_db(engine_name, prefix=f"zt_{name}") for name in available_centers()}


@pytest.fixture
def platform_settings(center_urls, tmp_path):
    settings = settings_for(center_urls, tmp_path)
    upgrade_all(settings)
    return settings


@pytest.fixture
def platform_server(platform_settings):
    """The one-process platform app on a real loopback port, clock fixed at FIXED_NOW."""
    from zhongtai.platform.app import create_app

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(platform_settings, public_url=url, clock=lambda: FIXED_NOW)
    with ThreadedServer(app, port) as server:
        yield server


@pytest.fixture(scope="module", params=ENGINES)
def shared_platform(request, tmp_path_factory):
    """One platform server per module and engine (fresh databases, dropped afterwards)."""
    from zhongtai.platform.app import create_app

    tmp = tmp_path_factory.mktemp(f"platform_{request.param}")
    urls = {n: new_database_url(request.param, tmp, f"zt_{n}") for n in available_centers()}
    try:
        settings = settings_for(urls, tmp)
        upgrade_all(settings)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        app = create_app(settings, public_url=url, clock=lambda: FIXED_NOW)
        with ThreadedServer(app, port) as server:
            server.settings = settings
            yield server
    finally:
        for db in urls.values():
            drop_database(db)
