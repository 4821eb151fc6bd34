"""Operator-signed control headers (pure): honour them when signed, strip them otherwise.

Control headers change what the proxy or the platform does with a request, so a client must
never be able to set them: ``X-Zhongtai-Side`` forces the side (``legacy`` or ``platform``),
``X-Zhongtai-Shadow: dry-run`` asks the platform to roll a write back. The proxy honours them
only with ``X-Zhongtai-Signature``, an HMAC-SHA256 under the operator key over the method,
the path, ``X-Zhongtai-Timestamp`` (unix seconds, at most ``MAX_SKEW`` old) and the control
header values. Every other ``X-Zhongtai-*`` header a client sends is dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "x-zhongtai-"
SIDE = "X-Zhongtai-Side"
SHADOW = "X-Zhongtai-Shadow"
SIGNATURE = "X-Zhongtai-Signature"
TIMESTAMP = "X-Zhongtai-Timestamp"
SERVED_BY = "X-Zhongtai-Served-By"
DRY_RUN = "dry-run"
CONTROL = (SIDE, SHADOW)
MAX_SKEW = 300


def _message(method: str, path: str, timestamp: str, control: Mapping[str, str]) -> bytes:
    parts = [method.upper(), path, timestamp]
    parts += [f"{name.lower()}={control[name]}" for name in sorted(control, key=str.lower)]
    return "\n".join(parts).encode()


def sign(
    key: str, method: str, path: str, control: Mapping[str, str], *, now: float | None = None
) -> dict[str, str]:
    """Headers to add to a request so the proxy honours ``control`` (operator tooling, tests)."""
    if not key:
        raise ValueError("no operator key configured; set security.operator_key")
    ts = str(int(time.time() if now is None else now))
    mac = hmac.new(key.encode(), _message(method, path, ts, control), hashlib.sha256)
    return {**control, TIMESTAMP: ts, SIGNATURE: mac.hexdigest()}


@dataclass(frozen=True)
class Verdict:
    control: dict[str, str]  # honoured control headers (empty when unsigned or bad)
    stripped: tuple[str, ...]  # every X-Zhongtai-* header name removed from the request
    reason: str = ""  # why signed headers were refused, for the debug log


def verify(
    key: str, method: str, path: str, headers: Mapping[str, str], *, now: float | None = None
) -> Verdict:
    """Check a request's control headers; everything ``X-Zhongtai-*`` is stripped either way."""
    present = {k: v for k, v in headers.items() if k.lower().startswith(PREFIX)}
    if not present:
        return Verdict({}, ())
    lowered = {k.lower(): v for k, v in present.items()}
    control = {n: lowered[n.lower()] for n in CONTROL if n.lower() in lowered}
    stripped = tuple(present)
    signature, ts = lowered.get(SIGNATURE.lower()), lowered.get(TIMESTAMP.lower())
    if not control:
        return Verdict({}, stripped)
    if not key:
        return Verdict({}, stripped, "no operator key configured")
    if not signature or not ts:
        return Verdict({}, stripped, "unsigned control header")
    try:
        age = abs((time.time() if now is None else now) - int(ts))
    except ValueError:
        return Verdict({}, stripped, f"bad timestamp {ts!r}")
    if age > MAX_SKEW:
        return Verdict({}, stripped, f"timestamp {ts} is {age:.0f}s off (max {MAX_SKEW}s)")
    expected = hmac.new(key.encode(), _message(method, path, ts, control), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), signature):
        return Verdict({}, stripped, "bad signature")
    return Verdict(control, stripped)
