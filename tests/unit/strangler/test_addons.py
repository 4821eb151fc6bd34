"""The addons driven with mitmproxy's fake flows (no sockets)."""

import asyncio
import json

from mitmproxy import http
from mitmproxy.test import tflow, tutils

from zhongtai.config import ProxySettings
from zhongtai.strangler import signing
from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.guard import Guard
from zhongtai.strangler.metrics import Metrics
from zhongtai.strangler.router import DECISION, Router
from zhongtai.strangler.routes import RouteTable, parse_route
from zhongtai.strangler.runtime import Runtime, Upstream

KEY = "k3y"


def runtime(stage="legacy", percent=None, **settings) -> Runtime:
    route = parse_route(
        {
            "name": "pos.pull",
            "method": "POST",
            "path": "/api/pos/orders/pull",
            "key": "json:store_code",
            "group": "store_code",
            "salt": "s",
        }
    )
    table = RouteTable([route.with_state(stage, percent, 2)], version=5)
    return Runtime(
        ProxySettings(**settings),
        Upstream.from_url("legacy", "http://127.0.0.1:8001"),
        Upstream.from_url("platform", "http://127.0.0.1:8002"),
        KEY,
        table,
    )


def flow(body: dict | bytes, headers: dict | None = None, path="/api/pos/orders/pull"):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = http.Headers(
        **{"content-type": "application/json"}, **{"content-length": str(len(content))}
    )
    for k, v in (headers or {}).items():
        hdrs[k] = v
    return tflow.tflow(
        req=tutils.treq(method=b"POST", path=path.encode(), content=content, headers=hdrs)
    )


def run(rt, f):
    Guard(rt).requestheaders(f)
    Guard(rt).request(f)
    asyncio.run(Router(rt).request(f))
    return f


def test_legacy_stage_points_the_flow_at_legacy_and_tags_the_answer():
    rt = runtime()
    f = run(rt, flow({"store_code": "SH0001"}))
    assert (f.request.host, f.request.port) == ("127.0.0.1", 8001)
    f.response = tutils.tresp()
    Router(rt).response(f)
    assert f.response.headers[signing.SERVED_BY] == "legacy"
    rt_off = runtime(served_by_header=False)
    g = run(rt_off, flow({"store_code": "SH0001"}))
    g.response = tutils.tresp()
    Router(rt_off).response(g)
    assert signing.SERVED_BY not in g.response.headers


def test_canary_points_each_key_where_its_bucket_says():
    rt = runtime("canary", 50)
    for i in range(40):
        code = f"SH{i:04d}"
        f = run(rt, flow({"store_code": code}))
        expected = 8002 if on_platform("store_code", "s", code, 50) else 8001
        assert f.request.port == expected
        assert f.metadata[DECISION].key == code


def test_spoofed_headers_are_removed_before_routing():
    rt = runtime()
    f = run(
        rt,
        flow(
            {"store_code": "SH0001"},
            {"X-Zhongtai-Side": "platform", "X-Zhongtai-Shadow": "dry-run"},
        ),
    )
    assert f.request.port == 8001
    assert not [h for h in f.request.headers if h.lower().startswith("x-zhongtai")]
    signed = signing.sign(KEY, "POST", "/api/pos/orders/pull", {signing.SIDE: "platform"})
    g = run(rt, flow({"store_code": "SH0001"}, signed))
    assert g.request.port == 8002 and g.metadata[DECISION].forced


def test_oversized_bodies_get_413_and_retired_routes_410():
    rt = runtime(max_body_bytes=10)
    f = run(rt, flow(b"x" * 11))
    assert f.response.status_code == 413 and json.loads(f.response.content)["code"] == 41301
    g = run(runtime("retired"), flow({"store_code": "SH0001"}))
    assert g.response.status_code == 410 and "pos.pull" in json.loads(g.response.content)["msg"]


def test_metrics_count_answers_per_side_and_serve_health():
    rt = runtime("platform")
    metrics = Metrics(rt, lambda: [])
    f = run(rt, flow({"store_code": "SH0001"}))
    f.response = tutils.tresp(status_code=503)
    metrics.response(f)
    side = rt.book.routes["pos.pull"].sides["platform"]
    assert (side.requests, side.errors) == (1, 1)
    h = tflow.tflow(req=tutils.treq(path=b"/_zhongtai/healthz"))
    asyncio.run(metrics.request(h))
    assert json.loads(h.response.content)["version"] == 5
    m = tflow.tflow(req=tutils.treq(path=b"/_zhongtai/metrics"))
    asyncio.run(metrics.request(m))
    assert (
        b'zhongtai_errors_total{route="pos.pull",side="platform",revision="2"} 1'
        in m.response.content
    )


def test_proxy_skips_mitmproxys_debug_typecheck_of_messages(monkeypatch):
    from zhongtai.strangler.proxy import skip_message_typecheck

    # Restored after the test: other tests keep mitmproxy's own behaviour.
    monkeypatch.setattr(http.MessageData, "__post_init__", http.MessageData.__post_init__)
    headers = http.Headers(content_type="application/json")
    try:
        http.ResponseData(b"HTTP/1.1", headers, b"{}", None, 0.0, None, 200, "not bytes")
    except TypeError:
        checked = True
    else:
        checked = False
    if __debug__ and "__post_init__" in vars(http.MessageData):
        assert checked  # without -O, mitmproxy checks every field's type
    skip_message_typecheck()
    data = http.ResponseData(b"HTTP/1.1", headers, b"{}", None, 0.0, None, 200, "not bytes")
    assert data.reason == "not bytes"  # no check any more
    resp = http.Response.make(201, b'{"ok": 1}', {"content-type": "application/json"})
    assert (resp.status_code, resp.json(), resp.headers["content-type"]) == (
        201,
        {"ok": 1},
        "application/json",
    )


def test_router_reads_the_key_from_each_source_the_route_names():
    cases = [  # key spec, template, request path, extra headers
        ("query:store_code", "/api/pos/pull", "/api/pos/pull?store_code=Q1", {}),
        ("header:X-Store", "/api/pos/pull", "/api/pos/pull", {"X-Store": "H1"}),
        ("json:store_code", "/api/pos/pull", "/api/pos/pull", {}),
        ("path:store_id", "/api/pos/{store_id}/pull", "/api/pos/P1/pull", {}),
    ]
    seen = []
    for spec, template, path, extra in cases:
        doc = {"name": "pos.pull", "method": "POST", "path": template, "key": spec}
        route = parse_route({**doc, "group": "g", "salt": "s"})
        rt = runtime()
        rt.table = RouteTable([route.with_state("shadow", None, 2)], version=5)
        f = run(rt, flow({"store_code": "J1"}, extra, path=path))
        seen.append(f.metadata[DECISION].key)
    assert seen == ["Q1", "H1", "J1", "P1"]
