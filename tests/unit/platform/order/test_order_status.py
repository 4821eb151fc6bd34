from datetime import UTC, datetime, timedelta

import pytest
from order_drafts import draft

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.model import InvalidOrder, OrderConflict, Track
from zhongtai.platform.order.money import MoneyError
from zhongtai.platform.order.placing import place_order
from zhongtai.platform.order.status import (
    MAIN_TRANSITIONS,
    IllegalTransition,
    MainStatus,
    RefundStatus,
    check_main,
    is_final,
    parse_main_status,
)

T0 = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
M, R = MainStatus, RefundStatus


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_full_lifecycle_is_allowed_and_recorded():
    order = place_order(draft(status=M.CREATED), now=T0)
    path = [M.PENDING_PAYMENT, M.PAID, M.ACCEPTED, M.PREPARING, M.READY, M.DELIVERING]
    for minute, target in enumerate([*path, M.COMPLETED], start=1):
        order.change_status(target, source="TEST", now=at(minute))
    assert order.main_status is M.COMPLETED and is_final(order.main_status)
    assert order.paid_at == at(2) and order.updated_at == at(7)
    assert [c.to_status for c in order.history] == [M.CREATED, *path, M.COMPLETED]
    thin = [e for e in order.events if e.kind == "STATUS_CHANGED"]
    assert len(thin) == 7 and set(thin[-1].payload) >= {"order_no", "from", "to", "sub_status"}
    assert "items" not in thin[-1].payload  # thin events carry no order body


def test_a_move_to_paid_records_the_pay_channels_time_and_the_step_when_it_was_made():
    order = place_order(draft(status=M.PENDING_PAYMENT), now=T0)
    order.change_status(M.PAID, source="MP", now=at(2), paid_at=at(1))
    assert (order.paid_at, order.history[-1].at, order.updated_at) == (at(1), at(2), at(2))


def test_completed_can_never_become_cancelled():
    order = place_order(draft(status=M.PAID), now=T0)
    order.change_status(M.ACCEPTED, source="POS", now=at(1))
    order.change_status(M.COMPLETED, source="POS", now=at(2))
    with pytest.raises(IllegalTransition, match="from COMPLETED to CANCELLED; allowed next: none"):
        order.change_status(M.CANCELLED, source="ADMIN", now=at(3))
    assert order.main_status is M.COMPLETED and len(order.history) == 3


def test_every_main_status_has_a_rule_and_only_two_are_final():
    assert set(MAIN_TRANSITIONS) == set(MainStatus)
    assert {s for s in MainStatus if is_final(s)} == {M.COMPLETED, M.CANCELLED}
    for status in MainStatus:
        if not is_final(status):
            assert M.CANCELLED in MAIN_TRANSITIONS[status]
        with pytest.raises(IllegalTransition):
            check_main(status, status)  # staying put is not a transition


def test_illegal_jumps_name_the_allowed_next_states():
    with pytest.raises(IllegalTransition) as info:
        check_main(M.PENDING_PAYMENT, M.ACCEPTED)
    assert info.value.allowed == ["CANCELLED", "PAID"]
    assert "allowed next: CANCELLED, PAID" in str(info.value)
    with pytest.raises(InvalidInput, match=r"unknown main status .DONE. \(use one of CREATED"):
        parse_main_status("DONE")


def test_sub_status_is_free_and_replaced_by_main_changes():
    order = place_order(draft(status=M.PAID), now=T0)
    order.change_status(M.ACCEPTED, source="POS", now=at(1), sub_status="TICKET_PRINTED")
    order.set_sub_status("RIDER_ASSIGNED", source="DELIVERY_APP", now=at(2))
    order.set_sub_status("RIDER_AT_STORE", source="DELIVERY_APP", now=at(3))
    assert order.sub_status == "RIDER_AT_STORE" and order.main_status is M.ACCEPTED
    order.change_status(M.DELIVERING, source="MEITUAN_PUSH", now=at(4))
    assert order.sub_status is None
    subs = [c for c in order.history if c.track is Track.SUB]
    assert [(c.from_status, c.to_status) for c in subs] == [
        ("TICKET_PRINTED", "RIDER_ASSIGNED"),
        ("RIDER_ASSIGNED", "RIDER_AT_STORE"),
    ]
    with pytest.raises(InvalidOrder, match="sub_status must be 1..32"):
        order.set_sub_status("  ", source="X", now=at(5))


def test_refunds_run_on_their_own_track():
    order = place_order(draft(status=M.PAID), now=T0)  # paid 4600
    order.change_status(M.ACCEPTED, source="POS", now=at(1))
    order.change_status(M.COMPLETED, source="POS", now=at(2))
    order.change_refund(R.APPLIED, source="MP", now=at(3), reason="cold")
    order.change_refund(R.SUCCEEDED, source="MP", now=at(4), amount=1000)
    assert order.main_status is M.COMPLETED  # a refund does not rewrite the lifecycle
    assert (order.refund_status, order.refunded_amount, order.refundable_amount) == (
        R.SUCCEEDED,
        1000,
        3600,
    )
    order.change_refund(R.APPLIED, source="MP", now=at(5))
    with pytest.raises(MoneyError, match="exceeds what is left to refund"):
        order.change_refund(R.SUCCEEDED, source="MP", now=at(6), amount=3601)
    order.change_refund(R.SUCCEEDED, source="MP", now=at(6), amount=3600)
    assert order.fully_refunded
    with pytest.raises(OrderConflict, match="already fully refunded"):
        order.change_refund(R.APPLIED, source="MP", now=at(7))
    kinds = [e.kind for e in order.events]
    assert kinds.count("REFUND_CHANGED") == 4


def test_an_open_refund_does_not_hold_the_main_status():
    order = place_order(draft(status=M.PAID), now=T0)
    order.change_refund(R.APPLIED, source="ELEME_PUSH", now=at(1))
    order.change_status(M.ACCEPTED, source="POS", now=at(2), sub_status="REFUND_SET_ASIDE")
    assert (order.main_status, order.refund_status) == (M.ACCEPTED, R.APPLIED)
    with pytest.raises(IllegalTransition):  # the main track's own rules still hold
        order.change_status(M.PAID, source="POS", now=at(3))
    order.change_refund(R.REJECTED, source="ELEME_PUSH", now=at(4))
    order.change_status(M.COMPLETED, source="POS", now=at(5))
    assert (order.main_status, order.refund_status) == (M.COMPLETED, R.REJECTED)


def test_a_revoked_application_goes_back_to_no_refund():
    order = place_order(draft(status=M.PAID), now=T0)
    order.change_refund(R.APPLIED, source="MEITUAN_PUSH", now=at(1))
    order.change_refund(R.NONE, source="MEITUAN_PUSH", now=at(2), reason="cancelRefund")
    assert order.refund_status is R.NONE and order.refunded_amount == 0


def test_a_fully_refunded_order_may_only_be_cancelled():
    order = place_order(draft(status=M.PAID), now=T0)
    order.change_status(M.ACCEPTED, source="POS", now=at(1))
    order.change_refund(R.SUCCEEDED, source="ADMIN", now=at(2), amount=4600)
    with pytest.raises(IllegalTransition, match="allowed next: CANCELLED"):
        order.change_status(M.PREPARING, source="POS", now=at(3))
    order.change_status(M.CANCELLED, source="ADMIN", now=at(3))


def test_unpaid_orders_have_nothing_to_refund_but_cancelled_paid_ones_do():
    unpaid = place_order(draft(), now=T0)
    with pytest.raises(OrderConflict, match="never paid"):
        unpaid.change_refund(R.APPLIED, source="MP", now=at(1))
    paid = place_order(draft(), now=T0)
    paid.change_status(M.PAID, source="PAY_NOTIFY", now=at(1))
    paid.change_status(M.CANCELLED, source="MP", now=at(2))
    paid.change_refund(R.SUCCEEDED, source="MP", now=at(3), amount=4600)
    assert paid.fully_refunded and paid.main_status is M.CANCELLED


def test_refund_success_needs_a_positive_amount():
    order = place_order(draft(status=M.PAID), now=T0)
    for bad in (None, 0, -5, 10.5):
        with pytest.raises(MoneyError, match="positive number of fen"):
            order.change_refund(R.SUCCEEDED, source="MP", now=at(1), amount=bad)
    assert order.refund_status is R.NONE and order.events[-1].kind == "ORDER_CREATED"


def test_deleted_orders_refuse_every_change():
    order = place_order(draft(status=M.PAID), now=T0)
    order.delete(at(1))
    with pytest.raises(OrderConflict, match="is deleted"):
        order.change_status(M.ACCEPTED, source="POS", now=at(2))


def test_history_text_is_bounded_before_it_reaches_the_database():
    order = place_order(draft(status=M.PAID), now=T0)
    with pytest.raises(InvalidOrder, match="source must be 1..32"):
        order.change_status(M.ACCEPTED, source="X" * 33, now=at(1))
    with pytest.raises(InvalidOrder, match="reason is longer than 255"):
        order.change_status(M.CANCELLED, source="ADMIN", now=at(1), reason="r" * 256)
    assert order.main_status is M.PAID and len(order.history) == 1
    with pytest.raises(InvalidOrder, match="source"):
        place_order(draft(source=""), now=T0)
