"""The order center's status history and legacy's status log map onto each other row for row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhongtai.migrate.mappings.order_inverse import ext_json, raw_ext
from zhongtai.migrate.mappings.order_parts import history_rows, pos_ref_row
from zhongtai.migrate.mappings.status_log import log_rows

PICKUP = 2


def _step(seq, track, old, new, source, *, reason=None, amount=None, minute=0, sub=None):
    return {"order_id": 7, "seq": seq, "track": track, "from_status": old, "to_status": new,
            "sub_status": sub, "source": source, "reason": reason, "amount": amount,
            "at": datetime(2026, 12, 1, 4, minute, 30, tzinfo=UTC)}  # fmt: skip


def _refund(amount: float, status: int = 5) -> dict:
    return {"amount": amount, "status": status}


def test_a_pos_cancel_with_its_refund_is_one_legacy_move_and_maps_back_to_both_steps():
    # As the platform records a paid mini-program order the POS cancels: the cancel, then the
    # refund-track step with the amount; legacy logs one move 1 → 6 and keeps the refund apart.
    center = [
        _step(1, "MAIN", None, "PENDING_PAYMENT", "MP"),
        _step(2, "MAIN", "PENDING_PAYMENT", "PAID", "MP", reason="WX notify", minute=1),
        _step(3, "MAIN", "PAID", "CANCELLED", "POS", reason="顾客要求取消", minute=2),
        _step(4, "REFUND", "NONE", "SUCCEEDED", "POS", reason="顾客要求取消", amount=3310,
              minute=2),
    ]  # fmt: skip
    log = log_rows(470, center, PICKUP)
    assert [(r["from_status"], r["to_status"], r["source"], r["remark"]) for r in log] == [
        (None, 0, "MP", None),
        (0, 1, "MP", "WX notify"),
        (1, 6, "POS", "顾客要求取消"),
    ]
    assert log[2]["create_time"] == "2026-12-01 12:02:30" and log[0]["order_id"] == 470
    back = history_rows(7, log, PICKUP, [_refund(33.1)])
    assert back == center


def test_channel_refunds_carry_their_amounts_and_a_reject_returns_to_the_status_before():
    center = [
        _step(1, "MAIN", None, "PAID", "MT_PUSH"),
        _step(2, "MAIN", "PAID", "ACCEPTED", "POS", minute=1),
        _step(3, "REFUND", "NONE", "APPLIED", "MT_PUSH", reason="商品与描述不符", minute=2),
        _step(4, "REFUND", "APPLIED", "REJECTED", "MT_PUSH", minute=3),
        _step(5, "MAIN", "ACCEPTED", "PREPARING", "POS", minute=4),
        _step(6, "REFUND", "NONE", "APPLIED", "MT_PUSH", minute=5),
        _step(7, "REFUND", "APPLIED", "SUCCEEDED", "MT_PUSH", amount=1250, minute=6),
    ]
    log = log_rows(9, center, 1)
    assert [(r["from_status"], r["to_status"]) for r in log] == [
        (None, 1), (1, 2), (2, 7), (7, 2), (2, 3), (3, 7), (7, 8)
    ]  # fmt: skip
    # A rejected refund (status 2) stays in t_refund but carries no amount forward.
    assert history_rows(7, log, 1, [_refund(3.0, status=2), _refund(12.5)]) == center


def test_a_refund_set_aside_is_logged_as_legacy_shows_it_and_maps_back():
    aside = "REFUND_SET_ASIDE"
    center = [
        _step(1, "MAIN", None, "PAID", "MT_PUSH"),
        _step(2, "MAIN", "PAID", "ACCEPTED", "POS", minute=1),
        _step(3, "REFUND", "NONE", "APPLIED", "MT_PUSH", minute=2),
        _step(4, "MAIN", "ACCEPTED", "PREPARING", "POS", minute=3, sub=aside),  # moved on
        _step(5, "MAIN", "PREPARING", "DELIVERING", "POS", minute=4, sub=aside),
        _step(6, "SUB", aside, None, "MT_PUSH", minute=5),  # under way again
        _step(7, "SUB", None, aside, "POS", minute=6, sub=aside),  # set aside in place
        _step(8, "MAIN", "DELIVERING", "COMPLETED", "POS", minute=7, sub=aside),
    ]
    log = log_rows(9, center, 1)
    assert [(r["from_status"], r["to_status"]) for r in log] == [
        (None, 1), (1, 2), (2, 7), (7, 3), (3, 4), (4, 7), (7, 7), (7, 5)
    ]  # fmt: skip
    assert history_rows(7, log, 1) == center
    # Legacy's own 7 → the status before the refund is the refund rejected, not set aside.
    rejected = history_rows(7, [*log[:6], {**log[6], "to_status": 4}], 1)
    assert [(r["track"], r["to_status"], r["sub_status"]) for r in rejected[-2:]] == [
        ("SUB", None, None), ("REFUND", "REJECTED", None)
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text", ['{"a":1,"b":"不要香菜"}', "%7B%22a%22%3A1%7D", "not json", '"quoted"', None]
)
def test_the_raw_payload_goes_back_to_ext_json_and_reads_as_before(text):
    raw = raw_ext(text)
    assert raw_ext(ext_json(raw)) == raw


def test_a_pos_handoff_never_pulled_dates_from_when_the_order_was_queued():
    created = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    row = {"pos_sync_status": 0, "pos_pull_time": None, "pos_ack_time": None,
           "pos_ticket_no": None, "pos_retry": 0, "pos_error": None}  # fmt: skip
    ref = pos_ref_row(7, row, created)
    assert (ref["state"], ref["attempts"], ref["updated_at"]) == ("PENDING", 0, created)
    pulled = pos_ref_row(7, {**row, "pos_sync_status": 1,
                             "pos_pull_time": "2026-12-01 12:05:00"}, created)  # fmt: skip
    assert pulled["updated_at"] == datetime(2026, 12, 1, 4, 5, tzinfo=UTC)
