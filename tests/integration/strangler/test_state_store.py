"""The strangler's state on every engine: seeding, stage changes, audit, records, snapshots."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhongtai.db import create_engine
from zhongtai.strangler.figures import FigureBook
from zhongtai.strangler.records import Records
from zhongtai.strangler.state import RouteChangeError, StateStore, read_routes_file, utcnow

DOC = {
    "defaults": {"salt": "s", "gates": {"min_requests": 3}},
    "route": [
        {"name": "pos.pull", "method": "POST", "path": "/api/pos/orders/pull",
         "key": "json:store_code", "group": "store_code"},
        {"name": "mp.order", "method": "GET", "path": "/api/mp/orders/{order_no}",
         "key": "path:order_no ~ order_no"},
    ],
}  # fmt: skip


@pytest.fixture
def state(db_url):
    engine = create_engine(db_url)
    store = StateStore(engine)
    store.create()
    store.seed(DOC, who="tester", source="test")
    yield store, Records(engine)
    engine.dispose()


def test_seed_creates_routes_on_legacy_and_reseeding_keeps_stages(state):
    store, _ = state
    table = store.load_table()
    assert [r.name for r in table.routes] == ["pos.pull", "mp.order"]
    assert all(r.stage == "legacy" and r.revision == 1 for r in table.routes)
    assert table.get("pos.pull").gates.min_requests == 3
    store.set_stage("pos.pull", "shadow", None, who="tester", why="start comparing")
    changed = {**DOC, "route": [{**DOC["route"][0], "group": "store"}, DOC["route"][1]]}
    assert store.seed(changed, who="tester") == (0, 1)
    again = store.load_table().get("pos.pull")
    assert again.group == "store" and again.stage == "shadow"  # definition refreshed, stage kept
    assert store.seed(changed, who="tester") == (0, 0)


def test_stage_changes_are_validated_audited_and_bump_the_version(state):
    store, _ = state
    v0 = store.version()
    with pytest.raises(RouteChangeError, match="skips shadow"):
        store.set_stage("mp.order", "platform", None, who="ann", why="yolo")
    with pytest.raises(RouteChangeError, match="needs a reason"):
        store.set_stage("mp.order", "shadow", None, who="ann", why="  ")
    with pytest.raises(RouteChangeError, match="unknown route 'nope'"):
        store.set_stage("nope", "shadow", None, who="ann", why="x")
    assert store.version() == v0 and store.load_table().get("mp.order").stage == "legacy"

    store.set_stage("mp.order", "shadow", None, who="ann", why="compare")
    rec = store.set_stage("mp.order", "canary", 25, who="bob", why="one store in four")
    assert (rec.from_stage, rec.to_stage, rec.to_percent, rec.who) == (
        "shadow",
        "canary",
        25,
        "bob",
    )
    assert store.version() == v0 + 2
    route = store.load_table().get("mp.order")
    assert route.stage == "canary" and route.percent == 25 and route.revision == 3
    forced = store.set_stage("pos.pull", "platform", None, who="ann", why="drill", force=True)
    assert forced.from_stage == "legacy" and forced.to_stage == "platform"

    history = store.audit("mp.order")
    assert [h.why for h in history] == ["one store in four", "compare", "created from test"]
    assert history[-1].from_stage is None and history[0].at <= utcnow()


def test_rollback_restores_the_last_canary_percentage(state):
    store, _ = state
    store.set_stage("mp.order", "shadow", None, who="a", why="1")
    store.set_stage("mp.order", "canary", 10, who="a", why="2")
    store.set_stage("mp.order", "canary", 40, who="a", why="3")
    store.set_stage("mp.order", "platform", None, who="a", why="4")
    rec = store.rollback("mp.order", who="a", why="errors")
    assert (rec.to_stage, rec.to_percent) == ("canary", 40)
    assert store.rollback("mp.order", who="a", why="more").to_stage == "shadow"
    store.set_stage("pos.pull", "platform", None, who="a", why="forced", force=True)
    with pytest.raises(RouteChangeError, match="never ran as a canary"):
        store.rollback("pos.pull", who="a", why="x")


def test_automatic_rollback_happens_once_and_only_for_the_revision_judged(state):
    store, _ = state
    store.set_stage("mp.order", "shadow", None, who="a", why="1")
    store.set_stage("mp.order", "canary", 50, who="a", why="2")
    revision = store.load_table().get("mp.order").revision
    figures = {"error_rate": 0.5, "platform_errors": 5}
    assert not store.auto_rollback("mp.order", revision - 1, who="p", why="old", figures=figures)
    assert store.auto_rollback("mp.order", revision, who="p1", why="gate", figures=figures)
    assert not store.auto_rollback("mp.order", revision, who="p2", why="gate", figures=figures)
    (rec,) = store.audit("mp.order", limit=1)
    assert rec.automatic and rec.who == "p1" and rec.figures == figures
    assert store.load_table().get("mp.order").stage == "shadow"


def test_shadow_records_and_snapshots_round_trip(state):
    store, records = state
    now = utcnow()
    rows = [
        {"at": now, "route": "mp.order", "kind": "shadow", "method": "GET", "path": "/x",
         "sticky_key": "SH0012", "legacy_status": 200, "other_status": 200, "legacy_ms": 1.5,
         "other_ms": 2.5, "mismatched": True, "fields": ["data.total_amount"],
         "example": {"request": {"body": "价格"}}, "instance": "i1"},
        {"at": now, "route": "mp.order", "kind": "aa", "method": "GET", "path": "/x",
         "legacy_status": 200, "other_status": 200, "mismatched": False, "fields": [],
         "instance": "i1"},
    ]  # fmt: skip
    assert records.add_shadow_records(rows) == 2
    got = records.shadow_records(route="mp.order", kind="shadow")
    assert len(got) == 1 and got[0]["fields"] == ["data.total_amount"]
    assert got[0]["example"]["request"]["body"] == "价格" and got[0]["mismatched"] is True
    assert records.shadow_records(since=now + timedelta(seconds=5)) == []
    old = {**rows[1], "at": now - timedelta(hours=100)}
    records.add_shadow_records([old])
    assert records.prune_shadow_records(timedelta(hours=72)) == 1
    assert len(records.shadow_records(route="mp.order")) == 2

    revision = store.load_table().get("mp.order").revision
    for instance, n in (("i1", 3), ("i2", 4)):
        book = FigureBook()
        fig = book.route("mp.order", revision)
        for _ in range(n):
            fig.sides["legacy"].observe(0.01)
        records.save_snapshot(instance, book.to_dict())
    records.save_snapshot("i1", book.to_dict())  # an update, not a second row
    combined = records.figures({"mp.order": revision})
    assert combined["mp.order"].sides["legacy"].requests == 8
    assert records.figures({"mp.order": revision + 1}) == {}
    assert records.prune_snapshots(timedelta(hours=1)) == 0


def test_the_shipped_route_file_seeds_on_every_engine(db_url):
    engine = create_engine(db_url)
    try:
        store = StateStore(engine)
        store.ensure()
        table = store.load_table()
        assert len(table.routes) == len(read_routes_file()["route"]) >= 18
        store.ensure()  # idempotent
        assert store.version() == table.version
    finally:
        engine.dispose()
