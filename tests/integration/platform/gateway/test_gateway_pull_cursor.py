"""The compensation-pull cursor lives in the order center's database, not in the gateway.

A pull, a restart of the platform (a new app over the same center databases), then a second
pull: the second one continues from the stored cursor and gets only the order deposited
since. A dry-run pull reads the same cursor and leaves it as it was.
"""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest

from tests.conftest import ENGINES
from tests.integration.platform.gateway.seeded import seeded_centers
from tests.integration.platform.platform_support import ThreadedServer
from zhongtai.legacy.clock import SHANGHAI
from zhongtai.platform.shadow import SHADOW_HEADER
from zhongtai.workload.catalog_view import load_catalog
from zhongtai.workload.payloads import Line, Takeout, meituan_new_form

PULL = "/api/channel/meituan/pull"


@pytest.fixture(name="seeded", scope="module", params=ENGINES)
def seeded_fixture(request, tmp_path_factory):
    """Seeded, backfilled center databases and a running channel API; no platform yet."""
    ws = tmp_path_factory.mktemp(f"pull_cursor_{request.param}")
    with seeded_centers(request.param, ws, stores=4, members=10, orders=10, seed=5) as (
        settings,
        channel_api,
    ):
        yield settings, load_catalog(settings.database("legacy")), channel_api


def deposit(channel_api: str, store, dish, order_id: str) -> None:
    """A Meituan order whose push was lost: only a compensation pull can find it."""
    created = int(datetime.now(SHANGHAI).timestamp()) - 600
    takeout = Takeout(
        order_id=order_id,
        shop=store.mt_poi_code,
        shop_name=store.store_name,
        recipient_name="李(女士)",
        phone="13800138000",
        address="南京西路1号",
        lng=121.47,
        lat=31.23,
        lines=(
            Line(
                code=dish.mt_food_code,
                sku_id=dish.mt_sku_id,
                name=dish.name,
                spec=dish.spec,
                price=dish.price,
                quantity=1,
            ),
        ),
        created=created,
    )
    order = meituan_new_form(takeout, now=created)
    order["detail"] = json.loads(order["detail"])
    httpx.post(
        f"{channel_api}/meituan/orders", json={"shop": store.mt_poi_code, "order": order}
    ).raise_for_status()


def test_a_restarted_platform_pulls_on_from_the_stored_cursor(seeded):
    from zhongtai.platform.app import create_app

    settings, catalog, channel_api = seeded
    store = catalog.on_channel("meituan")[0]
    dish = next(d for d in catalog.menus[store.store_id] if not d.sold_out and d.mt_food_code)
    cursor_path = f"/centers/order/pull-cursors/MEITUAN/{store.store_id}"
    body = {"store_code": store.store_code}

    with ThreadedServer(create_app(settings)) as first:
        http = httpx.Client(base_url=first.url, timeout=30)
        assert http.get(cursor_path).json()["cursor"] is None
        deposit(channel_api, store, dish, "27000000008800001")
        reply = http.post(PULL, json=body).json()
        assert reply["data"] == {"pulled": 1, "created": 1}, reply
        stored = http.get(cursor_path).json()
        assert stored["cursor"] is not None and stored["pulled_at"] is not None

        deposit(channel_api, store, dish, "27000000008800002")
        shadow = http.post(PULL, json=body, headers={SHADOW_HEADER: "dry-run"}).json()
        assert shadow["data"] == {"pulled": 1, "created": 1}, shadow  # from the same cursor
        assert http.get(cursor_path).json() == stored  # and left unchanged

    with ThreadedServer(create_app(settings)) as second:  # the platform restarted
        http = httpx.Client(base_url=second.url, timeout=30)
        assert http.get(cursor_path).json() == stored
        reply = http.post(PULL, json=body).json()
        assert reply["data"] == {"pulled": 1, "created": 1}, reply  # only the second order
        assert http.get(cursor_path).json()["cursor"] != stored["cursor"]
        again = http.post(PULL, json=body).json()
        assert again["data"] == {"pulled": 0, "created": 0}, again
