"""Compensation pull against a tiny channel API served on loopback by this test module."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from legacy_fixtures import (
    ThreadedServer,
    count,
    eleme_body,
    eleme_message,
    meituan_new,
    platform_order_id,
    snapshot,
)

from zhongtai.legacy.schema import t_order, t_pull_cursor


class FakeChannel:
    """``GET /{channel}/orders/unprocessed?shop=&since=`` → ``{"orders", "cursor"}``."""

    def __init__(self) -> None:
        self.seq = itertools.count(1)  # never reset, so cursors stay meaningful
        self.entries: list[tuple[int, str, str, dict]] = []
        self.asked: list[tuple[str, str, str]] = []
        self.fail = False

    def deposit(self, channel: str, shop: str, order: dict) -> None:
        self.entries.append((next(self.seq), channel, shop, order))

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/{channel}/orders/unprocessed")
        def unprocessed(channel: str, shop: str, since: str = ""):
            self.asked.append((channel, shop, since))
            if self.fail:
                return JSONResponse({"error": "maintenance"}, status_code=503)
            after = int(since or 0)
            page = [e for e in self.entries if e[0] > after and e[1] == channel and e[2] == shop]
            cursor = str(page[-1][0]) if page else str(after)
            return {"orders": [e[3] for e in page], "cursor": cursor}

        return app


@pytest.fixture(scope="module")
def fake_channel():
    return FakeChannel()


@pytest.fixture(scope="module")
def channel_api(fake_channel):
    with ThreadedServer(fake_channel.app()) as server:
        yield server.url


@pytest.fixture
def fake(fake_channel):
    fake_channel.entries.clear()
    fake_channel.asked.clear()
    fake_channel.fail = False
    return fake_channel


def pull(legacy, channel, store_code):
    return legacy.http.post(f"/api/channel/{channel}/pull", json={"store_code": store_code})


def cursor_of(legacy, channel, store_id):
    with legacy.engine.connect() as conn:
        return conn.execute(
            sa.select(t_pull_cursor.c.last_order_id).where(
                t_pull_cursor.c.channel == channel, t_pull_cursor.c.store_id == store_id
            )
        ).scalar()


def test_meituan_pull_ingests_missed_orders_once_and_advances_the_cursor(legacy, fake):
    pushed, missed = platform_order_id(), platform_order_id()
    legacy.http.post("/api/channel/meituan/new", data=meituan_new(pushed, poi="mt-poi-a"))
    for oid in (pushed, missed):
        fake.deposit("meituan", "mt-poi-a", meituan_new(oid, poi="mt-poi-a"))
    fake.deposit("meituan", "mt-poi-b", meituan_new(platform_order_id(), poi="mt-poi-b"))
    start = (cursor_of(legacy, 1, legacy.ids["store_a"]) or "c:")[2:]

    resp = pull(legacy, "meituan", "SH0101")
    assert resp.json() == {"code": 0, "msg": "ok", "data": {"pulled": 2, "created": 1}}
    assert fake.asked[-1] == ("meituan", "mt-poi-a", start)
    assert count(legacy.engine, t_order, t_order.c.channel_order_id == missed) == 1
    cursor = cursor_of(legacy, 1, legacy.ids["store_a"])
    assert cursor == f"c:{fake.entries[1][0]}"

    assert pull(legacy, "meituan", "SH0101").json()["data"] == {"pulled": 0, "created": 0}
    assert fake.asked[-1] == ("meituan", "mt-poi-a", cursor[2:])
    # The channel hands the same order out again later: still one order.
    fake.deposit("meituan", "mt-poi-a", meituan_new(missed, poi="mt-poi-a"))
    assert pull(legacy, "meituan", "SH0101").json()["data"] == {"pulled": 1, "created": 0}
    assert count(legacy.engine, t_order, t_order.c.channel_order_id == missed) == 1


def test_eleme_pull_accepts_messages_and_push_bodies(legacy, fake):
    a, b = platform_order_id(), platform_order_id()
    fake.deposit("eleme", "ele-shop-b", eleme_message(a, shop="ele-shop-b"))
    fake.deposit("eleme", "ele-shop-b", eleme_body(10, eleme_message(b, shop="ele-shop-b")))
    resp = pull(legacy, "eleme", "SH0102")
    assert resp.json()["data"] == {"pulled": 2, "created": 2}
    with legacy.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t_order.c.channel, t_order.c.store_id, t_order.c.status).where(
                t_order.c.channel_order_id.in_([a, b])
            )
        ).all()
    assert sorted(tuple(r) for r in rows) == [(2, legacy.ids["store_b"], 1)] * 2


def test_failed_pulls_change_nothing(legacy, fake):
    fake.deposit("meituan", "mt-poi-bj", meituan_new(platform_order_id(), poi="mt-poi-bj"))
    before = snapshot(legacy.engine)
    fake.fail = True
    resp = pull(legacy, "meituan", "BJ0101")
    assert resp.status_code == 502 and resp.json()["code"] == 50201
    assert "HTTP 503" in resp.json()["msg"] and "legacy.channel_api" in resp.json()["msg"]
    fake.fail = False
    fake.deposit("meituan", "mt-poi-bj", {"order_id": "not-digits"})
    resp = pull(legacy, "meituan", "BJ0101")
    assert resp.status_code == 400 and resp.json()["code"] == 40001
    resp = pull(legacy, "meituan", "ZZ0000")
    assert resp.status_code == 404 and resp.json()["code"] == 40401
    resp = legacy.http.post("/api/channel/baidu/pull", json={"store_code": "BJ0101"})
    assert resp.status_code == 400 and "channel" in resp.json()["msg"]
    assert snapshot(legacy.engine) == before


def test_a_seeded_cursor_row_without_a_channel_cursor_pulls_from_the_start(legacy, fake):
    with legacy.engine.begin() as conn:  # what seeded history leaves: only last_order_id
        conn.execute(
            t_pull_cursor.insert().values(
                channel=2,
                store_id=legacy.ids["store_bj"],
                last_order_id="3000000000000284045",
                last_pull_time="2025-11-30 19:53:46",
            )
        )
    oid = platform_order_id()
    fake.deposit("eleme", "ele-shop-bj", eleme_message(oid, shop="ele-shop-bj"))
    assert pull(legacy, "eleme", "BJ0101").json()["data"] == {"pulled": 1, "created": 1}
    assert fake.asked[-1] == ("eleme", "ele-shop-bj", "")
    assert cursor_of(legacy, 2, legacy.ids["store_bj"]) == f"c:{fake.entries[-1][0]}"
