from datetime import UTC, datetime, timedelta, timezone

import pytest

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.payment import service
from zhongtai.platform.payment.fakes import FakePaymentUnitOfWork
from zhongtai.platform.payment.model import AmountMismatch, Notify, NotifyOutcome, PaymentStatus
from zhongtai.platform.payment.refunds import RefundKind, RefundStatus

NOW = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def uow():
    return FakePaymentUnitOfWork(clock=lambda: NOW)


def open_payment(uow, out_trade_no="WX1", order_no="3251201SH001200001", amount=4600):
    return service.create_payment(
        uow, out_trade_no=out_trade_no, order_no=order_no, channel="WX_JSAPI", amount=amount
    )


def paid(amount=4600, txn="4200001", out_trade_no="WX1") -> Notify:
    return Notify(
        out_trade_no,
        True,
        amount,
        txn,
        paid_at=datetime(2025, 12, 1, 12, 1, tzinfo=SHANGHAI),
        raw="<xml>…</xml>",
    )


def test_creating_a_payment_is_idempotent_on_out_trade_no(uow):
    first = open_payment(uow)
    assert not first.duplicate and first.entity.id >= 10**12
    again = open_payment(uow)
    assert again.duplicate and again.entity.id == first.entity.id
    with pytest.raises(Conflict, match="already belongs to order") as info:
        open_payment(uow, amount=1)
    assert info.value.code == "PAYMENT_EXISTS"


def test_notify_pays_once_and_resends_are_acknowledged_without_change(uow):
    open_payment(uow)
    result, payment = service.apply_notify(uow, paid())
    assert result.outcome is NotifyOutcome.PAID and payment.status is PaymentStatus.SUCCEEDED
    assert payment.paid_at == datetime(2025, 12, 1, 4, 1, tzinfo=UTC)
    commits = uow.commits
    again, payment = service.apply_notify(uow, paid())
    assert again.outcome is NotifyOutcome.ALREADY_PAID and not again.changed
    assert uow.commits == commits and payment.version == 1


def test_a_wrong_amount_or_unknown_trade_changes_nothing(uow):
    open_payment(uow)
    with pytest.raises(AmountMismatch):
        service.apply_notify(uow, paid(amount=4599))
    assert service.get_payment(uow, "WX1").status is PaymentStatus.PENDING
    with pytest.raises(NotFound) as info:
        service.apply_notify(uow, paid(out_trade_no="WX404"))
    assert info.value.code == "PAYMENT_NOT_FOUND"


def test_one_transaction_cannot_pay_two_payments(uow):
    open_payment(uow)
    open_payment(uow, "WX2", "3251201SH001200002")
    service.apply_notify(uow, paid())
    with pytest.raises(Conflict, match="already paid WX1") as info:
        service.apply_notify(uow, paid(out_trade_no="WX2"))
    assert info.value.code == "TRANSACTION_REUSED"
    assert service.get_payment(uow, "WX2").status is PaymentStatus.PENDING


def test_an_order_is_paid_at_most_once(uow):
    open_payment(uow)
    service.apply_notify(uow, paid())
    with pytest.raises(Conflict, match="already paid"):
        open_payment(uow, out_trade_no="WX9")


def test_close_then_late_money_is_flagged(uow):
    open_payment(uow)
    assert service.close_payment(uow, "WX1").status is PaymentStatus.CLOSED
    result, _ = service.apply_notify(uow, paid())
    assert result.outcome is NotifyOutcome.LATE_PAID


def test_refunds_against_a_payment_are_capped_and_idempotent(uow):
    open_payment(uow)
    service.apply_notify(uow, paid())
    first = service.create_refund(
        uow, refund_no="R1", order_no="3251201SH001200001", amount=1000, source="USER"
    )
    refund = first.entity
    assert (refund.kind, refund.status, refund.payment_id) == (
        RefundKind.PARTIAL,
        RefundStatus.APPLIED,
        service.get_payment(uow, "WX1").id,
    )
    again = service.create_refund(
        uow, refund_no="R1", order_no="3251201SH001200001", amount=1000, source="USER"
    )
    assert again.duplicate
    with pytest.raises(Conflict, match="refund at most 3600 fen"):
        service.create_refund(
            uow, refund_no="R2", order_no="3251201SH001200001", amount=3601, source="USER"
        )
    done = service.change_refund_status(uow, "R1", RefundStatus.SUCCEEDED)
    assert not done.duplicate and done.entity.finished_at == NOW
    assert service.change_refund_status(uow, "R1", RefundStatus.SUCCEEDED).duplicate
    assert [r.refund_no for r in service.list_refunds(uow, "3251201SH001200001")] == ["R1"]


def test_channel_paid_orders_state_what_was_paid(uow):
    with pytest.raises(InvalidInput, match="no payment in this center"):
        service.create_refund(
            uow, refund_no="MT1", order_no="1251201SH001200001", amount=500, source="PLATFORM"
        )
    created = service.create_refund(
        uow,
        refund_no="MT1",
        order_no="1251201SH001200001",
        amount=4100,
        source="PLATFORM",
        status=RefundStatus.SUCCEEDED,
        paid_amount=4100,
        channel_refund_id="mt-refund-9",
        reason_code=2001,
    )
    assert created.entity.kind is RefundKind.FULL and created.entity.payment_id is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": 0}, "positive integer"),
        ({"source": "ROBOT"}, "unknown refund source"),
        ({"status": RefundStatus.REJECTED}, "a refund starts as"),
        ({"refund_no": "has space"}, "refund_no"),
    ],
)
def test_bad_refund_requests_are_refused(uow, kwargs, message):
    values = dict(refund_no="R1", order_no="O1", amount=100, source="USER", paid_amount=4600)
    values.update(kwargs)
    with pytest.raises(InvalidInput, match=message):
        service.create_refund(uow, **values)
    assert uow.db.get("refunds", {}) == {}


def test_dry_run_answers_with_the_real_id_and_keeps_nothing():
    uow = FakePaymentUnitOfWork(clock=lambda: NOW, dry_run=True)
    dry = open_payment(uow)
    assert uow.db["payments"] == {}
    uow.dry_run = False
    assert open_payment(uow).entity.id == dry.entity.id
