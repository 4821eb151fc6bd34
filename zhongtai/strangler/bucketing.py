"""Sticky canary bucketing (pure): the same key lands on the same side in every process.

``bucket(group, salt, key)`` hashes ``"{group}.{salt}.{key}"`` with SHA-1 and maps the first
15 hex digits onto [0, 100), the way LaunchDarkly's percentage rollouts do. A key goes to the
platform when its bucket is below the canary percentage, so raising the percentage only ever
adds keys to the platform side, and lowering it only ever moves keys back. Nothing here
depends on process state: several proxy processes agree without talking to each other.

Store-keyed routes hash the canonical store code (the proxy resolves every other store
identifier through :mod:`zhongtai.strangler.storekeys` first), so :func:`stores_on_platform`
answers for a whole route group which stores a canary sends to the platform — the set reverse
sync and the cutover plan work with. This module imports only the standard library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

_SCALE = float(0xFFFFFFFFFFFFFFF)  # 15 hex digits


def bucket(group: str, salt: str, key: str) -> float:
    """The key's position in [0, 100) for this route group and salt."""
    digest = hashlib.sha1(f"{group}.{salt}.{key}".encode()).hexdigest()
    value = int(digest[:15], 16) / _SCALE * 100.0
    return min(value, 99.999999)  # 0xFFF...F / scale would be exactly 100


def on_platform(group: str, salt: str, key: str, percent: float) -> bool:
    """True when ``key`` is inside the ``percent`` share of the group that goes to the platform."""
    if percent <= 0:
        return False
    if percent >= 100:
        return True
    return bucket(group, salt, key) < percent


def stores_on_platform(
    group: str, percent: float, salt: str, store_codes: Iterable[str]
) -> frozenset[str]:
    """The store codes a canary at ``percent`` sends to the platform on every route of ``group``.

    The proxy buckets store-keyed requests by canonical store code, so this is exactly the set
    of stores whose traffic the proxy sends to the platform on those routes (requests whose
    store identifier the directory does not know are bucketed by their raw value instead).
    """
    return frozenset(code for code in store_codes if on_platform(group, salt, code, percent))
