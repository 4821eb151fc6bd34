"""In-process center calls (zhongtai.platform.clients_local): the same request a center app
gets over HTTP, without the socket."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI, Query, Request
from fastapi.testclient import TestClient

from zhongtai.errors import ServeError
from zhongtai.platform.clients_local import NoAnswer, call_asgi
from zhongtai.platform.serve import CENTER_CALLS_ENV, loopback_http_wanted
from zhongtai.platform.shadow import ShadowMiddleware


def echo_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(ShadowMiddleware)

    @app.api_route("/echo/{name}", methods=["GET", "POST"])
    async def echo(name: str, request: Request, tag: list[str] = Query(default=[])) -> dict:
        return {
            "name": name,
            "method": request.method,
            "tags": tag,
            "query": request.url.query,
            "raw_path": request.scope["raw_path"].decode(),
            "body": (await request.body()).decode(),
            "shadow": request.headers.get("x-zhongtai-shadow"),
        }

    @app.get("/boom")
    def boom() -> dict:
        raise RuntimeError("center bug")

    return app


def test_the_app_gets_the_request_a_client_would_send():
    app = echo_app()
    params = [("tag", "a b"), ("tag", "中")]
    status, body = asyncio.run(
        call_asgi(
            app,
            "POST",
            "/echo/x y",
            params=params,
            headers={"Content-Type": "application/json", "X-Zhongtai-Shadow": "dry-run"},
            body=b'{"k": 1}',
        )
    )
    over_http = TestClient(app).post(
        "/echo/x y",
        params=params,
        content=b'{"k": 1}',
        headers={"Content-Type": "application/json", "X-Zhongtai-Shadow": "dry-run"},
    )
    assert status == over_http.status_code == 200
    assert body == over_http.content
    answer = over_http.json()
    assert answer["name"] == "x y" and answer["tags"] == ["a b", "中"]
    assert answer["raw_path"] == "/echo/x%20y" and answer["body"] == '{"k": 1}'
    assert answer["shadow"] == "dry-run"


def test_error_statuses_come_back_as_answers():
    app = echo_app()
    status, body = asyncio.run(call_asgi(app, "GET", "/nowhere"))
    assert status == 404 and b"Not Found" in body
    # Starlette answers 500 and re-raises; the caller gets the 500 like an HTTP client would.
    status, _ = asyncio.run(call_asgi(app, "GET", "/boom"))
    assert status == 500


def test_an_app_that_fails_before_answering_raises_no_answer():
    async def broken(scope, receive, send):
        raise RuntimeError("no answer")

    with pytest.raises(NoAnswer, match="failed before answering"):
        asyncio.run(call_asgi(broken, "GET", "/x"))


def test_center_calls_setting():
    assert loopback_http_wanted({}) is False
    assert loopback_http_wanted({CENTER_CALLS_ENV: "in-process"}) is False
    assert loopback_http_wanted({CENTER_CALLS_ENV: " HTTP "}) is True
    with pytest.raises(ServeError, match="not understood") as err:
        loopback_http_wanted({CENTER_CALLS_ENV: "tcp"})
    assert "in-process" in (err.value.hint or "")
