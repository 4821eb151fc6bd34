from datetime import UTC, datetime, timedelta

import pytest

from zhongtai.platform.errors import Conflict, InvalidInput
from zhongtai.platform.payment.model import (
    AmountMismatch,
    Notify,
    NotifyOutcome,
    Payment,
    PaymentStatus,
)
from zhongtai.platform.payment.refunds import (
    Refund,
    RefundKind,
    RefundSource,
    RefundStatus,
    RefundTransitionError,
    check_refundable,
    kind_for,
)

T0 = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)


def payment(**overrides) -> Payment:
    values = dict(
        id=1,
        out_trade_no="WX3251201SH001200001",
        order_no="3251201SH001200001",
        channel="WX_JSAPI",
        amount=4600,
        created_at=T0,
        updated_at=T0,
    )
    values.update(overrides)
    return Payment(**values)


def ok(amount=4600, txn="4200001", **kw) -> Notify:
    return Notify("WX3251201SH001200001", True, amount, txn, paid_at=T1, raw="<xml/>", **kw)


def test_a_successful_notify_pays_once_and_resends_change_nothing():
    p = payment()
    first = p.apply_notify(ok(), T1)
    assert (first.outcome, first.changed) == (NotifyOutcome.PAID, True)
    assert (p.status, p.transaction_id, p.paid_at, p.raw_notify) == (
        PaymentStatus.SUCCEEDED,
        "4200001",
        T1,
        "<xml/>",
    )
    again = p.apply_notify(ok(), T1 + timedelta(seconds=30))
    assert (again.outcome, again.changed, again.transaction_mismatch) == (
        NotifyOutcome.ALREADY_PAID,
        False,
        False,
    )
    assert p.updated_at == T1


def test_a_payment_was_last_updated_when_the_channel_says_the_money_arrived():
    p = payment()
    p.apply_notify(ok(), T1 + timedelta(seconds=5))  # the notify came 5 s after the money
    assert (p.paid_at, p.updated_at) == (T1, T1)
    early = payment()  # a channel clock behind ours: never before the payment was made
    before = T0 - timedelta(seconds=2)
    early.apply_notify(Notify(early.out_trade_no, True, 4600, "4200001", paid_at=before), T1)
    assert early.updated_at == T0


def test_a_resend_after_payment_is_acknowledged_even_with_odd_figures():
    p = payment()
    p.apply_notify(ok(), T1)
    odd = p.apply_notify(ok(amount=1, txn="4200999"), T1)
    assert odd.outcome is NotifyOutcome.ALREADY_PAID and odd.transaction_mismatch
    assert p.transaction_id == "4200001" and p.amount == 4600


def test_a_wrong_amount_is_refused_and_changes_nothing():
    p = payment()
    with pytest.raises(AmountMismatch, match="reports 4500 fen, the payment is 4600") as info:
        p.apply_notify(ok(amount=4500), T1)
    assert info.value.details == {"expected": 4600, "reported": 4500}
    assert p.status is PaymentStatus.PENDING and p.transaction_id is None


def test_failure_then_success_records_the_money():
    p = payment()
    failed = p.apply_notify(Notify(p.out_trade_no, False, 4600), T1)
    assert failed.outcome is NotifyOutcome.FAILURE_RECORDED and p.status is PaymentStatus.FAILED
    assert p.apply_notify(Notify(p.out_trade_no, False, 4600), T1).outcome is NotifyOutcome.IGNORED
    assert p.apply_notify(ok(), T1).outcome is NotifyOutcome.PAID


def test_money_arriving_after_close_is_recorded_as_late():
    p = payment()
    p.close(T1)
    assert p.status is PaymentStatus.CLOSED
    result = p.apply_notify(ok(), T1)
    assert result.outcome is NotifyOutcome.LATE_PAID and p.status is PaymentStatus.SUCCEEDED
    with pytest.raises(Conflict, match="cannot be closed"):
        p.close(T1)


def test_success_needs_a_transaction_id():
    with pytest.raises(InvalidInput, match="needs the channel's transaction_id"):
        payment().apply_notify(ok(txn=" "), T1)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": 0}, "amount must be a positive integer"),
        ({"amount": 46.0}, "amount must be a positive integer"),
        ({"out_trade_no": "x" * 33}, "out_trade_no"),
        ({"order_no": ""}, "order_no"),
        ({"channel": "PAYPAL"}, "PAYPAL"),
    ],
)
def test_bad_payments_are_refused(overrides, message):
    with pytest.raises(InvalidInput, match=message):
        payment(**overrides)


def refund(no="R1", amount=1000, status=RefundStatus.APPLIED) -> Refund:
    return Refund(
        id=1,
        refund_no=no,
        order_no="3251201SH001200001",
        amount=amount,
        kind=RefundKind.PARTIAL,
        source=RefundSource.USER,
        created_at=T0,
        updated_at=T0,
        status=status,
    )


def test_refund_lifecycle_and_final_states():
    r = refund()
    assert r.move(RefundStatus.ARBITRATING, T1)
    assert r.move(RefundStatus.SUCCEEDED, T1) and r.finished_at == T1
    assert not r.move(RefundStatus.SUCCEEDED, T1)  # repeat: no-op
    with pytest.raises(RefundTransitionError, match="allowed next: none"):
        r.move(RefundStatus.REJECTED, T1)
    failed = refund(status=RefundStatus.FAILED)
    failed.move(RefundStatus.APPLIED, T1)
    assert failed.status is RefundStatus.APPLIED


def test_refunds_never_exceed_what_was_paid():
    existing = [
        refund("R1", 1000, RefundStatus.SUCCEEDED),
        refund("R2", 600, RefundStatus.APPLIED),
        refund("R3", 2000, RefundStatus.REJECTED),  # rejected money is not taken
    ]
    check_refundable(3000, 4600, existing)
    with pytest.raises(Conflict, match="refund at most 3000 fen") as info:
        check_refundable(3001, 4600, existing)
    assert info.value.code == "REFUND_EXCEEDS_PAYMENT"
    assert kind_for(4600, 4600) is RefundKind.FULL and kind_for(1, 4600) is RefundKind.PARTIAL


def test_repeated_refund_requests_are_recognised():
    r = refund()
    assert r.same_request("3251201SH001200001", 1000)
    assert not r.same_request("3251201SH001200001", 999)
