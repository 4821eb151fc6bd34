"""The acknowledged-write log and the check that nothing acknowledged was lost (pure parts)."""

from __future__ import annotations

import json

import pytest

from zhongtai.errors import ZhongtaiError
from zhongtai.workload.acked import AckedLog, AckedWrite, load_acked
from zhongtai.workload.acked_check import OrderFacts, compare, expectations


def test_log_round_trip_and_run_filter(tmp_path):
    path = tmp_path / "traffic" / "acked.jsonl"
    with AckedLog(path, "r1") as log:
        log.write("meituan.new", status=1, channel=1, channel_order_id="3001", store_code="SH0001")
        log.write(
            "pos.ack", status=2, order_no="1251201SH000100001", expect={"pos_ticket_no": "T1"}
        )
    with AckedLog(path, "r2") as log:
        log.write("mp.order", status=0, order_no="3251201SH000100002", channel=3)
    every = load_acked(path)
    assert [w.kind for w in every] == ["meituan.new", "pos.ack", "mp.order"]
    assert [w.seq for w in every] == [1, 2, 1]
    assert every[0].identity == ("channel", 1, "3001")
    assert every[1].identity == ("order_no", "1251201SH000100001")
    assert every[1].expect == {"pos_ticket_no": "T1"} and every[1].ts.endswith("Z")
    assert [w.kind for w in load_acked(path, run="r2")] == ["mp.order"]


def test_lines_are_on_disk_before_the_log_is_closed(tmp_path):
    path = tmp_path / "acked.jsonl"
    with AckedLog(path, "r") as log:
        log.write("eleme.new", status=1, channel=2, channel_order_id="8001")
        assert len(path.read_text().splitlines()) == 1


def test_a_torn_last_line_is_ignored_but_a_corrupt_one_is_not(tmp_path):
    good = json.dumps({"kind": "eleme.new", "run": "r", "status": 1})
    path = tmp_path / "acked.jsonl"
    path.write_text(good + "\n" + good[:20])
    assert len(load_acked(path)) == 1
    path.write_text(good[:20] + "\n" + good + "\n")
    with pytest.raises(ZhongtaiError, match=":1 is not a JSON line"):
        load_acked(path)


def test_a_missing_log_says_what_to_do(tmp_path):
    with pytest.raises(ZhongtaiError) as info:
        load_acked(tmp_path / "nope.jsonl")
    assert "zhongtai traffic" in info.value.hint


def w(kind, status, seq, **kw) -> AckedWrite:
    return AckedWrite(kind=kind, run="r", seq=seq, status=status, **kw)


def test_expectations_follow_the_last_acknowledged_status_across_identities():
    records = [
        w("meituan.new", 1, 1, channel=1, channel_order_id="3001"),
        w("pos.pull", None, 2, channel=1, channel_order_id="3001", order_no="N1",
          expect={"pos_sync_min": 1}),
        w("pos.ack", 2, 3, channel=1, channel_order_id="3001", order_no="N1",
          expect={"pos_ticket_no": "T9", "pos_sync_min": 2}),
        w("pos.progress", 4, 4, order_no="N1", expect={"pickup_code": "1234"}),  # another run
        w("meituan.repush", None, 5, channel=1, channel_order_id="3001"),
        w("mp.order", 0, 6, order_no="N2", channel=3, expect={"out_trade_no": "WX2"}),
        w("mp.pay_notify", 1, 7, order_no="N2", channel=3,
          expect={"out_trade_no": "WX2", "payment_status": 1}),
        w("mp.refund", 8, 8, order_no="N2", channel=3, expect={"refund": True}),
    ]  # fmt: skip
    rows = {("channel", 1, "3001"): [10], ("order_no", "N1"): [10], ("order_no", "N2"): [11]}
    expected, problems = expectations(records, rows)
    assert problems == []
    assert expected[10].status == 4 and expected[10].ticket == "T9"
    assert expected[10].pickup == "1234" and expected[10].pos_sync_min == 2
    assert expected[11].status == 8 and expected[11].paid == {"WX2"} and expected[11].refund
    facts = {
        10: OrderFacts(status=4, pos_sync_status=2, pos_ticket_no="T9", pickup_code="1234"),
        11: OrderFacts(status=8, pos_sync_status=0, pos_ticket_no=None, pickup_code=None),
    }
    assert compare(expected, facts, {"WX2": 1}, {11}) == []


def test_compare_names_every_difference():
    records = [
        w("pos.ack", 2, 1, order_no="N1", expect={"pos_ticket_no": "T1", "pos_sync_min": 2}),
        w("mp.pay_notify", 1, 2, order_no="N2", expect={"out_trade_no": "WX", "payment_status": 1}),
        w("mp.refund", 8, 3, order_no="N3", expect={"refund": True}),
    ]
    rows = {("order_no", "N1"): [1], ("order_no", "N2"): [2], ("order_no", "N3"): [3]}
    expected, problems = expectations(records, rows)
    facts = {
        1: OrderFacts(status=1, pos_sync_status=1, pos_ticket_no=None, pickup_code=None),
        2: OrderFacts(
            status=1, pos_sync_status=0, pos_ticket_no=None, pickup_code=None, del_flag=1
        ),
    }
    found = compare(expected, facts, {"WX": 0}, set())
    text = "\n".join(found)
    assert "status is 1, acknowledged 2" in text
    assert "pos_sync_status is 1" in text and "POS ticket None" in text
    assert "marked deleted" in text and "payment WX has status 0" in text
    assert "row 3 vanished" in text


def test_missing_and_duplicated_orders_are_problems_reported_once():
    records = [
        w("meituan.new", 1, 1, channel=1, channel_order_id="A"),
        w("meituan.repush", None, 2, channel=1, channel_order_id="A"),
        w("eleme.new", 1, 3, channel=2, channel_order_id="B"),
    ]
    expected, problems = expectations(records, {("channel", 2, "B"): [5, 6]})
    assert expected == {}
    assert len(problems) == 2
    assert "is not in the database" in problems[0] and "has 2 order rows" in problems[1]
