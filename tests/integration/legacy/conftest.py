"""One legacy server per test module and engine, on loopback, over a fresh database."""

from __future__ import annotations

import httpx
import pytest
from legacy_fixtures import Legacy, ThreadedServer, insert_master_data

from tests.conftest import ENGINES, new_database_url
from zhongtai.config import load_settings
from zhongtai.db import create_engine, drop_database
from zhongtai.legacy.app import create_app

MAX_BODY = 8192


@pytest.fixture(scope="module")
def channel_api() -> str:
    """Where the compensation pull goes; nothing listens here unless a module overrides it."""
    return "http://127.0.0.1:9"


@pytest.fixture(scope="module", params=ENGINES)
def legacy(request, tmp_path_factory, channel_api) -> Legacy:
    workspace = tmp_path_factory.mktemp("legacy")
    url = new_database_url(request.param, workspace, "lg")
    settings = load_settings(
        workspace=workspace,
        env={
            "ZHONGTAI_DATABASES_LEGACY": url,
            "ZHONGTAI_LEGACY_MAX_BODY_BYTES": str(MAX_BODY),
            "ZHONGTAI_LEGACY_CHANNEL_API": channel_api,
        },
    )
    engine = create_engine(url)
    try:
        app = create_app(settings, engine)
        ids = insert_master_data(engine)
        with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            yield Legacy(server.url, engine, http, ids)
    finally:
        engine.dispose()
        drop_database(url)
