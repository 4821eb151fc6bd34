"""The payment center's SQL repositories and services on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.platform.platform_support import settings_for
from zhongtai.db import create_engine
from zhongtai.platform.errors import Conflict
from zhongtai.platform.migrations import upgrade_center
from zhongtai.platform.payment import service
from zhongtai.platform.payment.model import AmountMismatch, Notify, NotifyOutcome, PaymentStatus
from zhongtai.platform.payment.refunds import RefundStatus
from zhongtai.platform.payment.uow import SqlPaymentUnitOfWork

NOW = datetime(2025, 12, 1, 4, 0, 0, 654321, tzinfo=UTC)
ORDER = "3251201SH001200001"


@pytest.fixture
def engine(engine_name, make_db, tmp_path):
    url = make_db(engine_name, prefix="zt_payment")
    upgrade_center(settings_for({"payment": url}, tmp_path), "payment")
    eng = create_engine(url)
    yield eng
    eng.dispose()


def new_uow(engine) -> SqlPaymentUnitOfWork:
    return SqlPaymentUnitOfWork(engine, clock=lambda: NOW)


def notify(amount=4600, txn="4200001") -> Notify:
    return Notify("WX1", True, amount, txn, paid_at=NOW - timedelta(seconds=5), raw="<xml/>")


def test_payment_lifecycle_round_trips(engine):
    created = service.create_payment(
        new_uow(engine), out_trade_no="WX1", order_no=ORDER, channel="WX_JSAPI", amount=4600
    )
    assert service.get_payment(new_uow(engine), "WX1").created_at == NOW
    with pytest.raises(AmountMismatch):
        service.apply_notify(new_uow(engine), notify(amount=46))
    result, payment = service.apply_notify(new_uow(engine), notify())
    assert result.outcome is NotifyOutcome.PAID
    stored = service.get_payment(new_uow(engine), "WX1")
    assert (stored.status, stored.transaction_id, stored.version) == (
        PaymentStatus.SUCCEEDED,
        "4200001",
        1,
    )
    assert stored.paid_at == NOW - timedelta(seconds=5) and stored.raw_notify == "<xml/>"
    assert stored.id == created.entity.id
    assert [p.out_trade_no for p in service.list_payments(new_uow(engine), ORDER)] == ["WX1"]


def test_concurrent_resent_notifies_pay_once(engine):
    service.create_payment(
        new_uow(engine), out_trade_no="WX1", order_no=ORDER, channel="WX_JSAPI", amount=4600
    )
    with ThreadPoolExecutor(6) as pool:
        results = list(
            pool.map(lambda _: service.apply_notify(new_uow(engine), notify()), range(6))
        )
    outcomes = sorted(str(r.outcome) for r, _ in results)
    assert outcomes == ["ALREADY_PAID"] * 5 + ["PAID"]
    assert service.get_payment(new_uow(engine), "WX1").version == 1


def test_refunds_are_capped_by_what_was_collected(engine):
    service.create_payment(
        new_uow(engine), out_trade_no="WX1", order_no=ORDER, channel="WX_JSAPI", amount=4600
    )
    service.apply_notify(new_uow(engine), notify())
    r1 = service.create_refund(
        new_uow(engine), refund_no="R1", order_no=ORDER, amount=4000, source="USER", reason="冷了"
    )
    with pytest.raises(Conflict, match="refund at most 600 fen"):
        service.create_refund(
            new_uow(engine), refund_no="R2", order_no=ORDER, amount=601, source="USER"
        )
    service.change_refund_status(new_uow(engine), "R1", RefundStatus.REJECTED)
    r2 = service.create_refund(
        new_uow(engine),
        refund_no="R2",
        order_no=ORDER,
        amount=4600,
        source="MERCHANT",
        status=RefundStatus.SUCCEEDED,
    )
    assert r2.entity.kind == "FULL" and r2.entity.payment_id == r1.entity.payment_id
    stored = service.get_refund(new_uow(engine), "R1")
    assert (stored.status, stored.reason, stored.finished_at) == ("REJECTED", "冷了", NOW)


def test_racing_identical_refund_requests_record_one(engine):
    def create(_):
        return service.create_refund(
            new_uow(engine),
            refund_no="MT9",
            order_no="1251201SH001200009",
            amount=500,
            source="PLATFORM",
            paid_amount=4100,
        )

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(create, range(6)))
    assert sum(not o.duplicate for o in outcomes) == 1
    assert len(service.list_refunds(new_uow(engine), "1251201SH001200009")) == 1
