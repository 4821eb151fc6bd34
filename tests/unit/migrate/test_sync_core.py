"""The pure core of capture and sync: trigger DDL, fan-out, ripples, re-keying, scope, lag."""

from __future__ import annotations

import threading
import time

import pytest

from zhongtai.migrate import capture_sql as ddl
from zhongtai.migrate.applier import rekey
from zhongtai.migrate.capture import forward_specs, owned_specs
from zhongtai.migrate.capture_sql import CaptureSpec
from zhongtai.migrate.changelog import Backlog, Change, total_backlog
from zhongtai.migrate.dependents import dependents, fan_out
from zhongtai.migrate.lag import forward_tables, mapping_lag
from zhongtai.migrate.mapping import Group, build_group
from zhongtai.migrate.mappings import all_mappings
from zhongtai.migrate.mappings.people import NEW_MEMBER_BASE, People
from zhongtai.migrate.origin import APP, FORWARD, REVERSE, applies
from zhongtai.migrate.reverse_specs import reverse_mappings
from zhongtai.migrate.ripples import group_ripple, people_ripple, people_touched
from zhongtai.migrate.scope import Scope, StoreKeys, store_code_in
from zhongtai.migrate.syncloop import BatchOutcome, pause_after, run
from zhongtai.strangler.bucketing import bucket
from zhongtai.strangler.routes import parse_route

MAPPINGS = list(all_mappings().values())


def change(id_, table, key, ref=None, origin=APP):
    return Change(id_, table, key, ref, "U", origin)


# --------------------------------------------------------------------------- capture specs


def test_forward_specs_cover_every_table_a_mapping_reads_with_parents_for_children():
    specs = {s.table: s for s in forward_specs(MAPPINGS)}
    assert specs["t_order"] == CaptureSpec("t_order", "id", None)
    assert specs["t_order_item"].ref == "order_id"
    # t_refund is the source of `refunds` and a child of `orders`: both get what they need.
    assert specs["t_refund"] == CaptureSpec("t_refund", "id", "order_id")
    assert {"t_store", "t_member", "t_push_log", "t_store_product"} <= set(specs)
    assert "t_pull_cursor" not in specs  # no mapping reads it


def test_owned_specs_key_center_tables_by_the_owning_row():
    specs = {s.table: s.key for s in owned_specs(reverse_mappings())}
    assert specs == {
        "orders": "id",
        "order_items": "order_id",
        "order_discounts": "order_id",
        "order_status_history": "order_id",
        "external_refs": "order_id",
        "payments": "id",
        "refunds": "id",
    }


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql", "mariadb"])
def test_every_trigger_writes_the_log_and_the_origin(dialect):
    spec = CaptureSpec("t_order_item", "id", "order_id")
    statements = ddl.create_statements(dialect, spec)
    names = [n for n in statements if not n.startswith("function:")]
    assert names == ddl.trigger_names(dialect, spec)
    text = "\n".join(statements.values())
    assert ddl.LOG_TABLE in text and "order_id" in text
    marker = {"sqlite": ddl.ORIGIN_TABLE, "postgresql": ddl.PG_SETTING}.get(
        dialect, ddl.MYSQL_VARIABLE
    )
    assert marker in text
    assert len(ddl.drop_statements(dialect, spec)) >= 2


def test_a_table_without_parent_gets_no_parent_move_trigger():
    assert ddl.trigger_names("sqlite", CaptureSpec("t_store", "id")) == [
        "zt_cap_t_store_i",
        "zt_cap_t_store_u",
        "zt_cap_t_store_d",
        "zt_cap_t_store_k",
    ]
    assert 'IS DISTINCT FROM NEW."order_id"' not in ddl.pg_function_body(
        CaptureSpec("t_store", "id")
    )


def test_an_unsupported_engine_is_named():
    with pytest.raises(ValueError, match="oracle"):
        ddl.create_statements("oracle", CaptureSpec("t", "id"))


# --------------------------------------------------------------------------- fan-out


def test_changes_fan_out_to_sources_and_parents_once_each_and_echoes_are_skipped():
    deps = dependents(MAPPINGS)
    fan = fan_out(
        [
            change(1, "t_order", 10),
            change(2, "t_order", 10),
            change(3, "t_order_item", 77, ref=11),
            change(4, "t_refund", 5, ref=12),
            change(5, "t_order", 13, origin=REVERSE),
            change(6, "t_order", 14, origin=FORWARD),
            change(7, "t_erp_sync_log", 1),
        ],
        deps,
    )
    assert fan.keys["orders"] == {10, 11, 12}
    assert fan.keys["platform_customers"] == {10}
    assert fan.keys["refunds"] == {5}
    assert fan.echoes == 2 and fan.unrelated == 1
    order = [name for name, _ in fan.ordered(deps.order)]
    assert order.index("platform_customers") < order.index("orders") < order.index("refunds")


def test_a_deleted_child_without_parent_key_asks_for_nothing():
    fan = fan_out([change(1, "t_order_item", 3, ref=None)], dependents(MAPPINGS))
    assert "orders" not in fan.keys


def test_only_syncer_origins_are_echoes():
    assert applies(APP) and applies("anything-else")
    assert not applies(FORWARD) and not applies(REVERSE)


# --------------------------------------------------------------------------- ripples


def test_group_ripple_names_the_rows_whose_group_changed():
    group = Group("g", table=None, columns=("k",), key=lambda r: r["k"])  # type: ignore[arg-type]
    old = build_group([{"id": 1, "k": "a"}, {"id": 2, "k": "b"}, {"id": 3, "k": "c"}], group)
    new = build_group([{"id": 1, "k": "a"}, {"id": 2, "k": "a"}, {"id": 3, "k": "c"}], group)
    assert group_ripple(old, new) == {1, 2}
    assert group_ripple(new, new) == set()


def test_people_ripple_finds_merged_members_identities_and_new_platform_members():
    old = People(
        survivor_of={1: 1, 2: 2},
        identities={1: (("PHONE", "+861"),), 2: (), NEW_MEMBER_BASE + 50: (("MEITUAN_USER", "u"),)},
        new_member_anchor={50: NEW_MEMBER_BASE + 50},
    )
    new = People(
        survivor_of={1: 1, 2: 1},  # member 2 merged into 1
        identities={1: (("PHONE", "+861"), ("WX_OPENID", "o")), NEW_MEMBER_BASE + 60: ()},
        new_member_anchor={60: NEW_MEMBER_BASE + 60},
    )
    members, anchors, moved = people_ripple(old, new)
    assert members == {1, 2}
    assert moved == {2}
    assert anchors == {50, 60}
    assert people_ripple(new, new) == (set(), set(), set())


def test_people_touched_names_every_member_of_the_persons_changes_belong_to():
    people = People(
        survivor_of={1: 1, 2: 1, 3: 3, 4: 4},  # 2 merged into 1
        user_member={(1, "u"): 4, (1, "v"): NEW_MEMBER_BASE + 60},
        new_member_anchor={60: NEW_MEMBER_BASE + 60},
    )
    assert people_touched(people, {2}, set()) == ({1, 2}, set(), {2})
    assert people_touched(people, set(), {(1, "u"), (1, "v")}) == ({4}, {60}, set())
    assert people_touched(people, {9}, {(2, "unknown")}) == ({9}, set(), set())  # gone member


# --------------------------------------------------------------------------- re-keying


def test_rekey_moves_owned_rows_to_the_center_id_and_keeps_legacy_id():
    orders = all_mappings()["orders"]
    mapped = {
        "orders": [{"id": 7, "legacy_id": 7, "order_no": "X"}],
        "order_items": [{"order_id": 7, "line_no": 1}, {"order_id": 7, "line_no": 2}],
    }
    out = rekey(orders, mapped, 7, 10**12 + 3)
    assert out["orders"] == [{"id": 10**12 + 3, "legacy_id": 7, "order_no": "X"}]
    assert {r["order_id"] for r in out["order_items"]} == {10**12 + 3}
    assert mapped["orders"][0]["id"] == 7  # pure


# --------------------------------------------------------------------------- scope


def _route(name, group, stage, percent=None):
    return parse_route(
        {"name": name, "path": f"/{name}", "group": group, "salt": "s", "stage": stage,
         **({"percent": percent} if percent is not None else {})}
    )  # fmt: skip


def test_scope_replays_the_proxys_sticky_decision_per_store_key():
    store_a, store_b = StoreKeys(1, "SH0001"), StoreKeys(2, "SH0002")
    percent = (bucket("store_code", "s", "SH0001") + bucket("store_code", "s", "SH0002")) / 2
    inside = store_a if bucket("store_code", "s", "SH0001") < percent else store_b
    outside = store_b if inside is store_a else store_a
    scope = Scope([_route("pos", "store_code", "canary", percent)])
    assert scope.on_platform(inside) and not scope.on_platform(outside)
    assert not Scope([_route("pos", "store_code", "shadow")]).on_platform(inside)
    assert Scope([_route("mp", "store_id", "platform")]).on_platform(outside)
    assert not Scope([_route("p", "product", "platform")]).on_platform(inside)  # not store-keyed
    assert not Scope([]).on_platform(inside)


def test_store_code_is_read_out_of_order_numbers():
    assert store_code_in("3251201SH001200042") == "SH0012"
    assert store_code_in("DUP123") is None and store_code_in(None) is None


# --------------------------------------------------------------------------- lag


def test_mapping_lag_is_the_oldest_pending_change_or_deferred_key():
    backlog = {
        "t_order": Backlog(3, 2.5),
        "t_order_item": Backlog(1, 4.0),
        "t_store": Backlog(9, 60),
    }
    orders = forward_tables(all_mappings()["orders"])
    assert mapping_lag(backlog, orders, None) == 4.0
    assert mapping_lag(backlog, orders, 10.0) == 10.0
    assert mapping_lag({}, orders, None) == 0.0
    assert total_backlog(backlog) == Backlog(13, 60)
    assert total_backlog({}) == Backlog(0, None)


# --------------------------------------------------------------------------- loop


class FakeSyncer:
    direction = "forward"

    def __init__(self, batches):
        self.batches = list(batches)
        self.steps = 0

    def step(self):
        self.steps += 1
        size = self.batches.pop(0) if self.batches else 0
        out = BatchOutcome(changes=size, last_id=self.steps, full=size >= 10)
        out.applied["m"] += size
        return out

    def backlog(self):
        return Backlog(0, None)

    def close(self):
        pass


def test_once_stops_at_the_first_short_batch():
    syncer = FakeSyncer([10, 10, 3, 10])
    report = run(syncer)
    assert syncer.steps == 3 and report.changes == 23 and report.applied["m"] == 23


def test_follow_runs_until_stopped():
    stop = threading.Event()
    seen = []

    def on_batch(outcome):
        seen.append(outcome)
        if len(seen) == 4:
            stop.set()

    report = run(FakeSyncer([10, 2]), follow=True, poll=0.001, stop=stop, on_batch=on_batch)
    assert report.batches == 4 and report.changes == 12


def test_a_drained_batch_is_followed_by_what_is_left_of_the_poll_interval():
    assert pause_after(0.3, 1.0) == 0.7
    assert pause_after(2.5, 1.0) == 0.0  # a slow batch: the next one starts at once
    assert pause_after(0.0, 1.0) == 1.0


class RecordingStop(threading.Event):
    def __init__(self, after: int):
        super().__init__()
        self.waits: list[float] = []
        self.after = after

    def wait(self, timeout=None):
        self.waits.append(timeout)
        if len(self.waits) >= self.after:
            self.set()
        return self.is_set()


class SlowSyncer(FakeSyncer):
    def step(self):
        time.sleep(0.02)  # a batch that takes a while: the pause is shortened by it
        return super().step()


def test_follow_waits_less_than_the_poll_after_a_batch_that_took_time():
    stop = RecordingStop(after=3)
    run(SlowSyncer([2, 2, 2]), follow=True, poll=5.0, stop=stop)
    assert len(stop.waits) == 3 and all(0.0 <= w <= 5.0 - 0.02 for w in stop.waits)
    stop = RecordingStop(after=2)
    run(SlowSyncer([2, 2]), follow=True, poll=0.01, stop=stop)
    assert stop.waits == [0.0, 0.0]
