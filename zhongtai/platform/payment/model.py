"""支付中心 payment center: the pure model (no SQLAlchemy, no FastAPI).

A ``Payment`` is one attempt to collect an order's money through one channel, identified by
the ``out_trade_no`` we gave the channel; the channel's ``transaction_id`` arrives with its
notify. A ``Refund`` gives money back, for an order paid here or — for takeout orders paid on
the platform — as a record of the channel's own refund (``channel_refund_id``).

**Notify rules** (WeChat resends notifies until it gets SUCCESS, and may race itself):

1. a notify for a payment that already succeeded changes nothing and is acknowledged
   (``ALREADY_PAID``; ``transaction_mismatch`` flags a different transaction id, which needs a
   human: the customer may have paid twice);
2. otherwise the amount must equal the payment's amount, or the notify is refused and nothing
   changes;
3. a successful notify makes the payment SUCCEEDED even after it was FAILED or CLOSED — money
   that arrived is always recorded; after CLOSED the outcome is ``LATE_PAID`` so the
   application layer knows to refund it;
4. a failure notify moves PENDING to FAILED and is otherwise a no-op.

A payment's ``updated_at`` is when it came to its status. For a success that is the channel's
paid time (never before the payment was created), not when its notify was applied: the paid
time is the one legacy records (``t_payment.time_end``; it has no update time), so a payment
taken here and one taken on legacy carry the same row, and it is the time an operator
reconciles against the channel's bill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from zhongtai.platform.errors import Conflict, InvalidInput

OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_*|-]{1,32}$")  # WeChat Pay's out_trade_no alphabet
ORDER_NO = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
RAW_NOTIFY_MAX = 8000


class PayChannel(StrEnum):
    WX_JSAPI = "WX_JSAPI"
    ALIPAY = "ALIPAY"
    BALANCE = "BALANCE"  # stored-value card
    COUPON = "COUPON"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CLOSED = "CLOSED"  # the order was cancelled before any money arrived


class NotifyOutcome(StrEnum):
    PAID = "PAID"  # this notify made the payment succeed
    LATE_PAID = "LATE_PAID"  # succeeded after it was closed: the money must go back
    ALREADY_PAID = "ALREADY_PAID"  # a resend; nothing changed
    FAILURE_RECORDED = "FAILURE_RECORDED"
    IGNORED = "IGNORED"  # a failure notify for a payment that is no longer pending


def fen(name: str, value: object) -> int:
    """``value`` as a positive integer of fen, or InvalidInput naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(
            f"{name} must be a positive integer number of fen, got {value!r}",
            code="INVALID_AMOUNT",
        )
    return value


def check_key(name: str, value: object, pattern: re.Pattern[str] = ORDER_NO) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(
            f"{name} {value!r} must be 1..32 letters, digits, '-' or '_'",
            code="INVALID_KEY",
            details={"field": name},
        )
    return value


def parse_channel(value: str) -> PayChannel:
    try:
        return PayChannel(value)
    except ValueError:
        raise InvalidInput(
            f"unknown pay channel {value!r}",
            code="UNKNOWN_PAY_CHANNEL",
            hint=f"use one of {', '.join(PayChannel)}",
        ) from None


@dataclass(frozen=True)
class Notify:
    """A channel's payment result, already parsed and verified by the application layer."""

    out_trade_no: str
    success: bool
    amount: int  # fen, as the channel reports it (WeChat total_fee)
    transaction_id: str | None = None
    paid_at: datetime | None = None  # UTC
    raw: str | None = None  # the notify body as received, for audits


@dataclass(frozen=True)
class NotifyResult:
    outcome: NotifyOutcome
    changed: bool
    transaction_mismatch: bool = False


class AmountMismatch(Conflict):
    """A notify reports a different amount than the payment expects; nothing changed."""

    default_code = "AMOUNT_MISMATCH"


@dataclass(eq=False)
class Payment:
    id: int
    out_trade_no: str
    order_no: str
    channel: PayChannel
    amount: int  # fen
    created_at: datetime
    updated_at: datetime
    status: PaymentStatus = PaymentStatus.PENDING
    transaction_id: str | None = None
    paid_at: datetime | None = None
    raw_notify: str | None = None
    legacy_id: int | None = None
    version: int = 0
    deleted_at: datetime | None = None

    def __post_init__(self) -> None:
        check_key("out_trade_no", self.out_trade_no, OUT_TRADE_NO)
        check_key("order_no", self.order_no)
        fen("amount", self.amount)
        self.channel = parse_channel(self.channel)

    def apply_notify(self, notify: Notify, now: datetime) -> NotifyResult:
        """Apply a channel notify under the rules in the module docstring."""
        if notify.out_trade_no != self.out_trade_no:
            raise InvalidInput(
                f"notify for {notify.out_trade_no!r} applied to payment {self.out_trade_no!r}"
            )
        if self.status is PaymentStatus.SUCCEEDED:
            mismatch = bool(notify.transaction_id) and notify.transaction_id != self.transaction_id
            return NotifyResult(NotifyOutcome.ALREADY_PAID, False, mismatch)
        if notify.amount != self.amount:
            raise AmountMismatch(
                f"notify for {self.out_trade_no} reports {notify.amount} fen, "
                f"the payment is {self.amount} fen; nothing changed",
                hint="check the channel account; a notify must report the full amount",
                details={"expected": self.amount, "reported": notify.amount},
            )
        if not notify.success:
            if self.status is not PaymentStatus.PENDING:
                return NotifyResult(NotifyOutcome.IGNORED, False)
            self._set(PaymentStatus.FAILED, now, notify.raw)
            return NotifyResult(NotifyOutcome.FAILURE_RECORDED, True)
        if not (notify.transaction_id or "").strip():
            raise InvalidInput(
                f"a successful notify for {self.out_trade_no} needs the channel's transaction_id",
                code="MISSING_TRANSACTION_ID",
            )
        late = self.status is PaymentStatus.CLOSED
        self.transaction_id = notify.transaction_id
        self.paid_at = (notify.paid_at or now).astimezone(UTC)
        self._set(PaymentStatus.SUCCEEDED, max(self.paid_at, self.created_at), notify.raw)
        return NotifyResult(NotifyOutcome.LATE_PAID if late else NotifyOutcome.PAID, True)

    def close(self, now: datetime) -> None:
        """Stop waiting for money (the order was cancelled); a paid payment needs a refund."""
        if self.status is PaymentStatus.SUCCEEDED:
            raise Conflict(
                f"payment {self.out_trade_no} has succeeded and cannot be closed",
                code="PAYMENT_SUCCEEDED",
                hint="refund it instead",
            )
        if self.status is not PaymentStatus.CLOSED:
            self._set(PaymentStatus.CLOSED, now, None)

    def _set(self, status: PaymentStatus, now: datetime, raw: str | None) -> None:
        self.status, self.updated_at = status, now
        if raw is not None:
            self.raw_notify = raw[:RAW_NOTIFY_MAX]
