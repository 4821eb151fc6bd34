"""The catalogue of named, pure column transforms legacy → center, with their inverses.

Mappings (``zhongtai.migrate.mappings``) are built from these; backfill, sync, reverse sync and
comparison all go through the same functions, so there is one rule per fact. Every transform
raises :class:`TransformError` (a ``ValueError``) naming the bad value; a mapping turns that into
a quarantine record, never a silent drop. Time and phone transforms live in
:mod:`zhongtai.migrate.times` and :mod:`zhongtai.migrate.phones` and are re-exported here.

Money rule (yuan → fen): the float is read as the decimal it prints as (its shortest repr,
so ``0.1 + 0.2`` reads as ``0.30000000000000004``), rounded to 2 decimals **half away from
zero** (absorbing float drift: → ``0.30``), then multiplied by 100 exactly. The result never
differs from ``100 × yuan`` by more than :data:`FEN_TOLERANCE` (half a fen). The inverse
``fen_to_yuan`` is ``fen / 100`` and round-trips exactly: ``yuan_to_fen(fen_to_yuan(n)) == n``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from zhongtai.legacy.status import OrderStatus, OrderType
from zhongtai.migrate.phones import Phone, format_phone, normalize_phone, phone_to_legacy
from zhongtai.migrate.times import (
    TransformError,
    as_utc,
    local_to_utc,
    parse_birthday,
    unix_to_utc,
    utc_to_local,
    utc_to_unix,
    utc_to_wechat,
    wechat_to_utc,
)

__all__ = [
    "FEN_TOLERANCE",
    "Phone",
    "TransformError",
    "as_utc",
    "business_hours_from_legacy",
    "business_hours_to_legacy",
    "channel_code",
    "channel_name",
    "clean_code",
    "deleted_at_from",
    "deleted_flag",
    "fen_to_yuan",
    "fix_geo",
    "format_phone",
    "legacy_order_status",
    "local_to_utc",
    "normalize_phone",
    "order_status",
    "parse_birthday",
    "payment_status",
    "payment_status_to_legacy",
    "phone_to_legacy",
    "refund_status",
    "refund_status_to_legacy",
    "store_status",
    "store_status_to_legacy",
    "unix_to_utc",
    "utc_to_local",
    "utc_to_unix",
    "utc_to_wechat",
    "wechat_to_utc",
    "yuan_to_fen",
]

FEN_TOLERANCE = 0.5  # |yuan_to_fen(y) - 100*y| <= FEN_TOLERANCE (+ float epsilon)
_CENT = Decimal("0.01")


def yuan_to_fen(yuan: float | Decimal | int | str | None) -> int | None:
    """Yuan (float, DECIMAL or text) → integer fen; None stays None. See the module rule."""
    if yuan is None:
        return None
    if isinstance(yuan, float):
        if yuan != yuan or yuan in (float("inf"), float("-inf")):
            raise TransformError(f"money {yuan!r} is not a number")
        scaled = yuan * 100
        nearest = round(scaled)
        # Fast path: far from a half-fen tie, every rounding rule agrees with round().
        if abs(scaled - nearest) < 0.49:
            return int(nearest)
        exact = Decimal(repr(yuan))
    elif isinstance(yuan, Decimal):
        exact = yuan
    elif isinstance(yuan, bool):
        raise TransformError(f"money {yuan!r} is a boolean, not an amount")
    elif isinstance(yuan, int):
        return yuan * 100
    else:
        try:
            exact = Decimal(str(yuan).strip())
        except InvalidOperation:
            raise TransformError(f"money {yuan!r} is not a number of yuan") from None
    if not exact.is_finite():
        raise TransformError(f"money {yuan!r} is not a number")
    return int(exact.quantize(_CENT, rounding=ROUND_HALF_UP) * 100)


def fen_to_yuan(fen: int | None) -> float | None:
    """Inverse of :func:`yuan_to_fen` for the legacy's float yuan columns."""
    return None if fen is None else fen / 100


# ----------------------------------------------------------------------------- channels

CHANNEL_NAMES = {1: "MEITUAN", 2: "ELEME", 3: "MINI_PROGRAM", 4: "APP", 5: "BAIDU"}
_CHANNEL_CODES = {name: code for code, name in CHANNEL_NAMES.items()}


def channel_name(code: int | None) -> str:
    """Legacy ``t_order.channel`` int → the centers' channel string (5 = retired Baidu)."""
    try:
        return CHANNEL_NAMES[int(code)]  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        raise TransformError(
            f"channel {code!r} is not a known legacy channel (1 MT, 2 ELE, 3 mini, 4 app, 5 baidu)"
        ) from None


def channel_code(name: str) -> int:
    """Inverse of :func:`channel_name`."""
    try:
        return _CHANNEL_CODES[name]
    except KeyError:
        raise TransformError(f"channel {name!r} has no legacy code") from None


def clean_code(text: str | None) -> str | None:
    """An external code with full-width characters and stray spaces removed; blank → None."""
    if text is None:
        return None
    cleaned = "".join(unicodedata.normalize("NFKC", str(text)).split())
    return cleaned or None


# ----------------------------------------------------------------------------- statuses

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
    delivery orders and ``READY`` otherwise; -1 is ``PAID`` with sub-status ``EXCEPTION``.
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

    An open refund shows as 7, a successful one as 8, as the legacy app writes them.
    """
    try:
        legacy_refund = _LEGACY_BY_REFUND[refund]
        status = _LEGACY_BY_MAIN[main]
    except KeyError:
        raise TransformError(f"order status ({main!r}, {refund!r}) has no legacy code") from None
    if refund in ("APPLIED", "ARBITRATING"):
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


# ----------------------------------------------------------------------------- soft deletes

# When a legacy row says "deleted" but not when, the moment is unknowable; this fixed value
# keeps backfill deterministic (a re-run or resume writes the same row) and is easy to spot.
UNKNOWN_DELETION = datetime(1970, 1, 1, tzinfo=UTC)


def deleted_at_from(*flags: object, at: datetime | None = None) -> datetime | None:
    """Every legacy soft-delete convention → one ``deleted_at``.

    ``flags`` are the row's markers, each already reduced to a truth value or int: ``is_deleted``,
    ``del_flag``, or ``status in (-1, 99)``. Any true flag means deleted, at ``at`` (the row's
    update/create time) or :data:`UNKNOWN_DELETION` when the row has no time.
    """
    if any(bool(f) for f in flags):
        return at or UNKNOWN_DELETION
    return None


def deleted_flag(deleted_at: datetime | None) -> int:
    """Inverse for the ``is_deleted`` / ``del_flag`` columns."""
    return 0 if deleted_at is None else 1


# ----------------------------------------------------------------------------- shapes


def business_hours_from_legacy(text: str | None) -> list[dict[str, str]]:
    """``"10:00-14:00,17:00-22:00"`` → ``[{"open": "10:00", "close": "14:00"}, ...]``."""
    if text is None or not str(text).strip():
        return []
    spans = []
    for part in unicodedata.normalize("NFKC", str(text)).replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        bits = [b.strip() for b in part.replace("~", "-").split("-")]
        if len(bits) != 2 or not all(_is_clock(b) for b in bits):
            raise TransformError(f"business hours {text!r}: {part!r} is not HH:MM-HH:MM")
        spans.append({"open": _pad(bits[0]), "close": _pad(bits[1])})
    return spans


def _is_clock(text: str) -> bool:
    h, _, m = text.partition(":")
    return h.isdigit() and m.isdigit() and int(h) <= 24 and int(m) < 60 and len(m) == 2


def _pad(text: str) -> str:
    h, _, m = text.partition(":")
    return f"{int(h):02d}:{m}"


def business_hours_to_legacy(spans: list[Mapping[str, str]] | str | None) -> str | None:
    """Inverse of :func:`business_hours_from_legacy` (accepts the JSON text too)."""
    if isinstance(spans, str):
        spans = json.loads(spans)
    if not spans:
        return None
    return ",".join(f"{s['open']}-{s['close']}" for s in spans)


def fix_geo(lng: float | None, lat: float | None) -> tuple[float | None, float | None, bool]:
    """(lng, lat) with swapped pairs put right: China spans lng 73..136 and lat 3..54."""
    if lng is None or lat is None:
        return lng, lat, False
    if not 73 <= lng <= 136 and 73 <= lat <= 136 and 3 <= lng <= 54:
        return lat, lng, True
    return lng, lat, False
