"""The store key directory on every engine: refresh from a real store center, learned orders,
and the proxy-side sync (reload by version, orders exchanged between processes)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from tests.integration.strangler.store_center import serve_store_center, store_body
from zhongtai.config import ProxySettings, load_settings
from zhongtai.db import create_engine
from zhongtai.errors import UpstreamError
from zhongtai.serving import free_port
from zhongtai.strangler import schema
from zhongtai.strangler.routes import RouteTable
from zhongtai.strangler.runtime import Runtime, Upstream
from zhongtai.strangler.state import utcnow
from zhongtai.strangler.storekeys import StoreKeys
from zhongtai.strangler.storekeys_db import StoreKeyDB
from zhongtai.strangler.storekeys_ops import StoreKeyError, refresh_store_keys, store_keys_summary
from zhongtai.strangler.storekeys_sync import StoreKeySync, load_store_keys

STORES = [
    store_body(1, "SH0001", mt="mt_sh0001", ele="9001"),
    store_body(2, "BJ0002", mt="mt_bj0002", ele=None),
    store_body(3, "HZ0003", mt=None, ele="9003"),
]


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    with serve_store_center(tmp_path_factory.mktemp("store_center"), STORES) as server:
        yield server


@pytest.fixture
def settings(db_url, tmp_path):
    env = {"ZHONGTAI_DATABASES_STATE": db_url}
    return load_settings(tmp_path, env=env, cwd=tmp_path)


@pytest.fixture
def db(settings):
    engine = create_engine(settings.database("state"))
    yield StoreKeyDB(engine)
    engine.dispose()


def test_refresh_loads_every_alias_records_it_and_bumps_the_version(settings, db, center):
    result = refresh_store_keys(settings, source=center.url, who="tester")
    assert result["stores"] == 3 and result["version"] == 1
    assert result["aliases"] == {"store_code": 3, "store_id": 3, "meituan_poi": 2,
                                 "eleme_shop": 2, "eleme_open": 2}  # fmt: skip
    directory = db.load_directory()
    assert directory.version == 1
    assert directory.aliases[("meituan_poi", "mt_bj0002")] == "BJ0002"
    assert directory.aliases[("eleme_shop", "9003")] == "HZ0003"
    assert directory.aliases[("store_id", "1")] == "SH0001"
    refresh = db.last_refresh()
    assert refresh["who"] == "tester" and refresh["stores"] == 3
    assert refresh["source"] == center.url and refresh["changes"]["added"] == 12
    again = refresh_store_keys(settings, source=center.url)
    assert again["version"] == 2 and again["changes"] == {
        "added": 0, "removed": 0, "moved_count": 0, "moved": []}  # fmt: skip
    summary = store_keys_summary(settings)
    assert (summary["version"], summary["stores"], summary["learned_orders"]) == (2, 3, 0)


def test_a_rebinding_shows_as_a_moved_alias_and_a_dry_run_writes_nothing(settings, db, center):
    refresh_store_keys(settings, source=center.url)
    moved = httpx.delete(f"{center.url}/stores/1/channels/MEITUAN")
    assert moved.status_code == 200
    bound = httpx.put(f"{center.url}/stores/2/channels/MEITUAN",
                      json={"channel_store_id": "mt_sh0001"})  # fmt: skip
    assert bound.status_code == 200, bound.text
    try:
        preview = refresh_store_keys(settings, source=center.url, dry_run=True)
        assert preview["version"] is None and preview["changes"]["moved"] == [
            {"kind": "meituan_poi", "value": "mt_sh0001", "from": "SH0001", "to": "BJ0002"}
        ]
        assert db.version() == 1  # the dry run wrote nothing
        assert db.load_directory().aliases[("meituan_poi", "mt_sh0001")] == "SH0001"
        refresh_store_keys(settings, source=center.url)
        assert db.load_directory().aliases[("meituan_poi", "mt_sh0001")] == "BJ0002"
    finally:  # put the shared store center back as the other tests expect it
        httpx.put(f"{center.url}/stores/2/channels/MEITUAN", json={"channel_store_id": "mt_bj0002"})
        httpx.put(f"{center.url}/stores/1/channels/MEITUAN", json={"channel_store_id": "mt_sh0001"})


def test_bad_store_lists_change_nothing(settings, db, center):
    refresh_store_keys(settings, source=center.url)
    before = db.load_directory()

    def answer(body):
        return httpx.MockTransport(lambda request: httpx.Response(200, json=body))

    clash = {"items": [{"id": 1, "store_code": "SH0001", "channel_bindings": [
        {"channel": "ELEME", "channel_store_id": "9"}]}, {"id": 2, "store_code": "BJ0002",
        "channel_bindings": [{"channel": "ELEME", "channel_store_id": "9"}]}]}  # fmt: skip
    with pytest.raises(StoreKeyError, match="'9' belongs to two stores, SH0001 and BJ0002"):
        refresh_store_keys(settings, source="http://center", transport=answer(clash))
    with pytest.raises(StoreKeyError, match="lists no stores"):
        refresh_store_keys(settings, source="http://center", transport=answer({"items": []}))
    with pytest.raises(UpstreamError, match="not a store list"):
        refresh_store_keys(settings, source="http://center", transport=answer([1, 2]))
    with pytest.raises(UpstreamError, match="did not answer"):
        refresh_store_keys(settings, source=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(UpstreamError, match="HTTP 404"):
        refresh_store_keys(settings, source=center.url + "/nowhere")
    assert db.load_directory() == before and db.last_refresh()["id"] == 1


def test_learned_orders_are_read_back_incrementally_and_pruned_by_age(db):
    db.create()
    assert db.add_learned([("meituan_order", "1", "SH0001"), ("meituan_order", "2", "BJ0002")],
                          "proxy-a") == 2  # fmt: skip
    rows, top = db.learned_since(0, look_back=timedelta(0))
    assert rows == [("meituan_order", "1", "SH0001"), ("meituan_order", "2", "BJ0002")]
    db.add_learned([("eleme_order", "3", "HZ0003")], "proxy-b")
    newer, top2 = db.learned_since(top, look_back=timedelta(0))
    assert newer == [("eleme_order", "3", "HZ0003")] and top2 > top
    # The look-back re-reads recent rows: ids of concurrent writers may commit out of order.
    recent, _ = db.learned_since(top2, look_back=timedelta(minutes=1))
    assert len(recent) == 3
    with db.engine.begin() as conn:
        old = utcnow() - timedelta(days=30)
        conn.execute(schema.order_aliases.update().where(schema.order_aliases.c.value == "1")
                     .values(at=old))  # fmt: skip
    kept, _ = db.load_learned(retention=timedelta(days=14), limit=10)
    assert [v for _, v, _ in kept] == ["2", "3"]
    assert db.prune_learned(timedelta(days=14)) == 1 and db.learned_count() == 2


def runtime(keys: StoreKeys) -> Runtime:
    return Runtime(
        ProxySettings(),
        Upstream.from_url("legacy", "http://127.0.0.1:1"),
        Upstream.from_url("platform", "http://127.0.0.1:2"),
        "",
        RouteTable([]),
        store_keys=keys,
    )


def test_proxies_reload_a_refresh_and_share_what_they_learn(settings, db, center):
    db.create()
    keys_a, last_a = load_store_keys(db)
    keys_b, last_b = load_store_keys(db)
    a = StoreKeySync(runtime(keys_a), db, last_a)
    b = StoreKeySync(runtime(keys_b), db, last_b)

    async def scenario():
        assert not await a.reload()  # nothing moved yet
        refresh_store_keys(settings, source=center.url)
        assert await a.reload() and await b.reload()
        assert keys_a.resolve("meituan_poi", "mt_sh0001") == ("SH0001", True)
        keys_a.learn("meituan_order", "27001", "SH0001")
        await a.exchange()
        assert keys_a.pending == []
        assert keys_b.resolve("meituan_order", "27001") == (None, False)
        await b.exchange()
        assert keys_b.resolve("meituan_order", "27001") == ("SH0001", True)

    asyncio.run(scenario())
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.order_aliases.c.instance)).scalars().all()
    assert rows == [a.rt.instance]  # written once, by the process that learned it
    fresh, _ = load_store_keys(db)  # a process starting later knows it from the start
    assert fresh.resolve("meituan_order", "27001") == ("SH0001", True)
    assert fresh.directory.version == db.version()


def test_learned_orders_survive_a_database_outage(settings, db):
    db.create()
    keys, last = load_store_keys(db)
    sync = StoreKeySync(runtime(keys), db, last)
    keys.learn("meituan_order", "1", "SH0001")
    broken = StoreKeyDB(create_engine("sqlite:////nonexistent/dir/state.db"))
    sync.db = broken

    async def fail_then_recover():
        with pytest.raises(sa.exc.OperationalError):
            await sync.exchange()
        assert keys.pending == [("meituan_order", "1", "SH0001")]  # kept for the next pass
        sync.db = db
        await sync.exchange()

    asyncio.run(fail_then_recover())
    assert db.learned_count() == 1 and keys.pending == []
    broken.engine.dispose()
