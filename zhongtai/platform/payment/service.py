"""Payment center services: plain functions on a unit of work (HTTP and tests alike).

Every create is idempotent on its natural key (``out_trade_no``, ``refund_no``): the same
request again returns the stored entity with ``duplicate=True``, a different request under the
same key is a Conflict. Two identical requests racing each other are settled by the database's
unique keys; the loser is answered as the duplicate of the winner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.ids import IdAllocator
from zhongtai.platform.payment.model import (
    OUT_TRADE_NO,
    Notify,
    NotifyResult,
    Payment,
    PaymentStatus,
    check_key,
    fen,
    parse_channel,
)
from zhongtai.platform.payment.refunds import (
    INITIAL,
    Refund,
    RefundKind,
    RefundSource,
    RefundStatus,
    check_refundable,
    kind_for,
)
from zhongtai.platform.payment.repository import DuplicateKey, PaymentRepository, RefundRepository

T = TypeVar("T")


class PaymentUnitOfWork(Protocol):
    payments: PaymentRepository
    refunds: RefundRepository
    ids: IdAllocator

    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> None: ...
    def commit(self) -> None: ...
    def now(self) -> Any: ...


@dataclass
class Created:
    entity: Any
    duplicate: bool = False


def _retry_on_race(action: Callable[[], T]) -> T:
    try:
        return action()
    except DuplicateKey:
        return action()


def _payment_not_found(out_trade_no: str) -> NotFound:
    return NotFound(
        f"no payment with out_trade_no {out_trade_no!r}",
        code="PAYMENT_NOT_FOUND",
        hint="the payment must be created (POST /payments) before its notify arrives",
    )


def create_payment(
    uow: PaymentUnitOfWork,
    *,
    out_trade_no: str,
    order_no: str,
    channel: str,
    amount: int,
    legacy_id: int | None = None,
) -> Created:
    """Open a payment the customer is about to make; one order is paid at most once."""
    pay_channel = parse_channel(channel)
    fen("amount", amount)

    def attempt() -> Created:
        with uow:
            now = uow.now()
            existing = uow.payments.get(out_trade_no)
            if existing is not None:
                if (existing.order_no, existing.amount, existing.channel) == (
                    order_no,
                    amount,
                    pay_channel,
                ):
                    return Created(existing, duplicate=True)
                raise Conflict(
                    f"out_trade_no {out_trade_no!r} already belongs to order "
                    f"{existing.order_no} ({existing.amount} fen via {existing.channel})",
                    code="PAYMENT_EXISTS",
                    hint="use a new out_trade_no for a different payment",
                )
            paid = [
                p for p in uow.payments.for_order(order_no) if p.status is PaymentStatus.SUCCEEDED
            ]
            if paid:
                raise Conflict(
                    f"order {order_no} is already paid ({paid[0].out_trade_no})",
                    code="ORDER_ALREADY_PAID",
                    details={"out_trade_no": paid[0].out_trade_no},
                )
            payment = Payment(
                id=legacy_id if legacy_id is not None else uow.ids.next_id("payment"),
                out_trade_no=out_trade_no,
                order_no=order_no,
                channel=pay_channel,
                amount=amount,
                created_at=now,
                updated_at=now,
                legacy_id=legacy_id,
            )
            uow.payments.add(payment)
            uow.commit()
            return Created(payment)

    return _retry_on_race(attempt)


def apply_notify(uow: PaymentUnitOfWork, notify: Notify) -> tuple[NotifyResult, Payment]:
    """Apply a channel's payment notify; resends change nothing (see ``model.py``)."""
    check_key("out_trade_no", notify.out_trade_no, OUT_TRADE_NO)

    def attempt() -> tuple[NotifyResult, Payment]:
        with uow:
            payment = uow.payments.get(notify.out_trade_no, for_update=True)
            if payment is None or payment.deleted_at is not None:
                raise _payment_not_found(notify.out_trade_no)
            result = payment.apply_notify(notify, uow.now())
            if result.changed:
                if notify.success:
                    other = uow.payments.by_transaction(notify.transaction_id)
                    if other is not None and other.id != payment.id:
                        raise Conflict(
                            f"transaction {notify.transaction_id} already paid "
                            f"{other.out_trade_no}",
                            code="TRANSACTION_REUSED",
                            hint="check the channel account; nothing was changed",
                        )
                uow.payments.save(payment)
                uow.commit()
            return result, payment

    return _retry_on_race(attempt)


def close_payment(uow: PaymentUnitOfWork, out_trade_no: str) -> Payment:
    """Stop waiting for a payment (its order was cancelled before paying)."""
    with uow:
        payment = uow.payments.get(out_trade_no, for_update=True)
        if payment is None or payment.deleted_at is not None:
            raise _payment_not_found(out_trade_no)
        before = payment.status
        payment.close(uow.now())
        if payment.status is not before:
            uow.payments.save(payment)
            uow.commit()
        return payment


def get_payment(uow: PaymentUnitOfWork, out_trade_no: str) -> Payment:
    with uow:
        payment = uow.payments.get(out_trade_no)
        if payment is None or payment.deleted_at is not None:
            raise _payment_not_found(out_trade_no)
        return payment


def list_payments(uow: PaymentUnitOfWork, order_no: str) -> list[Payment]:
    with uow:
        return [p for p in uow.payments.for_order(order_no) if p.deleted_at is None]


def create_refund(
    uow: PaymentUnitOfWork,
    *,
    refund_no: str,
    order_no: str,
    amount: int,
    source: str,
    status: RefundStatus = RefundStatus.APPLIED,
    paid_amount: int | None = None,
    kind: RefundKind | None = None,
    reason_code: int | None = None,
    reason: str | None = None,
    channel_refund_id: str | None = None,
    legacy_id: int | None = None,
) -> Created:
    """Record a refund (APPLIED, or SUCCEEDED when the channel already settled it).

    The ceiling is what this center collected for the order; for an order paid on a takeout
    platform (no payment here) the caller states ``paid_amount``.
    """
    fen("amount", amount)
    if status not in INITIAL:
        raise InvalidInput(
            f"a refund starts as {' or '.join(sorted(INITIAL))}, not {status}",
            code="INVALID_STATUS",
        )
    try:
        refund_source = RefundSource(source)
    except ValueError:
        raise InvalidInput(
            f"unknown refund source {source!r}", hint=f"use one of {', '.join(RefundSource)}"
        ) from None

    def attempt() -> Created:
        with uow:
            now = uow.now()
            existing = uow.refunds.get(refund_no)
            if existing is not None:
                if existing.same_request(order_no, amount):
                    return Created(existing, duplicate=True)
                raise Conflict(
                    f"refund_no {refund_no!r} already records {existing.amount} fen for order "
                    f"{existing.order_no}",
                    code="REFUND_EXISTS",
                    hint="use a new refund_no for a different refund",
                )
            # Locking the order's payments serialises concurrent refunds of one order.
            paid = [
                p
                for p in uow.payments.for_order(order_no, for_update=True)
                if p.status is PaymentStatus.SUCCEEDED
            ]
            limit = sum(p.amount for p in paid) if paid else paid_amount
            if limit is None:
                raise InvalidInput(
                    f"order {order_no} has no payment in this center",
                    code="PAID_AMOUNT_REQUIRED",
                    hint="state paid_amount (fen) for an order paid on the channel",
                )
            check_refundable(amount, limit, uow.refunds.for_order(order_no))
            refund = Refund(
                id=legacy_id if legacy_id is not None else uow.ids.next_id("refund"),
                refund_no=refund_no,
                order_no=order_no,
                amount=amount,
                kind=kind or kind_for(amount, limit),
                source=refund_source,
                created_at=now,
                updated_at=now,
                status=status,
                payment_id=paid[0].id if paid else None,
                reason_code=reason_code,
                reason=reason,
                channel_refund_id=channel_refund_id,
                finished_at=now if status is RefundStatus.SUCCEEDED else None,
                legacy_id=legacy_id,
            )
            uow.refunds.add(refund)
            uow.commit()
            return Created(refund)

    return _retry_on_race(attempt)


def change_refund_status(
    uow: PaymentUnitOfWork, refund_no: str, target: RefundStatus, *, reason: str | None = None
) -> Created:
    """Move a refund; moving to its current status is answered as a duplicate."""
    with uow:
        refund = uow.refunds.get(refund_no, for_update=True)
        if refund is None or refund.deleted_at is not None:
            raise _refund_not_found(refund_no)
        if not refund.move(target, uow.now(), reason=reason):
            return Created(refund, duplicate=True)
        uow.refunds.save(refund)
        uow.commit()
        return Created(refund)


def _refund_not_found(refund_no: str) -> NotFound:
    return NotFound(f"no refund with refund_no {refund_no!r}", code="REFUND_NOT_FOUND")


def get_refund(uow: PaymentUnitOfWork, refund_no: str) -> Refund:
    with uow:
        refund = uow.refunds.get(refund_no)
        if refund is None or refund.deleted_at is not None:
            raise _refund_not_found(refund_no)
        return refund


def list_refunds(uow: PaymentUnitOfWork, order_no: str) -> list[Refund]:
    with uow:
        return [r for r in uow.refunds.for_order(order_no) if r.deleted_at is None]
