"""The client side of the channels' open API, for the compensation pull (补单).

``GET {channel_api}/{channel}/orders/unprocessed?shop=<shop id>&since=<cursor>`` answers
``{"orders": [...], "cursor": "..."}``. Whatever goes wrong there is a 50201 that names the
API (password masked) and what to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from zhongtai.config import mask_url
from zhongtai.legacy.envelope import CHANNEL_DOWN, LegacyError

CURSOR_MAX = 30  # kept as 'c:<cursor>' in t_pull_cursor.last_order_id, VARCHAR(32)


@dataclass(frozen=True)
class Batch:
    orders: list[dict[str, Any]]
    cursor: str | None


def _down(base: str, why: str) -> LegacyError:
    return LegacyError(
        CHANNEL_DOWN,
        f"the channel API at {mask_url(base)} {why}; check legacy.channel_api and that the "
        "channel API (`zhongtai serve channel`) runs",
    )


def read_batch(data: Any, base: str) -> Batch:
    """Check the shape of an answer (pure)."""
    if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
        raise _down(base, "answered without an 'orders' list")
    if not all(isinstance(order, dict) for order in data["orders"]):
        raise _down(base, "answered 'orders' that are not all JSON objects")
    cursor = data.get("cursor")
    if cursor is not None and (not isinstance(cursor, str | int) or isinstance(cursor, bool)):
        raise _down(base, f"answered a cursor that is not a string: {cursor!r}")
    cursor = None if cursor is None else str(cursor)
    if cursor is not None and len(cursor) > CURSOR_MAX:
        raise _down(base, f"answered a cursor longer than {CURSOR_MAX} characters")
    return Batch(data["orders"], cursor)


def fetch_unprocessed(
    http: httpx.Client, base: str, channel: str, shop: str, since: str | None
) -> Batch:
    """Ask the channel for the orders of ``shop`` it has not seen acknowledged since ``since``."""
    url = f"{base.rstrip('/')}/{channel}/orders/unprocessed"
    try:
        response = http.get(url, params={"shop": shop, "since": since or ""})
    except httpx.HTTPError as exc:
        raise _down(base, f"did not answer ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise _down(base, f"answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise _down(base, "did not answer JSON") from None
    return read_batch(data, base)
