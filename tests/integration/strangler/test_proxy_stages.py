"""Every stage through real processes: legacy, shadow, canary, platform, retired."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import sqlalchemy as sa

from tests.integration.strangler.conftest import MAX_BODY, wait_for
from zhongtai.db import create_engine
from zhongtai.legacy.schema import t_store
from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.signing import SERVED_BY
from zhongtai.workload.payloads import Line, Takeout, meituan_new_form


@pytest.fixture(scope="module")
def stores(stack) -> list[dict]:
    """The test stores; the first two get Meituan orders pushed into legacy."""
    from zhongtai.config import load_settings

    settings = load_settings(stack.workspace, env=stack.env)
    engine = create_engine(settings.database("legacy"))
    q = sa.select(
        t_store.c.id, t_store.c.store_code, t_store.c.city_name, t_store.c.mt_app_poi_code
    ).order_by(t_store.c.id)
    with engine.connect() as conn:
        out = [dict(r._mapping) for r in conn.execute(q)]
    engine.dispose()
    now = int(time.time())
    for n, store in enumerate(out[:2]):
        for i in range(3):
            order = Takeout(
                order_id=str(27_000_000_000_000_000 + n * 100 + i),
                shop=store["mt_app_poi_code"],
                shop_name="test",
                recipient_name="张三",
                phone="18449039731_7333",
                address="上海市",
                lng=121.4,
                lat=31.2,
                created=now,
                day_seq=i + 1,
                lines=(
                    Line(
                        code=None, sku_id=None, name="红烧肉", spec="大份", price=38.0, quantity=1
                    ),
                ),
            )
            r = httpx.post(
                f"{stack.legacy.url}/api/channel/meituan/new", data=meituan_new_form(order)
            )
            assert r.json() == {"data": "ok"}, r.text
    return out


def direct(stack, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, stack.legacy.url + path, **kw)


def via(stack, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, stack.url + path, **kw)


def test_legacy_stage_passes_through_untouched(stack, stores):
    stack.set_stage("admin.orders", "legacy")
    stack.twin.forget()
    code = stores[0]["store_code"]
    path = f"/api/admin/orders?store_code={code}&page=1&size=5"
    got, want = via(stack, "GET", path), direct(stack, "GET", path)
    assert got.status_code == want.status_code == 200
    assert got.json() == want.json() and got.json()["data"]["total"] > 0
    assert got.headers[SERVED_BY] == "legacy"
    unknown = via(stack, "GET", "/no/such/route")  # the default route: legacy answers
    assert unknown.headers[SERVED_BY] == "legacy" and unknown.status_code == 404
    assert stack.twin.requests() == []


def test_shadow_stage_answers_from_legacy_and_records_the_comparison(stack, stores):
    stack.set_stage("mp.stores", "shadow")
    stack.twin.forget()
    city = stores[0]["city_name"]
    path = f"/api/mp/stores?city={city}"
    want = direct(stack, "GET", path).json()
    for _ in range(4):
        got = via(stack, "GET", path)
        assert got.json() == want and got.headers[SERVED_BY] == "legacy"
    shadows = wait_for(
        lambda: [r for r in stack.twin.requests() if r["path"] == "/api/mp/stores"],
        "the twin to receive the shadow copies",
    )
    assert all(r["headers"].get("x-zhongtai-shadow") == "dry-run" for r in shadows)
    records = wait_for(
        lambda: (
            [r for r in stack.records.shadow_records(route="mp.stores") if r["kind"] == "shadow"]
            if len(stack.records.shadow_records(route="mp.stores", kind="shadow")) >= 4
            else None
        ),
        "four shadow records",
    )
    assert all(not r["mismatched"] and r["fields"] == [] for r in records)
    assert all(r["legacy_status"] == r["other_status"] == 200 for r in records)
    # The shipped mp.stores route samples A/A here (aa_rate = 1.0 in the test table).
    aa = wait_for(lambda: stack.records.shadow_records(route="mp.stores", kind="aa"), "A/A records")
    assert aa and all(r["fields"] == [] for r in aa)


def test_a_platform_that_disagrees_shows_up_by_field(stack, stores):
    stack.set_stage("mp.menu", "shadow")
    stack.twin.fault(mutate="msg")
    try:
        path = f"/api/mp/stores/{stores[1]['id']}/menu"
        want = direct(stack, "GET", path).json()
        for _ in range(3):
            assert via(stack, "GET", path).json() == want  # the client never sees the twin
        records = wait_for(
            lambda: [r for r in stack.records.shadow_records(route="mp.menu") if r["mismatched"]],
            "mismatch records",
        )
    finally:
        stack.twin.fault()
    assert records[0]["fields"] == ["msg"]
    example = records[0]["example"]
    assert example["differences"][0] == {
        "path": "msg",
        "kind": "value",
        "legacy": "ok",
        "other": "twin-was-here",
    }
    assert example["legacy"]["body"].startswith('{"code": 0, "msg": "ok"')
    assert "twin-was-here" in example["other"]["body"]


def test_shadowed_writes_reach_the_platform_as_dry_run_and_legacy_once(stack, stores):
    stack.set_stage("pos.pull", "shadow")
    stack.twin.forget()
    code = stores[2]["store_code"]
    body = {"store_code": code, "pos_id": "POS-1", "page_size": 50}
    first = via(stack, "POST", "/api/pos/orders/pull", json=body)
    assert first.status_code == 200 and first.headers[SERVED_BY] == "legacy"
    copies = wait_for(
        lambda: [r for r in stack.twin.requests() if r["path"] == "/api/pos/orders/pull"],
        "the dry-run copy",
    )
    assert len(copies) == 1
    assert copies[0]["headers"]["x-zhongtai-shadow"] == "dry-run"
    assert json.loads(copies[0]["body"]) == body
    # Legacy executed the pull exactly once: a second pull finds nothing new.
    again = direct(stack, "POST", "/api/pos/orders/pull", json=body).json()
    assert again["data"]["orders"] == []
    record = wait_for(lambda: stack.records.shadow_records(route="pos.pull"), "the write's record")
    assert record[0]["method"] == "POST" and record[0]["sticky_key"] == code


def test_canary_sends_each_store_to_the_side_its_bucket_says(stack, stores):
    stack.set_stage("admin.orders", "canary", 50)
    route = stack.store.load_table().get("admin.orders")
    codes = [s["store_code"] for s in stores] + [f"ZZ{i:04d}" for i in range(30)]
    stack.twin.forget()
    with httpx.Client(base_url=stack.url) as client:
        sides = {}
        for code in codes:
            r = client.get("/api/admin/orders", params={"store_code": code, "size": 2})
            # Either side answers as legacy would (the twin asks legacy).
            want = direct(stack, "GET", "/api/admin/orders", params={"store_code": code, "size": 2})
            assert (r.status_code, r.json()) == (want.status_code, want.json())
            sides[code] = r.headers[SERVED_BY]
        again = {
            c: client.get("/api/admin/orders", params={"store_code": c}).headers[SERVED_BY]
            for c in codes
        }
    expected = {
        c: "platform" if on_platform(route.group, route.salt, c, 50) else "legacy" for c in codes
    }
    assert sides == expected == again
    assert 0 < list(sides.values()).count("platform") < len(codes)

    def code_of(r):
        return r["query"].split("store_code=")[1].split("&")[0]

    seen = stack.twin.requests()
    served = {code_of(r) for r in seen if "x-zhongtai-shadow" not in r["headers"]}
    assert served == {c for c, side in expected.items() if side == "platform"}
    # Reads legacy answered during the canary still go to the platform as shadows.
    shadowed = wait_for(
        lambda: (
            {code_of(r) for r in stack.twin.requests() if "x-zhongtai-shadow" in r["headers"]}
            or None
        ),
        "shadows",
    )
    assert shadowed <= {c for c, side in expected.items() if side == "legacy"}


def test_raising_the_canary_only_adds_stores(stack, stores):
    codes = [f"KK{i:04d}" for i in range(40)]
    seen = {}
    for percent in (10, 40, 90):
        stack.set_stage("admin.orders", "canary", percent)
        seen[percent] = {
            c
            for c in codes
            if via(stack, "GET", f"/api/admin/orders?store_code={c}").headers[SERVED_BY]
            == "platform"
        }
    assert seen[10] <= seen[40] <= seen[90] and seen[10] != seen[90]


def test_platform_stage_and_retired_stage(stack, stores):
    stack.set_stage("mp.member-orders", "platform")
    stack.twin.forget()
    r = via(stack, "GET", "/api/mp/members/1/orders?page=1&size=3")
    want = direct(stack, "GET", "/api/mp/members/1/orders?page=1&size=3")
    assert r.headers[SERVED_BY] == "platform" and r.json() == want.json()
    assert [q["path"] for q in stack.twin.requests()] == ["/api/mp/members/1/orders"]
    stack.set_stage("mp.member-orders", "retired")
    stack.twin.forget()
    gone = via(stack, "GET", "/api/mp/members/1/orders")
    assert gone.status_code == 410 and gone.headers[SERVED_BY] == "proxy"
    assert "retired" in gone.json()["msg"] and "mp.member-orders" in gone.json()["msg"]
    assert stack.twin.requests() == []
    stack.set_stage("mp.member-orders", "legacy")


def test_bodies_over_the_limit_get_413_before_any_upstream(stack):
    stack.set_stage("admin.product-upsert", "platform")
    stack.twin.forget()
    big = b"x" * (MAX_BODY + 1)
    r = via(
        stack,
        "POST",
        "/api/admin/products/upsert",
        content=big,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["code"] == 41301
    assert str(MAX_BODY) in r.json()["msg"] and "proxy.max_body_bytes" in r.json()["msg"]

    def chunks():
        for _ in range(4):
            yield b"y" * (MAX_BODY // 2)

    chunked = via(stack, "POST", "/api/admin/products/upsert", content=chunks())
    assert chunked.status_code == 413
    assert stack.twin.requests() == []
    stack.set_stage("admin.product-upsert", "legacy")
