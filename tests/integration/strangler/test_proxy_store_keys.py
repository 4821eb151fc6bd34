"""The store key directory through real processes: legacy, the platform (whose store center
holds the stores the backfill migrated) and proxies. After `zhongtai route stores refresh`
(from the platform's store center, the default), one store's Meituan and Eleme
pushes, POS pulls, mini-program orders and order pages all land on one side, a Meituan refund
carrying only its order id follows its store (also through another proxy process), and raising
the percentage only ever adds stores."""

from __future__ import annotations

import itertools
import json
from datetime import date

import httpx
import pytest

from tests.integration.strangler.conftest import SHIPPED_ROUTES, legacy_stores, wait_for
from zhongtai.legacy.order_no import make_order_no
from zhongtai.strangler.bucketing import bucket, stores_on_platform
from zhongtai.strangler.signing import SERVED_BY
from zhongtai.strangler.storekeys_source import fetch_stores
from zhongtai.workload.payloads import Line, Takeout, meituan_new_form

SALT = "zhongtai-o2o"
STORE_ROUTES = ("channel.meituan", "channel.eleme", "pos.pull", "mp.order-create", "mp.menu",
                "mp.order", "admin.orders")  # fmt: skip
ORDER_IDS = itertools.count(28_000_000_000_000_000)


@pytest.fixture(scope="module")
def stores(stack) -> list[dict]:
    """The open stores; writes routed to either side really run there."""
    return legacy_stores(stack, open_only=True)


@pytest.fixture(scope="module")
def no_gates(stack):
    """Gates that never judge: writes are not comparable across the two systems here (a
    dry-run answer, orders only one side has), and this module is about keys, not gates."""
    path = stack.workspace / "routes-no-gates.toml"
    path.write_text(
        SHIPPED_ROUTES.read_text("utf-8").replace("min_requests = 20", "min_requests = 1000000"),
        "utf-8",
    )
    done = stack.cli("route", "load", "--file", str(path))
    assert done.returncode == 0 and "0 routes created" in done.stdout, done.stdout + done.stderr
    stack.wait_reloaded()


def client_requests(store: dict) -> dict[str, tuple[str, str, dict]]:
    """One request per store-keyed route, naming the store the way that client does."""
    code, order_id = store["store_code"], str(next(ORDER_IDS))
    store["last_order_id"] = order_id
    order_no = make_order_no(3, date(2025, 6, 1), code, 1)
    eleme = {
        "type": 12,
        "shopId": store["ele_shop_id"],
        "requestId": "r",
        "timestamp": 1,
        "message": json.dumps({"orderId": "1", "state": "valid", "updateTime": 1}),
    }
    mt = meituan_new_form(
        Takeout(
            order_id=order_id,
            shop=store["mt_app_poi_code"],
            shop_name="test",
            recipient_name="张三",
            phone="18449039731",
            address="上海市",
            lng=121.4,
            lat=31.2,
            created=1_750_000_000,
            day_seq=1,
            lines=(
                Line(code=None, sku_id=None, name="红烧肉", spec="大份", price=38.0, quantity=1),
            ),
        )
    )
    return {
        "channel.meituan": ("POST", "/api/channel/meituan/new", {"data": mt}),
        "channel.eleme": ("POST", "/api/channel/eleme/push", {"json": eleme}),
        "pos.pull": ("POST", "/api/pos/orders/pull", {"json": {"store_code": code, "pos_id": "p"}}),
        "mp.order-create": ("POST", "/api/mp/orders", {"json": {"store_id": store["id"]}}),
        "mp.menu": ("GET", f"/api/mp/stores/{store['id']}/menu", {}),
        "mp.order": ("GET", f"/api/mp/orders/{order_no}", {}),
        "admin.orders": ("GET", "/api/admin/orders", {"params": {"store_code": code}}),
    }  # fmt: skip


def sides_of(url: str, store: dict) -> dict[str, str]:
    out = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for route, (method, path, kw) in client_requests(store).items():
            out[route] = client.request(method, path, **kw).headers[SERVED_BY]
    return out


def refund_side(url: str, order_id: str) -> str:
    form = {"order_id": order_id, "notify_type": "apply", "refund_id": "r1", "money": "1"}
    r = httpx.post(f"{url}/api/channel/meituan/refund", data=form, timeout=30)
    return r.headers[SERVED_BY]


def set_canary(stack, percent: float) -> None:
    for route in STORE_ROUTES:
        stack.set_stage(route, "canary", percent)


def splitting_percents(codes: list[str]) -> list[float]:
    """Percentages between the stores' buckets: each level moves more stores, never all but
    the last, so both sides are represented until 100."""
    buckets = sorted(bucket("store_code", SALT, c) for c in codes)
    return [(buckets[0] + buckets[1]) / 2, (buckets[-2] + buckets[-3]) / 2, 100.0]


def test_unknown_store_ids_are_counted_before_the_directory_is_loaded(stack, stores, no_gates):
    stack.set_stage("channel.eleme", "shadow")
    store = stores[0]
    sides_of(stack.url, store)

    def counted():
        data = json.loads(stack.cli("status", "--json").stdout)
        fig = {r["name"]: r["figures"] for r in data["routes"]}["channel.eleme"]
        return fig["unknown_keys"] and fig

    fig = wait_for(counted, "the unknown Eleme shopId to show in zhongtai status")
    assert fig["unknown_examples"] == [f"eleme_shop:{store['ele_shop_id']}"]


def test_refresh_makes_every_route_put_a_store_on_one_side(stack, stores, no_gates):
    on_the_platform = fetch_stores(f"{stack.platform.url}/centers/store")
    assert {s["store_code"] for s in stores} <= {s["store_code"] for s in on_the_platform}
    done = stack.cli("route", "stores", "refresh")  # from the platform's store center
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(on_the_platform)} stores" in done.stdout and "version 1" in done.stdout
    wait_for(
        lambda: httpx.get(f"{stack.url}/_zhongtai/healthz").json()["stores_version"] >= 1,
        "the proxy to load the store key directory",
    )
    codes = [s["store_code"] for s in stores]
    previous: frozenset[str] = frozenset()
    for percent in splitting_percents(codes):
        set_canary(stack, percent)
        expected = stores_on_platform("store_code", percent, SALT, codes)
        for store in stores:
            want = "platform" if store["store_code"] in expected else "legacy"
            sides = sides_of(stack.url, store)
            assert set(sides.values()) == {want}, (percent, store["store_code"], sides)
            # The refund names only the channel order: the proxy learned its store above.
            assert refund_side(stack.url, store["last_order_id"]) == want
        assert previous <= expected and len(expected) > len(previous)  # only ever adds stores
        previous = expected
    assert previous == frozenset(codes)
    shown = json.loads(stack.cli("route", "stores", "show", "--json").stdout)
    assert shown["stores"] == len(on_the_platform) and shown["learned_orders"] >= len(stores)
    meituan = {r["route"]: r for r in shown["routes"]}["channel.meituan"]
    assert meituan["stores_on_platform"] == len(on_the_platform)  # 100 %: every store


def test_another_proxy_process_routes_refunds_of_orders_the_first_one_saw(stack, stores):
    codes = [s["store_code"] for s in stores]
    percent = splitting_percents(codes)[1]
    set_canary(stack, percent)
    other = stack.start_proxy()
    stack.wait_reloaded(other.url)
    on = stores_on_platform("store_code", percent, SALT, codes)
    base = httpx.get(f"{other.url}/_zhongtai/healthz").json()["learned_orders"]
    for store in stores:
        sides_of(stack.url, store)  # the first proxy sees the order's push and learns it

    def knows_them():
        known = httpx.get(f"{other.url}/_zhongtai/healthz").json()["learned_orders"]
        return known >= base + len(stores)

    wait_for(knows_them, "the second proxy to take in the orders the first one learned")
    for store in stores:
        want = "platform" if store["store_code"] in on else "legacy"
        assert refund_side(other.url, store["last_order_id"]) == want
    never_seen = str(next(ORDER_IDS))
    assert refund_side(other.url, never_seen) == "legacy"  # unkeyed: stays on legacy
