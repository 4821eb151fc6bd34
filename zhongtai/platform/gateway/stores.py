"""Store lookups through the store center, answered in the legacy's words.

The legacy found a live store by id, store code, Meituan ``app_poi_code`` or Eleme ``shopId``
and refused anything else with 40401 naming the key. Here each lookup is one store-center call
(``GET /stores/{id}``, ``GET /stores/lookup?...``), cached for a few seconds
(:mod:`.cache`). A value the store center cannot even parse (a code with spaces) is simply
not a live store, as it was for the legacy.
"""

from __future__ import annotations

from typing import Any

from zhongtai.legacy.envelope import UNKNOWN_STORE, LegacyError
from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.gateway.cache import TtlCache
from zhongtai.platform.gateway.calls import CenterCalls

# Lookup key → the words a legacy error message uses for it.
KEYS = {
    "id": "store id",
    "code": "store code",
    "meituan": "Meituan app_poi_code",
    "eleme": "Eleme shopId",
}
CHANNELS = {"meituan": "MEITUAN", "eleme": "ELEME"}


def unknown_store(by: str, value: Any) -> LegacyError:
    return LegacyError(UNKNOWN_STORE, f"unknown store: no live store has {KEYS[by]} {value!r}")


class StoreDirectory:
    """Live stores by legacy key, from the store center, with a short-lived cache."""

    def __init__(self, cache: TtlCache[dict[str, Any]]) -> None:
        self.cache = cache

    async def find(self, calls: CenterCalls, by: str, value: Any) -> dict[str, Any] | None:
        """The store center's store for ``by`` (id, code, meituan, eleme), or None."""
        if by not in KEYS:
            raise ValueError(f"unknown store key {by!r}; one of {', '.join(KEYS)}")
        key = (by, value)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        try:
            if by == "id":
                store = await calls.get("store", f"/stores/{int(value)}")
            elif by == "code":
                store = await calls.get("store", "/stores/lookup", store_code=str(value))
            else:
                store = await calls.get(
                    "store",
                    "/stores/lookup",
                    channel=CHANNELS[by],
                    channel_store_id=str(value),
                )
        except CenterCallError as exc:
            if exc.status in (400, 404):
                return None
            raise
        if store.get("deleted_at") is not None:
            return None
        return self.cache.put(key, store)

    async def require(self, calls: CenterCalls, by: str, value: Any) -> dict[str, Any]:
        """The live store, or the legacy's 40401 naming the key and value."""
        store = await self.find(calls, by, value)
        if store is None:
            raise unknown_store(by, value)
        return store

    async def open_stores(self, calls: CenterCalls, city: str | None) -> list[dict[str, Any]]:
        """The open stores (of ``city`` when given), by id; cached like single stores."""
        key = ("open", city or "")
        cached = self.cache.get(key)
        if cached is None:
            answer = await calls.get("store", "/stores", status="OPEN", city=city or None)
            found = [s for s in answer["items"] if not city or s["city"] == city]
            cached = self.cache.put(key, {"items": sorted(found, key=lambda s: s["id"])})
        return cached["items"]
