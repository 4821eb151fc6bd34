"""The seeded dataset without a database: deterministic, shaped like rows the live app writes."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from seed_sample import SAMPLE, generate, seed_sample

from zhongtai.legacy import schema
from zhongtai.legacy.clock import local_str
from zhongtai.legacy.order_no import ORDER_NO, store_code_of
from zhongtai.legacy.status import can_transition
from zhongtai.workload.dataset import LegacyDataset
from zhongtai.workload.lifecycle import PUSH_LOG_COLUMNS, STATUS_LOG_COLUMNS
from zhongtai.workload.timeline import ANCHOR

SMALL = {"stores": 5, "members": 120, "orders": 700}


def test_same_arguments_give_the_same_rows_and_another_seed_does_not():
    first = generate(**SMALL, seed=11).tables
    assert generate(**SMALL, seed=11).tables == first
    other = generate(**SMALL, seed=12).tables
    assert other["t_order"] != first["t_order"]
    assert len(other["t_order"]) == len(first["t_order"]) == 700


def test_rows_name_exactly_the_columns_of_their_table():
    assert tuple(schema.t_order_status_log.columns.keys()) == STATUS_LOG_COLUMNS
    assert tuple(schema.t_push_log.columns.keys()) == PUSH_LOG_COLUMNS
    for chunk, _ in LegacyDataset(**SMALL, seed=1).chunks():
        for name, rows in chunk.items():
            columns = schema.metadata.tables[name].columns.keys()
            for row in rows:
                if isinstance(row, tuple):
                    assert len(row) == len(columns), name
                else:
                    assert list(row) == list(columns) or set(row) == set(columns), name


def test_row_counts_and_ids():
    sample = seed_sample()
    t = sample.tables
    assert len(t["t_order"]) == SAMPLE["orders"]
    assert len(t["t_member"]) == SAMPLE["members"]
    assert len(t["t_store"]) == SAMPLE["stores"]
    for name, rows in t.items():
        if "id" in schema.metadata.tables[name].c and rows:
            assert [r["id"] for r in rows] == list(range(1, len(rows) + 1)), name


def test_order_numbers_parse_back_to_their_store_channel_and_day():
    sample = seed_sample()
    stores = sample.by_id("t_store")
    for o in sample.tables["t_order"]:
        m = ORDER_NO.match(o["order_no"])
        assert m, o["order_no"]
        assert (
            store_code_of(o["order_no"]) == o["store_code"] == stores[o["store_id"]]["store_code"]
        )
        assert int(m["channel"]) == o["channel"]
        assert m["day"] == o["order_time"][2:10].replace("-", "")
        assert int(m["serial"]) == o["day_seq"]


def test_day_seq_counters_match_the_highest_serial_per_store_and_day():
    sample = seed_sample()
    serials: dict[tuple[int, str], list[int]] = defaultdict(list)
    for o in sample.tables["t_order"]:
        serials[(o["store_id"], "20" + o["order_no"][1:7])].append(o["day_seq"])
    counters = {(r["store_id"], r["biz_date"]): r["seq"] for r in sample.tables["t_day_seq"]}
    assert counters.keys() == serials.keys()
    for key, seen in serials.items():
        assert sorted(seen) == list(range(1, counters[key] + 1)), key


def test_payments_are_in_fen_and_match_the_order_total():
    sample = seed_sample()
    orders = sample.by_id("t_order")
    payments = sample.tables["t_payment"]
    own = [o for o in orders.values() if o["channel"] in (3, 4)]
    assert len(payments) == len(own) and {p["order_id"] for p in payments} == {o["id"] for o in own}
    for p in payments:
        order = orders[p["order_id"]]
        assert isinstance(p["total_fee"], int)
        assert p["total_fee"] == round(order["total_amount"] * 100)
        assert p["out_trade_no"] == "P" + order["order_no"]
        assert (p["status"] == 1) == (order["pay_status"] in (1, 2) or order["status"] == 5)
        if p["status"] == 1 and p["pay_channel"] != "BALANCE":
            assert p["transaction_id"] and p["out_trade_no"] in p["notify_raw"]
            if p["pay_channel"] == "WX_JSAPI":
                assert f"<total_fee>{p['total_fee']}</total_fee>" in p["notify_raw"]
            assert len(p["time_end"]) == 14


def test_status_logs_chain_through_legal_transitions_to_the_order_status():
    sample = seed_sample()
    logs: dict[int, list[dict]] = defaultdict(list)
    for log in sample.tables["t_order_status_log"]:
        logs[log["order_id"]].append(log)
    for o in sample.tables["t_order"]:
        chain = logs[o["id"]]
        assert chain[0]["from_status"] is None
        assert chain[0]["create_time"] == o["create_time"]
        for a, b in zip(chain, chain[1:], strict=False):
            assert a["to_status"] == b["from_status"]
            assert can_transition(b["from_status"], b["to_status"]), o["order_no"]
            assert a["create_time"] <= b["create_time"]
        assert chain[-1]["to_status"] == o["status"]


def test_pos_columns_follow_the_status():
    sample = seed_sample()
    combos = Counter()
    for o in sample.tables["t_order"]:
        combos[(o["status"], o["pos_sync_status"])] += 1
        if o["pos_sync_status"] == 2:
            assert o["pos_ticket_no"] and o["pos_ack_time"] not in (None, "0000-00-00 00:00:00")
        if o["status"] in (2, 3, 4, 5, 7, 8):
            assert o["pos_sync_status"] == 2
        if o["status"] == -1:
            assert o["pos_sync_status"] == 3 and o["pos_error"] and o["pos_retry"] == 3
    assert combos[(5, 2)] > 0.8 * SAMPLE["orders"]


def test_every_order_time_is_before_the_anchor_and_within_ninety_days():
    sample = seed_sample()
    anchor = local_str(ANCHOR)
    times = [o["order_time"] for o in sample.tables["t_order"]]
    assert max(times) < anchor and min(times) >= "2026-09-02 00:00:00"
    # Ids follow time, except re-push duplicates written a few seconds after their original.
    assert sum(a > b for a, b in zip(times, times[1:], strict=False)) <= len(times) // 100


def test_closed_and_deleted_stores_only_have_orders_from_before_they_stopped():
    sample = seed_sample()
    stores = sample.by_id("t_store")
    deleted = [s for s in stores.values() if s["status"] == -1]
    assert len(deleted) == 1 and deleted[0]["is_deleted"] == 1
    preparing = {s["id"] for s in stores.values() if s["status"] == 2}
    last = {}
    for o in sample.tables["t_order"]:
        assert o["store_id"] not in preparing
        last[o["store_id"]] = max(last.get(o["store_id"], ""), o["order_time"])
    assert last[deleted[0]["id"]] < "2026-11-01"


def test_own_orders_belong_to_members_and_platform_orders_do_not():
    sample = seed_sample()
    members = sample.by_id("t_member")
    for o in sample.tables["t_order"]:
        if o["channel"] in (3, 4):
            assert o["member_id"] in members and not members[o["member_id"]]["is_deleted"]
            assert o["channel_order_id"] is None
        else:
            assert o["member_id"] is None and o["channel_order_id"].isdigit()


@pytest.mark.parametrize("bad", [{"stores": 0}, {"members": -1}, {"orders": -5}])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="stores|members|orders"):
        LegacyDataset(**{**SMALL, "seed": 1, **bad})
