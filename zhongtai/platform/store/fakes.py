"""In-memory twins of the store repository and unit of work, for unit tests (no mocks).

Loaded stores are deep copies, so a service that forgets ``save()`` is caught by the tests
exactly as it would be against a database.
"""

from __future__ import annotations

import copy

from zhongtai.platform.ids import IdAllocator, MemoryIdAllocator
from zhongtai.platform.store.model import Channel, Store, StoreStatus
from zhongtai.platform.store.repository import StoreRepository
from zhongtai.platform.uow import InMemoryUnitOfWork


class FakeStoreRepository(StoreRepository):
    def __init__(self, rows: dict[int, Store]) -> None:
        self.rows = rows

    def get(self, store_id: int, *, for_update: bool = False) -> Store | None:
        return copy.deepcopy(self.rows.get(store_id))

    def find_by_code(self, store_code: str, tenant_id: int = 1) -> list[Store]:
        return [
            copy.deepcopy(s)
            for _, s in sorted(self.rows.items())
            if s.store_code == store_code and s.tenant_id == tenant_id and not s.is_deleted
        ]

    def get_by_legacy_id(self, legacy_id: int) -> Store | None:
        found = [s for s in self.rows.values() if s.legacy_id == legacy_id]
        return copy.deepcopy(found[0]) if found else None

    def get_by_channel_store(self, channel: Channel, channel_store_id: str) -> Store | None:
        for store in self.rows.values():
            binding = store.channel_bindings.get(channel)
            if binding and binding.channel_store_id == channel_store_id:
                return copy.deepcopy(store)
        return None

    def list(
        self, *, city: str | None, status: StoreStatus | None, include_deleted: bool
    ) -> list[Store]:
        return [
            copy.deepcopy(s)
            for _, s in sorted(self.rows.items())
            if (city is None or s.city == city)
            and (status is None or s.status == status)
            and (include_deleted or not s.is_deleted)
        ]

    def add(self, store: Store) -> None:
        if store.id in self.rows:
            raise KeyError(f"duplicate store id {store.id}")  # the database's PK would refuse
        self.save(store)

    def save(self, store: Store) -> None:
        for other in self.rows.values():
            for channel, binding in store.channel_bindings.items():
                mine = other.channel_bindings.get(channel)
                if (
                    other.id != store.id
                    and mine
                    and mine.channel_store_id == binding.channel_store_id
                ):
                    raise KeyError(f"duplicate binding {channel} {binding.channel_store_id}")
        self.rows[store.id] = copy.deepcopy(store)


class FakeStoreUnitOfWork(InMemoryUnitOfWork):
    stores: StoreRepository
    ids: IdAllocator

    def _open(self) -> None:
        rows = self.table("store")
        self.stores = FakeStoreRepository(rows)
        self.ids = MemoryIdAllocator(self.table("id_counter"), {"store": rows})
