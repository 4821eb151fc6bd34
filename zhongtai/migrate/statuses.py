"""Legacy status ints ↔ the centers' string enums (pure); re-exported by ``transforms``.

Order: ``t_order.status`` + ``refund_status`` → the order center's main status, refund track
and sub-status (``zhongtai.platform.order.status``); payment, refund and store statuses → the
payment and store centers' enums. Each has its inverse for reverse sync.
"""

from __future__ import annotations

from zhongtai.legacy.status import OrderStatus, OrderType
from zhongtai.migrate.times import TransformError
from zhongtai.platform.order.status import OPEN_REFUNDS

_MAIN_BY_LEGACY = {
    OrderStatus.PENDING_PAYMENT: "PENDING_PAYMENT",
    OrderStatus.NEW: "PAID",
    OrderStatus.ACCEPTED: "ACCEPTED",
    OrderStatus.MAKING: "PREPARING",
    OrderStatus.COMPLETED: "COMPLETED",
    OrderStatus.CANCELLED: "CANCELLED",
}
_REFUND_BY_LEGACY = {
    0: "NONE",
    1: "APPLIED",
    2: "REJECTED",
    3: "ARBITRATING",
    4: "FAILED",
    5: "SUCCEEDED",
}
_LEGACY_BY_REFUND = {name: code for code, name in _REFUND_BY_LEGACY.items()}
EXCEPTION_SUB_STATUS = "EXCEPTION"  # legacy -1: the POS rejected the order
# A store or channel moved the order on while its refund was open (legacy 7 → 1..6): legacy
# then shows the new status with ``refund_status`` still 1 (or 3); the center keeps the
# refund open on its track and marks the main status's move with this sub-status.
REFUND_SET_ASIDE = "REFUND_SET_ASIDE"


def _main(status: int, order_type: int) -> str:
    if status == OrderStatus.READY:
        return "DELIVERING" if order_type == OrderType.DELIVERY else "READY"
    if status == OrderStatus.EXCEPTION:
        return "PAID"  # still waiting for a store decision (EXCEPTION → NEW or CANCELLED)
    try:
        return _MAIN_BY_LEGACY[OrderStatus(status)]
    except (KeyError, ValueError):
        raise TransformError(f"order status {status!r} has no main status") from None


def order_status(
    status: int,
    refund_status: int = 0,
    order_type: int = OrderType.DELIVERY,
    before_refund: int | None = None,
) -> tuple[str, str, str | None]:
    """Legacy (status, refund_status) → (main_status, refund_status, sub_status).

    Legacy 7 (退款中) and 8 (已退款) overwrite the lifecycle; the center keeps refunds on their
    own track, so the main status is the one before the refund started (``before_refund``, read
    from the status log), or ``PAID`` when the log does not say. 4 is ``DELIVERING`` for
    delivery orders and ``READY`` otherwise; -1 is ``PAID`` with sub-status ``EXCEPTION``. A
    lifecycle status with a refund still open is that status with ``REFUND_SET_ASIDE``.
    """
    try:
        refund = _REFUND_BY_LEGACY[int(refund_status or 0)]
    except (KeyError, ValueError):
        raise TransformError(f"refund status {refund_status!r} is not 0..5") from None
    sub = None
    if status in (OrderStatus.REFUNDING, OrderStatus.REFUNDED):
        refund = "SUCCEEDED" if status == OrderStatus.REFUNDED else refund
        if status == OrderStatus.REFUNDING and refund in ("NONE", "SUCCEEDED"):
            refund = "APPLIED"  # inconsistent legacy pair: status says refunding
        prior = before_refund
        if prior is None or prior in (OrderStatus.REFUNDING, OrderStatus.REFUNDED):
            prior = OrderStatus.NEW
        main = _main(prior, order_type)
    else:
        main = _main(status, order_type)
        if status == OrderStatus.EXCEPTION:
            sub = EXCEPTION_SUB_STATUS
        elif refund in OPEN_REFUNDS:
            sub = REFUND_SET_ASIDE
    return main, refund, sub


_LEGACY_BY_MAIN = {
    "CREATED": 0,
    "PENDING_PAYMENT": 0,
    "PAID": 1,
    "ACCEPTED": 2,
    "PREPARING": 3,
    "READY": 4,
    "DELIVERING": 4,
    "COMPLETED": 5,
    "CANCELLED": 6,
}


def legacy_order_status(main: str, refund: str, sub_status: str | None = None) -> tuple[int, int]:
    """Inverse of :func:`order_status`: (main, refund, sub) → legacy (status, refund_status).

    An open refund shows as 7 (unless the order was moved on with it set aside), a successful
    one as 8, as the legacy app writes them.
    """
    try:
        legacy_refund = _LEGACY_BY_REFUND[refund]
        status = _LEGACY_BY_MAIN[main]
    except KeyError:
        raise TransformError(f"order status ({main!r}, {refund!r}) has no legacy code") from None
    if refund in OPEN_REFUNDS:
        if sub_status != REFUND_SET_ASIDE:
            status = OrderStatus.REFUNDING
    elif refund == "SUCCEEDED" and main != "CANCELLED":
        status = OrderStatus.REFUNDED
    elif main == "PAID" and sub_status == EXCEPTION_SUB_STATUS:
        status = OrderStatus.EXCEPTION
    return int(status), legacy_refund


def refund_status(code: int) -> str:
    """``t_refund.status`` / ``t_order.refund_status`` int → the center's RefundStatus."""
    try:
        return _REFUND_BY_LEGACY[int(code)]
    except (KeyError, TypeError, ValueError):
        raise TransformError(f"refund status {code!r} is not 0..5") from None


def refund_status_to_legacy(name: str) -> int:
    try:
        return _LEGACY_BY_REFUND[name]
    except KeyError:
        raise TransformError(f"refund status {name!r} has no legacy code") from None


_PAYMENT = {0: "PENDING", 1: "SUCCEEDED", 2: "FAILED", 3: "CLOSED"}
_LEGACY_PAYMENT = {name: code for code, name in _PAYMENT.items()}


def payment_status(code: int) -> str:
    """``t_payment.status`` (0 待支付, 1 成功, 2 失败, 3 关闭) → payment center status."""
    try:
        return _PAYMENT[int(code)]
    except (KeyError, TypeError, ValueError):
        raise TransformError(f"payment status {code!r} is not 0..3") from None


def payment_status_to_legacy(name: str) -> int:
    try:
        return _LEGACY_PAYMENT[name]
    except KeyError:
        raise TransformError(f"payment status {name!r} has no legacy code") from None


_STORE = {0: "CLOSED", 1: "OPEN", 2: "PREPARING"}
_LEGACY_STORE = {name: code for code, name in _STORE.items()}


def store_status(code: int) -> tuple[str, bool]:
    """``t_store.status`` → (status, deleted). -1 (and 99) mean deleted; the status is CLOSED."""
    if code in (-1, 99):
        return "CLOSED", True
    try:
        return _STORE[int(code)], False
    except (KeyError, TypeError, ValueError):
        raise TransformError(
            f"store status {code!r} is not 0 closed, 1 open, 2 preparing or -1 deleted"
        ) from None


def store_status_to_legacy(name: str) -> int:
    """Inverse of :func:`store_status` for live stores (deletion goes to ``is_deleted``)."""
    try:
        return _LEGACY_STORE[name]
    except KeyError:
        raise TransformError(f"store status {name!r} has no legacy code") from None
