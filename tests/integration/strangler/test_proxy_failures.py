"""When the platform fails: canary reads fall back to legacy, gates roll routes back by
themselves (with the figures in the audit), and shadows are dropped rather than queued.

The platform is the real one: stopped (connections refused), frozen with SIGSTOP (slow), or
disagreeing because a store was renamed in legacy's database alone."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.integration.strangler.conftest import diverge_in_legacy, legacy_stores, wait_for
from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.signing import SERVED_BY


def stage_of(stack, route: str) -> str:
    return stack.store.load_table().get(route).stage.value


@pytest.fixture
def platform_down(stack):
    with stack.platform_down():
        yield


def test_platform_down_during_canary_reads_fall_back_then_the_gate_rolls_back(stack, platform_down):
    stack.set_stage("admin.orders", "canary", 100)
    code = legacy_stores(stack, open_only=True)[0]["store_code"]
    path = f"/api/admin/orders?store_code={code}&size=3"
    want = httpx.get(stack.legacy.url + path).json()
    assert want["data"]["items"], "the store has orders"
    # Fewer failures than the gate's minimum sample (5): the route stays in canary and
    # every read is answered by legacy instead of failing.
    for _ in range(4):
        r = httpx.get(stack.url + path)
        assert r.status_code == 200 and r.json() == want
        assert r.headers[SERVED_BY] == "legacy"
    assert stage_of(stack, "admin.orders") == "canary"
    metrics = httpx.get(stack.url + "/_zhongtai/metrics").text
    assert 'zhongtai_fallbacks_total{route="admin.orders"' in metrics

    # More failures: the error-rate gate breaks and the proxy rolls the route back itself.
    for _ in range(4):
        assert httpx.get(stack.url + path).json() == want
    wait_for(lambda: stage_of(stack, "admin.orders") == "shadow", "the automatic rollback")
    (record,) = stack.store.audit("admin.orders", limit=1)
    assert record.automatic and record.from_stage == "canary" and record.to_stage == "shadow"
    assert record.who.startswith("zhongtai-proxy") and "platform error rate 100.0%" in record.why
    assert record.figures["error_rate"] == 1.0 and record.figures["platform_errors"] >= 5
    assert record.figures["gates"]["max_error_rate"] == 0.05
    stack.wait_reloaded()
    assert httpx.get(stack.url + path).headers[SERVED_BY] == "legacy"


def test_platform_down_during_canary_writes_fail_rather_than_run_twice(stack, platform_down):
    stack.set_stage("pos.ack", "canary", 100)
    body = {"store_code": "SH0002", "order_no": "3261130SH000200007", "ticket_no": "T1"}
    r = httpx.post(stack.url + "/api/pos/orders/ack", json=body)
    # No fallback for writes: legacy must not execute what the platform may have done.
    assert r.status_code == 502
    stack.set_stage("pos.ack", "legacy")


def test_a_disagreeing_platform_breaks_the_mismatch_gate(stack):
    stack.set_stage("mp.menu", "canary", 1)  # nearly all reads on legacy, each one shadowed
    route = stack.store.load_table().get("mp.menu")
    (store,) = [s for s in legacy_stores(stack, open_only=True)
                if not on_platform(route.group, route.salt, str(s["id"]), 1)][:1]  # fmt: skip
    diverge_in_legacy(stack, store["id"], "只在老系统改过名")
    for _ in range(8):
        r = httpx.get(f"{stack.url}/api/mp/stores/{store['id']}/menu")
        assert r.status_code == 200 and r.headers[SERVED_BY] == "legacy"
    wait_for(lambda: stage_of(stack, "mp.menu") == "shadow", "the mismatch rollback")
    (record,) = stack.store.audit("mp.menu", limit=1)
    assert record.automatic and "mismatch rate 100.0%" in record.why
    assert record.figures["mismatch_rate"] == 1.0 and record.figures["compared"] >= 5


def test_an_overloaded_shadow_pool_drops_and_counts(stack):
    small = stack.start_proxy(
        ZHONGTAI_PROXY_SHADOW_CONCURRENCY="1", ZHONGTAI_PROXY_UPSTREAM_TIMEOUT_MS="3000"
    )
    stack.set_stage("mp.stores", "shadow")

    async def burst():
        async with httpx.AsyncClient(base_url=small.url) as client:
            return await asyncio.gather(
                *[client.get("/api/mp/stores", params={"city": "上海"}) for _ in range(12)]
            )

    with stack.platform_frozen():  # the one shadow slot stays taken until its timeout
        replies = asyncio.run(burst())
    assert all(r.status_code == 200 and r.headers[SERVED_BY] == "legacy" for r in replies)
    metrics = httpx.get(small.url + "/_zhongtai/metrics").text
    (line,) = [x for x in metrics.splitlines()
               if x.startswith('zhongtai_shadow_dropped_total{route="mp.stores"')]  # fmt: skip
    assert int(line.rsplit(" ", 1)[1]) >= 10  # one slot, twelve copies (plus A/A samples)
