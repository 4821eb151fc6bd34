"""Recording exchanges with legacy and with the platform, and comparing them.

An :class:`Exchange` is what a client saw: HTTP status, content type and the body's bytes.
Two runs of the same scenario are equal when every exchange is byte-identical, except the
**declared differences** below, which are blanked on both sides before comparing. The list is
short on purpose and each entry says why it cannot be equal.

One difference is rewritten rather than blanked, wherever it appears (JSON, messages, XML):
the numbers of orders placed during the run. Legacy numbers a store's day from serial 00001,
the order center from 50001 (``zhongtai.legacy.order_no.PLATFORM_SERIALS``), so the two can
never give one number twice; the platform's serial is compared moved back by 50000.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

SHADOW = {"X-Zhongtai-Shadow": "dry-run"}

PLATFORM_NUMBER = re.compile(rb"(\d{7}[A-Z]{2}\d{4})5(\d{4})")  # a PLATFORM_SERIALS number

# (step label pattern, JSON path pattern, why). Paths: dot-separated keys, "*" for any list
# index or key. Every other byte of every exchange must be equal.
DECLARED: tuple[tuple[str, str, str], ...] = (
    (
        r"^mp\.(place|detail|member_orders)",
        r"^data(\.items\.\*)?\.order_time$",
        "the moment a mini-program order was placed: each side placed it at its own time",
    ),
    (
        r"^pos\.pull",
        r"^data\.orders\.\*\.create_time$",
        "unix time of that moment, as the POS sees it (only for mini-program orders)",
    ),
    (
        r"^admin\.(orders|search)",
        r"^data\.items\.\*\.order_time$",
        "the same placing moment in the admin search",
    ),
    (
        r"^admin\.upsert|^mp\.menu_after_upsert",
        r"^data\.(product_id|categories\.\*\.products\.\*\.(product_id|skus\.\*\.sku_id))$",
        "ids generated for a product created during the run: legacy autoincrement, the "
        "platform's application ids start at 10^12 (zhongtai.platform.ids)",
    ),
    (
        r"^ops\.healthz$",
        r"^(layout|centers)$",
        "the platform's health answer also names its layout and center URLs",
    ),
)


@dataclass
class Exchange:
    label: str
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    """One side (legacy or platform) as a scenario drives it; records every exchange."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=30, headers=self.headers)

    def call(self, label: str, method: str, path: str, **kwargs: Any) -> Exchange:
        response = self.http.request(method, path, **kwargs)
        exchange = Exchange(
            label,
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
        )
        self.exchanges.append(exchange)
        return exchange

    def close(self) -> None:
        self.http.close()


def _blank(value: Any, path: str, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: "<declared>" if pattern.match(f"{path}{k}") else _blank(v, f"{path}{k}.", pattern)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            "<declared>" if pattern.match(f"{path}*") else _blank(v, f"{path}*.", pattern)
            for v in value
        ]
    return value


def normalized(exchange: Exchange) -> tuple[int, str, Any]:
    """The exchange with its declared differences blanked (bytes when nothing is declared)."""
    patterns = [re.compile(p) for label, p, _ in DECLARED if re.match(label, exchange.label)]
    body = PLATFORM_NUMBER.sub(rb"\g<1>0\g<2>", exchange.body)
    if not patterns or "json" not in exchange.content_type:
        return exchange.status, exchange.content_type, body
    value = json.loads(body)
    for pattern in patterns:
        value = _blank(value, "", pattern)
    return exchange.status, exchange.content_type, value


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path or '.'} keys {list(a)} vs {list(b)}"
        for key in a:
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return (
        f"{path or '.'}: {json.dumps(a, ensure_ascii=False)[:300]} vs "
        + json.dumps(b, ensure_ascii=False)[:300]
    )


def explain(a: Exchange, b: Exchange) -> str:
    """Where two exchanges differ: status, type, or the first differing JSON path."""
    if (a.status, a.content_type) != (b.status, b.content_type):
        return (
            f"HTTP {a.status} {a.content_type} vs {b.status} {b.content_type}: "
            f"{a.body[:300]!r} vs {b.body[:300]!r}"
        )
    left, right = normalized(a)[2], normalized(b)[2]
    try:
        if isinstance(left, bytes):
            left, right = json.loads(left), json.loads(right)
    except ValueError:
        return f"{a.body[:300]!r} vs {b.body[:300]!r}"
    return _first_difference(left, right)


def differences(left: list[Exchange], right: list[Exchange]) -> list[str]:
    """Human-readable differences between two recordings of the same scenario."""
    out = []
    if [e.label for e in left] != [e.label for e in right]:
        out.append(f"the runs diverged: {[e.label for e in left]} vs {[e.label for e in right]}")
    for a, b in zip(left, right, strict=False):
        if normalized(a) != normalized(b):
            out.append(f"{a.label} (legacy vs platform): {explain(a, b)}")
    return out
