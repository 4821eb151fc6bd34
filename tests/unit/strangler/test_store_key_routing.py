"""The router resolving store keys, counting unknown ones, learning channel orders (fake flows)."""

from __future__ import annotations

import asyncio
import json

from mitmproxy import http
from mitmproxy.test import tflow, tutils

from zhongtai.config import ProxySettings
from zhongtai.strangler.bucketing import stores_on_platform
from zhongtai.strangler.figures import RouteFigures
from zhongtai.strangler.guard import Guard
from zhongtai.strangler.metrics import Metrics
from zhongtai.strangler.operations import _figures_dict
from zhongtai.strangler.router import DECISION, Router
from zhongtai.strangler.routes import RouteTable, parse_table
from zhongtai.strangler.runtime import Runtime, Upstream
from zhongtai.strangler.state import read_routes_file
from zhongtai.strangler.storekeys import StoreDirectory, StoreKeys, aliases_from_stores

SALT = "zhongtai-o2o"
CODES = [f"SH{n:04d}" for n in range(1, 21)]
STORES = [
    {"id": i, "store_code": code,
     "channel_bindings": [{"channel": "MEITUAN", "channel_store_id": f"mt{i}"}]}
    for i, code in enumerate(CODES, start=1)
]  # fmt: skip
PLATFORM, LEGACY = 8002, 8001


def runtime(stage="canary", percent=50.0) -> Runtime:
    routes = [
        r.with_state(stage, percent if stage == "canary" else None, 3)
        for r in parse_table(read_routes_file())
    ]
    keys = StoreKeys(StoreDirectory(aliases_from_stores(STORES), version=4))
    return Runtime(
        ProxySettings(),
        Upstream.from_url("legacy", f"http://127.0.0.1:{LEGACY}"),
        Upstream.from_url("platform", f"http://127.0.0.1:{PLATFORM}"),
        "",
        RouteTable(routes, version=7),
        store_keys=keys,
    )


def push(form: str, path="/api/channel/meituan/new") -> http.HTTPFlow:
    body = form.encode()
    headers = http.Headers(
        **{"content-type": "application/x-www-form-urlencoded", "content-length": str(len(body))}
    )
    return tflow.tflow(req=tutils.treq(method=b"POST", path=path.encode(), content=body,
                                       headers=headers))  # fmt: skip


def route(rt: Runtime, f: http.HTTPFlow, status: int | None = 200) -> http.HTTPFlow:
    Guard(rt).requestheaders(f)
    Guard(rt).request(f)
    asyncio.run(Router(rt).request(f))
    if status is not None:
        f.response = tutils.tresp(status_code=status)
        Router(rt).response(f)
    return f


def test_pushes_and_refunds_of_a_store_follow_its_code_and_orders_are_learned():
    rt = runtime(percent=50)
    on = stores_on_platform("store_code", 50, SALT, CODES)
    assert 0 < len(on) < len(CODES)
    for i, code in enumerate(CODES, start=1):
        want = PLATFORM if code in on else LEGACY
        new = route(rt, push(f"order_id=27{i:06d}&app_poi_code=mt{i}"))
        assert new.request.port == want and new.metadata[DECISION].key == code
        refund = route(
            rt, push(f"order_id=27{i:06d}&notify_type=apply", "/api/channel/meituan/refund")
        )
        assert refund.request.port == want and refund.metadata[DECISION].key == code
    assert len(rt.store_keys.pending) == len(CODES)  # one row to write per order, not per push
    assert "channel.meituan" not in rt.book.routes  # no unknown key was counted


def test_an_order_the_proxy_never_saw_stays_on_legacy_and_is_counted():
    rt = runtime(percent=100)
    f = route(rt, push("order_id=99&notify_type=apply", "/api/channel/meituan/refund"))
    assert f.request.port == LEGACY and f.metadata[DECISION].key is None  # unkeyed → legacy
    fig = rt.book.routes["channel.meituan"]
    assert fig.unknown_keys == 1 and fig.unknown_examples == {"meituan_order:99": 1}


def test_unknown_store_aliases_are_hashed_raw_and_counted_per_route():
    rt = runtime(percent=50)
    for _ in range(3):
        f = route(rt, push("order_id=5&app_poi_code=mt_new_store"))
        assert f.metadata[DECISION].key == "mt_new_store"
    fig = rt.book.routes["channel.meituan"]
    assert fig.unknown_keys == 3 and fig.unknown_examples == {"meituan_poi:mt_new_store": 3}
    merged = RouteFigures.from_dict(json.loads(json.dumps(fig.to_dict())))
    merged.merge(fig)
    shown = _figures_dict(merged)
    assert shown["unknown_keys"] == 6 and shown["unknown_examples"] == ["meituan_poi:mt_new_store"]


def test_refused_pushes_teach_nothing_and_learning_runs_in_every_stage():
    rt = runtime(percent=50)
    route(rt, push("order_id=1&app_poi_code=mt1"), status=400)
    assert rt.store_keys.pending == []
    for stage in ("legacy", "platform"):
        rt = runtime(stage)
        route(rt, push("order_id=1&app_poi_code=mt1"))
        assert rt.store_keys.pending == [("meituan_order", "1", "SH0001")]


def test_health_shows_the_directory_version_and_learned_orders():
    rt = runtime()
    route(rt, push("order_id=1&app_poi_code=mt1"))
    h = tflow.tflow(req=tutils.treq(path=b"/_zhongtai/healthz"))
    asyncio.run(Metrics(rt, lambda: []).request(h))
    body = json.loads(h.response.content)
    assert (body["version"], body["stores_version"], body["learned_orders"]) == (7, 4, 1)
