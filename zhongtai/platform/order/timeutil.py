"""Timestamps the order center stores: timezone-aware, in UTC (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from zhongtai.platform.errors import InvalidInput


def utc(moment: datetime) -> datetime:
    """``moment`` converted to UTC; InvalidInput for a naive datetime (its zone is unknown)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"timestamp {moment.isoformat()} has no time zone",
            code="NAIVE_TIMESTAMP",
            hint="send it with an offset (e.g. 2025-12-01T12:00:00+08:00) or in UTC (…Z)",
        )
    return moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)
