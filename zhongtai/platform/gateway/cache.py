"""A small time-bounded cache for reference data the gateway reads on every request (pure).

Stores, channel SKU mappings and member existence change rarely, and the legacy answered them
from its own database within the request; asking a center for them on every request would
double the center calls of the hottest routes. Entries live ``ttl`` seconds (so a store closed
or a SKU remapped behind the gateway's back is seen within that bound), the gateway forgets
what it changes itself (a product upsert drops the SKU mappings), and only hits are kept: an
unknown store is asked again next time, so a store created a moment ago is found at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
DEFAULT_TTL = 10.0  # seconds
MAX_ENTRIES = 20_000  # a bound, not a tuning knob: beyond it the oldest half is dropped


class TtlCache(Generic[V]):
    """Key → value for ``ttl`` seconds of the injected monotonic ``clock``."""

    def __init__(
        self, ttl: float = DEFAULT_TTL, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self.clock() >= expires:
            self._entries.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: V) -> V:
        if self.ttl <= 0:
            return value
        if len(self._entries) >= MAX_ENTRIES:
            for old in list(self._entries)[: MAX_ENTRIES // 2]:
                self._entries.pop(old, None)
        self._entries[key] = (self.clock() + self.ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
