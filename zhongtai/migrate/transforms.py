"""The catalogue of named, pure column transforms legacy → center, with their inverses.

Mappings (``zhongtai.migrate.mappings``) are built from these; backfill, sync, reverse sync and
comparison all go through the same functions, so there is one rule per fact. Time, phone and
status transforms live in :mod:`zhongtai.migrate.times`, :mod:`~zhongtai.migrate.phones` and
:mod:`~zhongtai.migrate.statuses` and are re-exported here. Every transform raises
:class:`TransformError` (a ``ValueError``) naming the bad value; a mapping turns that into a
quarantine record, never a silent drop.

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

from zhongtai.migrate.phones import Phone, format_phone, normalize_phone, phone_to_legacy
from zhongtai.migrate.statuses import (
    EXCEPTION_SUB_STATUS,
    legacy_order_status,
    order_status,
    payment_status,
    payment_status_to_legacy,
    refund_status,
    refund_status_to_legacy,
    store_status,
    store_status_to_legacy,
)
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
    "EXCEPTION_SUB_STATUS",
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
    if type(yuan) is float:
        # Prices and fees repeat across a table: the answer of each float is kept (NaN never
        # equals itself, so it always takes the checks below).
        fen = _FEN.get(yuan)
        if fen is None:
            fen = _float_to_fen(yuan)
            if len(_FEN) >= _FEN_MAX:
                _FEN.clear()
            _FEN[yuan] = fen
        return fen
    if isinstance(yuan, float):
        return _float_to_fen(yuan)
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


_FEN: dict[float, int] = {}
_FEN_MAX = 1 << 16


def _float_to_fen(yuan: float) -> int:
    if yuan != yuan or yuan in (float("inf"), float("-inf")):
        raise TransformError(f"money {yuan!r} is not a number")
    scaled = yuan * 100
    nearest = round(scaled)
    # Fast path: far from a half-fen tie, every rounding rule agrees with round().
    if abs(scaled - nearest) < 0.49:
        return int(nearest)
    return int(Decimal(repr(yuan)).quantize(_CENT, rounding=ROUND_HALF_UP) * 100)


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
    if type(text) is str and text.isascii() and text.isprintable() and " " not in text:
        return text or None  # the common case: nothing to normalise, no whitespace to drop
    cleaned = "".join(unicodedata.normalize("NFKC", str(text)).split())
    return cleaned or None


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
    for flag in flags:
        if flag:
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
