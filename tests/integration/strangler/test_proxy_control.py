"""Operating the proxy: CLI changes without restart, signed and spoofed control headers,
metrics and status, and several proxy processes agreeing on every key."""

from __future__ import annotations

import json
import re
import time
from datetime import date

import httpx

from tests.integration.strangler.conftest import legacy_stores, wait_for
from zhongtai.legacy.order_no import make_order_no
from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.signing import SERVED_BY, SHADOW, SIDE
from zhongtai.workload.payloads import Line, Takeout, meituan_new_form

ORDER = make_order_no(3, date(2026, 11, 30), "SH0002", 7)


def side_of(url: str, path: str, **kw) -> str:
    return httpx.get(url + path, **kw).headers.get(SERVED_BY, "")


def test_route_cli_changes_reach_the_running_proxy_without_restart(stack):
    path = f"/api/mp/orders/{ORDER}"
    assert side_of(stack.url, path) == "legacy"

    refused = stack.cli("route", "set", "mp.order", "platform", "--why", "go fast")
    assert refused.returncode != 0
    assert "legacy → platform skips shadow" in refused.stderr and "--force" in refused.stderr
    assert stack.store.load_table().get("mp.order").stage == "legacy"  # nothing written

    no_why = stack.cli("route", "set", "mp.order", "shadow")
    assert no_why.returncode != 0 and "--why" in no_why.stderr

    assert stack.cli("route", "set", "mp.order", "shadow", "--why", "compare first").returncode == 0
    done = stack.cli("route", "set", "mp.order", "canary", "--percent", "100", "--why", "all in")
    assert done.returncode == 0, done.stderr
    changed_at = time.monotonic()
    wait_for(lambda: side_of(stack.url, path) == "platform", "the proxy to follow the CLI")
    reload_seconds = time.monotonic() - changed_at
    print(f"route change visible after {reload_seconds:.2f}s")

    back = stack.cli("route", "rollback", "mp.order", "--why", "platform answers look wrong")
    assert back.returncode == 0 and "canary 100% → shadow" in back.stdout
    wait_for(lambda: side_of(stack.url, path) == "legacy", "the rollback to apply")

    history = json.loads(stack.cli("route", "history", "mp.order", "--json").stdout)
    assert [(h["from_stage"], h["to_stage"]) for h in history[:3]] == [
        ("canary", "shadow"),
        ("shadow", "canary"),
        ("legacy", "shadow"),
    ]
    assert history[0]["why"] == "platform answers look wrong" and history[0]["who"] == "pytest"
    assert history[1]["to_percent"] == 100 and history[0]["automatic"] is False
    listed = {r["name"]: r for r in json.loads(stack.cli("route", "list", "--json").stdout)}
    assert listed["mp.order"]["stage"] == "shadow" and listed["pos.ack"]["stage"] == "legacy"


def test_unknown_route_and_bad_stage_are_refused_clearly(stack):
    r = stack.cli("route", "set", "mp.nope", "shadow", "--why", "x")
    assert r.returncode != 0 and "unknown route 'mp.nope'" in r.stderr and "mp.order" in r.stderr
    r = stack.cli("route", "set", "mp.order", "beta", "--why", "x")
    assert r.returncode != 0 and "unknown stage 'beta'" in r.stderr
    r = stack.cli("route", "rollback", "pos.ack", "--why", "x")
    assert r.returncode != 0 and "nothing to roll back" in r.stderr


def test_spoofed_control_headers_are_stripped_and_signed_ones_honoured(stack):
    stack.set_stage("admin.orders", "legacy")
    path = "/api/admin/orders?store_code=SH0002"
    spoof = {SIDE: "platform", SERVED_BY: "platform", "X-Zhongtai-Anything": "1"}
    assert side_of(stack.url, path, headers=spoof) == "legacy"
    assert stack.sent_to_platform("admin.orders") == 0
    # What an operator does: `zhongtai route headers` prints signed -H arguments.
    printed = stack.cli("route", "headers", "GET", path, "--side", "platform").stdout
    signed = dict(h.split(": ", 1) for h in re.findall(r"-H '([^']*)'", printed))
    assert side_of(stack.url, path, headers=signed) == "platform"
    assert stack.sent_to_platform("admin.orders") == 1


def test_a_client_cannot_turn_a_write_into_a_dry_run(stack):
    """The dry-run marker is honoured only when signed: the platform's POS cursor shows
    which pulls really ran."""
    (store, *_) = legacy_stores(stack, open_only=True)
    form = meituan_new_form(
        Takeout(
            order_id="27000000000088001",
            shop=store["mt_app_poi_code"],
            shop_name="test",
            recipient_name="张三",
            phone="18449039731",
            address="上海市",
            lng=121.4,
            lat=31.2,
            created=int(time.time()),
            day_seq=1,
            lines=(
                Line(code=None, sku_id=None, name="红烧肉", spec="大份", price=38.0, quantity=1),
            ),
        )
    )
    stack.set_stage("channel.meituan", "platform")
    pushed = httpx.post(stack.url + "/api/channel/meituan/new", data=form)
    assert pushed.json() == {"data": "ok"} and pushed.headers[SERVED_BY] == "platform"
    stack.set_stage("pos.pull", "platform")
    body = {"store_code": store["store_code"], "pos_id": "POS-9", "page_size": 50}
    pull = "/api/pos/orders/pull"

    def orders(headers: dict) -> int:
        r = httpx.post(stack.url + pull, json=body, headers=headers)
        assert r.status_code == 200 and r.headers[SERVED_BY] == "platform", r.text
        return len(r.json()["data"]["orders"])

    # Signed dry runs see the new order and leave it there, twice.
    assert [orders(stack.signed("POST", pull, {SHADOW: "dry-run"})) for _ in range(2)] == [1, 1]
    # A client's own marker is stripped: the pull runs for real, and the order is gone after.
    assert orders({SHADOW: "dry-run"}) == 1
    assert orders({}) == 0
    stack.set_stage("pos.pull", "legacy")
    stack.set_stage("channel.meituan", "legacy")


def test_prometheus_metrics_and_status_show_the_same_figures(stack):
    route_name, path = "mp.member-orders", "/api/mp/members/1/orders?page=1&size=3"
    stack.set_stage(route_name, "legacy")
    stack.set_stage(route_name, "shadow")  # a new revision: figures start from zero
    for _ in range(7):
        assert httpx.get(stack.url + path).status_code == 200
    text = httpx.get(stack.url + "/_zhongtai/metrics").text
    rev = stack.store.load_table().get(route_name).revision
    labels = f'route="{route_name}",side="legacy",revision="{rev}"'
    assert f"zhongtai_requests_total{{{labels}}} 7" in text
    assert f'zhongtai_route_stage{{route="{route_name}",stage="shadow"}} 1' in text
    assert "# TYPE zhongtai_request_duration_seconds histogram" in text

    def seven_compared():
        # The proxy process flushes its request counts and the shadow process its compared
        # pairs, each on its own beat: wait until status has both.
        data = json.loads(stack.cli("status", "--json").stdout)
        (route,) = [r for r in data["routes"] if r["name"] == route_name]
        figures = route["figures"]
        both = figures["compared"] == 7 and figures["sides"]["legacy"]["requests"] == 7
        return figures if both else None

    figures = wait_for(seven_compared, "status to show 7 requests and 7 compared pairs")
    data = json.loads(stack.cli("status", "--json").stdout)
    (route,) = [r for r in data["routes"] if r["name"] == route_name]
    assert route["gate"] == {"breached": False, "reasons": []}
    assert route["last_change"]["to_stage"] == "shadow" and route["gates"]["min_requests"] == 5
    assert figures["sides"]["legacy"]["requests"] == 7
    assert figures["sides"]["platform"]["requests"] == 7  # the shadow copies
    assert figures["mismatch_rate"] == 0 and figures["sides"]["legacy"]["p50_ms"] > 0
    table = stack.cli("status")
    assert table.returncode == 0 and route_name in table.stdout


def test_two_proxy_processes_agree_on_every_key(stack):
    other = stack.start_proxy()
    stack.set_stage("admin.orders", "canary", 30)
    route = stack.store.load_table().get("admin.orders")
    codes = [f"AG{i:04d}" for i in range(60)]
    with httpx.Client(base_url=stack.url) as a, httpx.Client(base_url=other.url) as b:
        for code in codes:
            path = f"/api/admin/orders?store_code={code}"
            side_a, side_b = a.get(path).headers[SERVED_BY], b.get(path).headers[SERVED_BY]
            expected = "platform" if on_platform(route.group, route.salt, code, 30) else "legacy"
            assert side_a == side_b == expected, code


def test_workers_share_one_port_and_agree(stack):
    workers = stack.start_proxy(workers=2)
    stack.wait_reloaded(workers.url)
    instances = {httpx.get(workers.url + "/_zhongtai/healthz").json()["instance"]
                 for _ in range(40)}  # fmt: skip
    assert len(instances) == 2, "both worker processes answer on the shared port"
    route = stack.store.load_table().get("admin.orders")
    for i in range(30):
        code = f"WK{i:04d}"
        expected = (
            "platform" if on_platform(route.group, route.salt, code, route.percent) else "legacy"
        )
        assert side_of(workers.url, f"/api/admin/orders?store_code={code}") == expected
