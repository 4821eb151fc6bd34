"""Operating the proxy: CLI changes without restart, signed and spoofed control headers,
metrics and status, and several proxy processes agreeing on every key."""

from __future__ import annotations

import json
import re
import time
from datetime import date

import httpx

from tests.integration.strangler.conftest import wait_for
from zhongtai.legacy.order_no import make_order_no
from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.signing import SERVED_BY, SHADOW, SIDE

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
    stack.twin.forget()
    path = "/api/admin/orders?store_code=SH0002"
    spoof = {SIDE: "platform", SERVED_BY: "platform", "X-Zhongtai-Anything": "1"}
    assert side_of(stack.url, path, headers=spoof) == "legacy"
    assert stack.twin.requests() == []
    # What an operator does: `zhongtai route headers` prints signed -H arguments.
    printed = stack.cli("route", "headers", "GET", path, "--side", "platform").stdout
    signed = dict(h.split(": ", 1) for h in re.findall(r"-H '([^']*)'", printed))
    assert side_of(stack.url, path, headers=signed) == "platform"
    (seen,) = stack.twin.requests()
    assert not [h for h in seen["headers"] if h.startswith("x-zhongtai")]

    # A client cannot turn a real write into a dry run (or anything else) on its own.
    stack.set_stage("pos.cancel", "platform")
    stack.twin.forget()
    body = {"store_code": "SH0002", "order_no": ORDER, "reason": "test"}
    httpx.post(stack.url + "/api/pos/orders/cancel", json=body, headers={SHADOW: "dry-run"})
    (seen,) = stack.twin.requests()
    assert "x-zhongtai-shadow" not in seen["headers"]
    signed = stack.signed("POST", "/api/pos/orders/cancel", {SHADOW: "dry-run"})
    stack.twin.forget()
    r = httpx.post(stack.url + "/api/pos/orders/cancel", json=body, headers=signed)
    assert r.json()["data"] == {"dry_run": True}
    (seen,) = stack.twin.requests()
    assert seen["headers"]["x-zhongtai-shadow"] == "dry-run"
    stack.set_stage("pos.cancel", "legacy")


def test_prometheus_metrics_and_status_show_the_same_figures(stack):
    stack.set_stage("mp.menu", "legacy")
    stack.set_stage("mp.menu", "shadow")  # a new revision: figures start from zero
    for _ in range(7):
        assert httpx.get(stack.url + "/api/mp/stores/1/menu").status_code == 200
    text = httpx.get(stack.url + "/_zhongtai/metrics").text
    rev = stack.store.load_table().get("mp.menu").revision
    assert f'zhongtai_requests_total{{route="mp.menu",side="legacy",revision="{rev}"}} 7' in text
    assert 'zhongtai_route_stage{route="mp.menu",stage="shadow"} 1' in text
    assert "# TYPE zhongtai_request_duration_seconds histogram" in text

    def mp_menu():
        data = json.loads(stack.cli("status", "--json").stdout)
        (route,) = [r for r in data["routes"] if r["name"] == "mp.menu"]
        figures = route["figures"]
        return figures if figures["compared"] == 7 else None

    figures = wait_for(mp_menu, "status to show the 7 compared pairs")
    data = json.loads(stack.cli("status", "--json").stdout)
    (route,) = [r for r in data["routes"] if r["name"] == "mp.menu"]
    assert route["gate"] == {"breached": False, "reasons": []}
    assert route["last_change"]["to_stage"] == "shadow" and route["gates"]["min_requests"] == 5
    assert figures["sides"]["legacy"]["requests"] == 7
    assert figures["sides"]["platform"]["requests"] == 7  # the shadow copies
    assert figures["mismatch_rate"] == 0 and figures["sides"]["legacy"]["p50_ms"] > 0
    table = stack.cli("status")
    assert table.returncode == 0 and "mp.menu" in table.stdout


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
