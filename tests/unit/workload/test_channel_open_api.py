"""The simulated channel open API: deposits, cursors, and clear refusals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from zhongtai.workload.channel_api import BadRequest, ChannelOrders, create_app


def test_unprocessed_orders_come_back_per_shop_after_the_cursor():
    orders = ChannelOrders()
    orders.deposit("meituan", "poi1", {"order_id": "31", "total": "10"})
    orders.deposit("meituan", "poi2", {"order_id": "32"})
    orders.deposit("meituan", "poi1", {"order_id": "33"})
    found, cursor = orders.unprocessed("meituan", "poi1", "")
    assert [o["order_id"] for o in found] == ["31", "33"]
    assert orders.unprocessed("meituan", "poi1", cursor) == ([], cursor)
    orders.deposit("meituan", "poi1", {"order_id": "34"})
    found, _ = orders.unprocessed("meituan", "poi1", cursor)
    assert [o["order_id"] for o in found] == ["34"]
    assert orders.unprocessed("eleme", "poi1", None) == ([], "0")


def test_a_repeated_deposit_keeps_one_entry():
    orders = ChannelOrders()
    assert orders.deposit("eleme", "s", {"id": "8", "orderId": "8"}) == (1, True)
    assert orders.deposit("eleme", "s", {"orderId": "8"}) == (1, False)
    assert orders.counts() == {"meituan": 0, "eleme": 1}


@pytest.mark.parametrize(
    ("channel", "shop", "order", "message"),
    [
        ("baidu", "s", {"order_id": "1"}, "unknown channel 'baidu'"),
        ("meituan", "", {"order_id": "1"}, "'shop'"),
        ("meituan", "s", ["x"], "'order' must be"),
        ("meituan", "s", {"id": "1"}, "'order_id'"),
        ("eleme", "s", {"order_id": "1"}, "'id' or 'orderId'"),
    ],
)
def test_bad_deposits_are_refused_with_a_reason(channel, shop, order, message):
    with pytest.raises(BadRequest, match=message):
        ChannelOrders().deposit(channel, shop, order)


def test_http_api():
    client = TestClient(create_app())
    assert client.get("/healthz").json()["status"] == "ok"
    created = client.post("/meituan/orders", json={"shop": "poi1", "order": {"order_id": "31"}})
    assert created.status_code == 201 and created.json() == {"seq": 1, "created": True}
    again = client.post("/meituan/orders", json={"shop": "poi1", "order": {"order_id": "31"}})
    assert again.status_code == 200 and again.json()["created"] is False
    page = client.get("/meituan/orders/unprocessed", params={"shop": "poi1", "since": ""}).json()
    assert page == {"orders": [{"order_id": "31"}], "cursor": "1"}
    bad = client.get("/meituan/orders/unprocessed", params={"since": "1"})
    assert bad.status_code == 400 and "'shop'" in bad.json()["error"]
    cursor = client.get("/eleme/orders/unprocessed", params={"shop": "x", "since": "zz"})
    assert cursor.status_code == 400 and "cursor 'zz'" in cursor.json()["error"]
    junk = client.post("/eleme/orders", content=b"not json")
    assert junk.status_code == 400 and "must be JSON" in junk.json()["error"]
    assert client.get("/healthz").json()["orders"] == {"meituan": 1, "eleme": 0}
