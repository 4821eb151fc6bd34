"""The shadow marker: parsing, and the middleware's flag / refusal / response label."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import Depends, FastAPI

from zhongtai.platform.shadow import (
    DRY_RUN_RESPONSE_HEADER,
    SHADOW_HEADER,
    ShadowMiddleware,
    is_dry_run,
    parse_shadow_header,
    shadow_headers,
)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), ("", False), ("dry-run", True), (" DRY-RUN ", True)]
)
def test_parse(value, expected):
    assert parse_shadow_header(value) is expected


@pytest.mark.parametrize("value", ["yes", "1", "dryrun", "real"])
def test_unknown_values_are_refused(value):
    with pytest.raises(ValueError, match=repr(value)):
        parse_shadow_header(value)


def test_shadow_headers_round_trip():
    assert parse_shadow_header(shadow_headers(True)[SHADOW_HEADER]) is True
    assert shadow_headers(False) == {}


class Client:
    """Drives the ASGI app in-process (httpx's ASGI transport), one request per call."""

    def __init__(self, app: FastAPI, calls: list) -> None:
        self.app, self.calls = app, calls

    def post(self, path: str, headers: dict | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return await c.post(path, headers=headers)

        return asyncio.run(go())


@pytest.fixture
def client() -> Client:
    app = FastAPI()
    app.add_middleware(ShadowMiddleware)
    calls: list = []

    @app.post("/write")
    def write(dry_run: bool = Depends(is_dry_run)) -> dict:
        calls.append(dry_run)
        return {"dry_run": dry_run}

    return Client(app, calls)


def test_real_call_is_not_flagged(client):
    r = client.post("/write")
    assert r.json() == {"dry_run": False}
    assert DRY_RUN_RESPONSE_HEADER not in r.headers


def test_dry_run_is_flagged_and_labelled(client):
    r = client.post("/write", headers={SHADOW_HEADER: "dry-run"})
    assert r.json() == {"dry_run": True}
    assert r.headers[DRY_RUN_RESPONSE_HEADER] == "rolled-back"


def test_a_typo_is_refused_before_the_endpoint_runs(client):
    r = client.post("/write", headers={SHADOW_HEADER: "dry_run"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "INVALID_SHADOW_HEADER"
    assert client.calls == []
