"""Legacy time values → timezone-aware UTC, and back (pure).

The legacy database keeps time four ways (domain.md §2.4 item 3): local Asia/Shanghai
``VARCHAR(19)`` strings with ``'0000-00-00 00:00:00'`` for none, naive ``DATETIME`` columns in
local time, unix seconds or milliseconds with ``0`` meaning "as soon as possible", and WeChat's
``yyyyMMddHHmmss`` (GMT+8). The centers keep aware UTC datetimes. Every function here is pure and
raises :class:`TransformError` (a ``ValueError``) with the bad value in the message.

Rules:

* zero dates, empty strings and ``None`` → ``None``; the inverse of ``None`` is ``None``;
* naive datetimes coming from a legacy ``DATETIME`` column are local (Shanghai) time;
* unix values above ``10**11`` are milliseconds (``10**11`` seconds is the year 5138);
  ``0`` → ``None`` (ASAP), and the inverse writes ``0`` back for ``None``;
* sub-second precision does not exist in the legacy formats: the inverses truncate to seconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from zhongtai.legacy.clock import SHANGHAI

__all__ = [
    "TransformError",
    "local_to_utc",
    "utc_to_local",
    "unix_to_utc",
    "utc_to_unix",
    "wechat_to_utc",
    "utc_to_wechat",
    "parse_birthday",
    "as_utc",
]

_OFFSET = timedelta(hours=8)  # Shanghai has had no DST since 1991
_MS_THRESHOLD = 10**11


class TransformError(ValueError):
    """A legacy value cannot be transformed; the message names the value and the rule."""


# Parsed local-time strings: a backfill meets each one several times (an order's create,
# order and log times), and datetimes are immutable. Cleared when full to bound memory.
_PARSED: dict[str, datetime | None] = {}
_PARSED_MAX = 1 << 16


def local_to_utc(value: str | datetime | None) -> datetime | None:
    """A legacy local time (string or naive DATETIME) as an aware UTC datetime, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        found = _PARSED.get(value, _PARSED)
        if found is not _PARSED:
            return found
        moment = _parse_local(value)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[value] = moment
        return moment
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return _wall_as_utc(value) - _OFFSET
        return value.astimezone(UTC)
    return _parse_local(value)


def _wall_as_utc(moment: datetime) -> datetime:
    """``moment.replace(tzinfo=UTC)`` at a third of the cost (``replace`` parses keywords)."""
    return datetime(
        moment.year, moment.month, moment.day,
        moment.hour, moment.minute, moment.second, moment.microsecond, UTC,
    )  # fmt: skip


def _parse_local(value) -> datetime | None:
    if len(value) == 19 and value[0] != "0":  # 'yyyy-MM-dd HH:mm:ss', nothing to clean
        try:
            # The local wall time read as UTC, then shifted: several times cheaper than
            # parsing naive and replacing the zone. A value with its own offset fails the
            # parse and takes the general path.
            return datetime.fromisoformat(value + "+00:00") - _OFFSET
        except ValueError:
            pass  # the general path below says what is wrong
    text = value.strip()
    if not text or text.startswith("0000-00-00") or text == "0":
        return None
    try:
        # C-speed parser; also takes a bare date (midnight) and an explicit offset.
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError as exc:
            raise TransformError(f"time {value!r} is not 'yyyy-MM-dd HH:mm:ss': {exc}") from None
    if moment.tzinfo is None:
        # Building in UTC and shifting is exact (fixed offset) and cheaper than astimezone.
        return moment.replace(tzinfo=UTC) - _OFFSET
    return moment.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values (what SQLite returns) are taken as UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_to_local(moment: datetime | None) -> str | None:
    """Inverse of :func:`local_to_utc`: 'yyyy-MM-dd HH:mm:ss' in Shanghai time, or None."""
    if moment is None:
        return None
    local = as_utc(moment) + _OFFSET
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )


def unix_to_utc(value: int | float | str | None) -> datetime | None:
    """Unix seconds or milliseconds as UTC; 0/None/'' → None ("as soon as possible")."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TransformError(f"unix time {value!r} is not an integer") from None
    if number == 0:
        return None
    if number < 0:
        raise TransformError(f"unix time {value!r} is negative")
    if number >= _MS_THRESHOLD:
        number //= 1000
    return datetime.fromtimestamp(number, UTC)


def utc_to_unix(moment: datetime | None) -> int:
    """Inverse of :func:`unix_to_utc` in seconds; None → 0 (the legacy's "ASAP")."""
    if moment is None:
        return 0
    return int(as_utc(moment).timestamp())


def wechat_to_utc(text: str | None) -> datetime | None:
    """WeChat Pay ``time_end`` (yyyyMMddHHmmss, GMT+8) as UTC; empty → None."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if len(text) != 14 or not text.isdigit():
        raise TransformError(f"time_end {text!r} is not yyyyMMddHHmmss")
    parts = (int(text[0:4]), int(text[4:6]), int(text[6:8]))
    clock = (int(text[8:10]), int(text[10:12]), int(text[12:14]))
    try:
        return datetime(*parts, *clock, tzinfo=UTC) - _OFFSET
    except ValueError as exc:
        raise TransformError(f"time_end {text!r} is not a real date: {exc}") from None


def utc_to_wechat(moment: datetime | None) -> str | None:
    """Inverse of :func:`wechat_to_utc`."""
    if moment is None:
        return None
    return as_utc(moment).astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")


_BIRTHDAY_SEPARATORS = str.maketrans({"/": "-", ".": "-", "年": "-", "月": "-", "日": ""})


def parse_birthday(text: str | None) -> date | None:
    """A member birthday in any of the legacy formats as a date; unknown/zero → None.

    Accepted: ``1990-01-02``, ``1990/1/2``, ``1990.01.02``, ``19900102``, ``1990年1月2日``,
    ``1990-01-02 00:00:00``. A birthday without a year (``01-02``) carries no date → None.
    """
    if text is None:
        return None
    raw = str(text).strip()
    if not raw or raw.startswith("0000") or raw == "0":
        return None
    cleaned = raw.translate(_BIRTHDAY_SEPARATORS).split(" ")[0].strip("-")
    try:
        if cleaned.isdigit() and len(cleaned) == 8:
            return date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
        parts = cleaned.split("-")
        if len(parts) == 2:  # month-day only
            return None
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError as exc:
        raise TransformError(f"birthday {raw!r} is not a real date: {exc}") from None
    raise TransformError(f"birthday {raw!r} is in no known format (e.g. 1990-01-02)")
