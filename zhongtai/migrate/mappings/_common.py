"""Small helpers the reference mappings share (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from zhongtai.legacy.schema import t_store
from zhongtai.migrate.mapping import Lookup
from zhongtai.migrate.transforms import (
    TransformError,
    local_to_utc,
    normalize_phone,
    utc_to_local,
)

# A NOT NULL timestamp whose legacy value is missing: fixed (deterministic) and easy to spot.
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def first_time(*values: Any) -> datetime:
    """The first legacy time that parses to a moment, else :data:`UNKNOWN_TIME`."""
    for value in values:
        moment = local_to_utc(value)
        if moment is not None:
            return moment
    return UNKNOWN_TIME


def local_or_none(moment: datetime | None) -> str | None:
    """Inverse of a NOT NULL time that may hold :data:`UNKNOWN_TIME`."""
    return None if moment is None or moment == UNKNOWN_TIME else utc_to_local(moment)


def phone_columns(raw: str | None, prefix: str = "phone") -> dict[str, Any]:
    """``{prefix}_e164, {prefix}_ext, {prefix}_masked`` for a legacy phone field."""
    phone = normalize_phone(raw)
    return {
        f"{prefix}_e164": phone.e164 if phone else None,
        f"{prefix}_ext": phone.extension if phone else None,
        f"{prefix}_masked": bool(phone and phone.masked),
    }


def text(value: Any, limit: int | None = None) -> str | None:
    """Stripped text, None when blank; longer than ``limit`` is a TransformError."""
    if value is None:
        return None
    cleaned = str(value).strip()
    if not cleaned:
        return None
    if limit is not None and len(cleaned) > limit:
        raise TransformError(f"text {cleaned[:40]!r}… is longer than {limit} characters")
    return cleaned


def pick(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {n: row[n] for n in names}


def _store_brands(conn: sa.Connection) -> dict[int, int]:
    return dict(conn.execute(sa.select(t_store.c.id, t_store.c.brand_id)).all())


# store id → brand id: the legacy's tenant, which the centers call tenant_id.
STORE_BRANDS = Lookup("store_brands", _store_brands)
