"""Every stage through real processes: legacy, shadow, canary, platform, retired — with the
real platform behind the proxy, seeded from the same data as legacy."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.strangler.conftest import (
    MAX_BODY,
    diverge_in_legacy,
    legacy_stores,
    wait_for,
)
from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.signing import SERVED_BY
from zhongtai.workload.payloads import Line, Takeout, meituan_new_form


@pytest.fixture(scope="module")
def stores(stack) -> list[dict]:
    """The seeded stores that are open (their menus and orders answer on both sides)."""
    out = legacy_stores(stack, open_only=True)
    assert len(out) >= 4, out
    return out


def meituan_order(store: dict, order_id: str) -> dict:
    """A new Meituan order pushed for ``store`` (form fields of the push)."""
    order = Takeout(
        order_id=order_id,
        shop=store["mt_app_poi_code"],
        shop_name="test",
        recipient_name="张三",
        phone="18449039731_7333",
        address="上海市",
        lng=121.4,
        lat=31.2,
        created=int(time.time()),
        day_seq=1,
        lines=(Line(code=None, sku_id=None, name="红烧肉", spec="大份", price=38.0, quantity=1),),
    )
    return meituan_new_form(order)


def direct(url: str, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, url + path, timeout=30, **kw)


def via(stack, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, stack.url + path, timeout=30, **kw)


def test_legacy_stage_passes_through_untouched(stack, stores):
    stack.set_stage("admin.orders", "legacy")
    code = stores[0]["store_code"]
    path = f"/api/admin/orders?store_code={code}&page=1&size=5"
    got, want = via(stack, "GET", path), direct(stack.legacy.url, "GET", path)
    assert got.status_code == want.status_code == 200
    assert got.json() == want.json() and got.json()["data"]["total"] > 0
    assert got.headers[SERVED_BY] == "legacy"
    unknown = via(stack, "GET", "/no/such/route")  # the default route: legacy answers
    assert unknown.headers[SERVED_BY] == "legacy" and unknown.status_code == 404
    assert stack.sent_to_platform("admin.orders") == 0


def test_shadow_stage_answers_from_legacy_and_records_the_comparison(stack, stores):
    stack.set_stage("mp.stores", "shadow")
    city = stores[0]["city_name"]
    path = f"/api/mp/stores?city={city}"
    want = direct(stack.legacy.url, "GET", path).json()
    assert want["data"], "the city has open stores"
    for _ in range(4):
        got = via(stack, "GET", path)
        assert got.json() == want and got.headers[SERVED_BY] == "legacy"

    def four_records():
        records = stack.records.shadow_records(route="mp.stores", kind="shadow")
        return records if len(records) >= 4 else None

    records = wait_for(four_records, "four shadow records")
    # The platform answered every copy, as legacy did, with the same stores.
    assert all(r["legacy_status"] == r["other_status"] == 200 for r in records)
    assert all(not r["mismatched"] and r["fields"] == [] for r in records)
    # Sent, compared and recorded by the proxy's shadow process, off its event loop.
    assert all(r["instance"].endswith("/shadow") for r in records)
    assert stack.sent_to_platform("mp.stores") >= 4
    # The shipped mp.stores route samples A/A here (aa_rate = 1.0 in the test table).
    aa = wait_for(lambda: stack.records.shadow_records(route="mp.stores", kind="aa"), "A/A records")
    assert aa and all(r["fields"] == [] for r in aa)


def test_a_platform_that_disagrees_shows_up_by_field(stack, stores):
    """A store renamed in legacy alone: the shadow comparison finds the difference by field,
    with an example, and the client never sees the platform's answer."""
    stack.set_stage("mp.menu", "shadow")
    store = stores[1]
    diverge_in_legacy(stack, store["id"], "改名后的店")
    path = f"/api/mp/stores/{store['id']}/menu"
    want = direct(stack.legacy.url, "GET", path).json()
    theirs = direct(stack.platform.url, "GET", path).json()
    assert want["data"]["store_name"] == "改名后的店" != theirs["data"]["store_name"]
    for _ in range(3):
        got = via(stack, "GET", path)
        assert got.json() == want and got.headers[SERVED_BY] == "legacy"
    records = wait_for(
        lambda: [r for r in stack.records.shadow_records(route="mp.menu") if r["mismatched"]],
        "mismatch records",
    )
    assert "data.store_name" in records[0]["fields"], records[0]["fields"]
    example = records[0]["example"]
    assert {
        "path": "data.store_name",
        "kind": "value",
        "legacy": "改名后的店",
        "other": theirs["data"]["store_name"],
    } in example["differences"]
    assert example["legacy"]["body"].startswith('{"code": 0, "msg": "ok"')
    assert theirs["data"]["store_name"] in example["other"]["body"]


def test_shadowed_writes_reach_the_platform_as_dry_run_and_legacy_once(stack, stores):
    stack.set_stage("pos.pull", "shadow")
    store = stores[2]
    code = store["store_code"]
    # The same new takeout order reaches both systems (as forward sync would carry it).
    form = meituan_order(store, "27000000000077001")
    for url in (stack.legacy.url, stack.platform.url):
        assert direct(url, "POST", "/api/channel/meituan/new", data=form).json() == {"data": "ok"}
    body = {"store_code": code, "pos_id": "POS-1", "page_size": 50}
    first = via(stack, "POST", "/api/pos/orders/pull", json=body)
    assert first.status_code == 200 and first.headers[SERVED_BY] == "legacy"
    assert len(first.json()["data"]["orders"]) == 1
    record = wait_for(lambda: stack.records.shadow_records(route="pos.pull"), "the write's record")
    assert len(record) == 1
    assert record[0]["method"] == "POST" and record[0]["sticky_key"] == code
    assert record[0]["legacy_status"] == record[0]["other_status"] == 200
    # Legacy executed the pull exactly once: a second pull finds nothing new.
    again = direct(stack.legacy.url, "POST", "/api/pos/orders/pull", json=body).json()
    assert again["data"]["orders"] == []
    # The platform ran the copy as a dry run: its POS cursor did not move, the order is
    # still there for a real pull (and then gone).
    pulls = [direct(stack.platform.url, "POST", "/api/pos/orders/pull", json=body).json()
             for _ in range(2)]  # fmt: skip
    assert [len(p["data"]["orders"]) for p in pulls] == [1, 0]
    # The same order, numbered from each side's own serial range (legacy 00001-49999, the
    # platform 50001-99999), so everything but its number and day index matches.
    (theirs,), (ours,) = pulls[0]["data"]["orders"], first.json()["data"]["orders"]
    numbering = ("order_no", "order_index")
    assert theirs["order_no"] != ours["order_no"] and theirs["order_no"][-5] == "5"
    assert {k: v for k, v in theirs.items() if k not in numbering} == {
        k: v for k, v in ours.items() if k not in numbering
    }


def test_canary_sends_each_store_to_the_side_its_bucket_says(stack, stores):
    stack.set_stage("admin.orders", "canary", 50)
    route = stack.store.load_table().get("admin.orders")
    codes = [s["store_code"] for s in stores] + [f"ZZ{i:04d}" for i in range(30)]
    upstream = {"legacy": stack.legacy.url, "platform": stack.platform.url}
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        sides = {}
        for code in codes:
            params = {"store_code": code, "size": 2}
            r = client.get("/api/admin/orders", params=params)
            side = sides[code] = r.headers[SERVED_BY]
            # The answer is that side's own answer.
            want = httpx.get(upstream[side] + "/api/admin/orders", params=params, timeout=30)
            assert (r.status_code, r.json()) == (want.status_code, want.json()), code
        again = {
            c: client.get("/api/admin/orders", params={"store_code": c}).headers[SERVED_BY]
            for c in codes
        }
    expected = {
        c: "platform" if on_platform(route.group, route.salt, c, 50) else "legacy" for c in codes
    }
    assert sides == expected == again
    assert 0 < list(sides.values()).count("platform") < len(codes)
    # Reads legacy answered during the canary still go to the platform as shadows.
    legacy_side = {c for c, side in expected.items() if side == "legacy"}
    shadowed = wait_for(
        lambda: (
            {r["sticky_key"] for r in stack.records.shadow_records(route="admin.orders")} or None
        ),
        "shadows",
    )
    assert shadowed <= legacy_side
    served = 2 * list(sides.values()).count("platform")
    assert stack.sent_to_platform("admin.orders") >= served + len(shadowed)


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
    path = "/api/mp/members/1/orders?page=1&size=3"
    r = via(stack, "GET", path)
    want = direct(stack.platform.url, "GET", path)
    assert r.headers[SERVED_BY] == "platform" and r.json() == want.json()
    assert r.json()["data"]["items"], "the member has orders on the platform"
    assert r.json() == direct(stack.legacy.url, "GET", path).json()  # migrated alike
    assert stack.sent_to_platform("mp.member-orders") == 1
    stack.set_stage("mp.member-orders", "retired")
    gone = via(stack, "GET", "/api/mp/members/1/orders")
    assert gone.status_code == 410 and gone.headers[SERVED_BY] == "proxy"
    assert "retired" in gone.json()["msg"] and "mp.member-orders" in gone.json()["msg"]
    assert stack.sent_to_platform("mp.member-orders") == 0
    stack.set_stage("mp.member-orders", "legacy")


def test_bodies_over_the_limit_get_413_before_any_upstream(stack):
    stack.set_stage("admin.product-upsert", "platform")
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
    assert stack.sent_to_platform("admin.product-upsert") == 0
    stack.set_stage("admin.product-upsert", "legacy")
