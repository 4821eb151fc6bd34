"""In-memory twins of the product repositories and unit of work, for unit tests.

Everything handed out is a deep copy, so a service that forgets to ``put`` is caught.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from zhongtai.platform.ids import IdAllocator, MemoryIdAllocator
from zhongtai.platform.product import repository as r
from zhongtai.platform.product.erp import ErpBatch
from zhongtai.platform.product.model import (
    Category,
    Channel,
    ChannelSkuMapping,
    Spu,
    SpuStatus,
    StoreSkuPrice,
)
from zhongtai.platform.uow import InMemoryUnitOfWork


class FakeCategoryRepository(r.CategoryRepository):
    def __init__(self, rows: dict[int, Category]) -> None:
        self.rows = rows

    def get(self, category_id: int) -> Category | None:
        return copy.deepcopy(self.rows.get(category_id))

    def list(self) -> list[Category]:
        return [copy.deepcopy(c) for _, c in sorted(self.rows.items())]

    def put(self, category: Category) -> None:
        self.rows[category.id] = copy.deepcopy(category)


class FakeSpuRepository(r.SpuRepository):
    def __init__(self, rows: dict[int, Spu], skus: dict[int, int]) -> None:
        self.rows = rows
        self.skus = skus  # sku id → spu id, the fake's "sku table" for id allocation

    def get(self, spu_id: int, *, for_update: bool = False) -> Spu | None:
        return copy.deepcopy(self.rows.get(spu_id))

    def get_by_erp_code(self, erp_code: str, *, for_update: bool = False) -> Spu | None:
        found = [s for s in self.rows.values() if s.erp_code == erp_code]
        return copy.deepcopy(found[0]) if found else None

    def get_by_sku_ids(self, sku_ids: Iterable[int]) -> list[Spu]:
        owners = {self.skus[i] for i in sku_ids if i in self.skus}
        return [copy.deepcopy(self.rows[o]) for o in sorted(owners)]

    def sku_owner(self, sku_code: str) -> int | None:
        for spu in self.rows.values():
            if spu.sku_by_code(sku_code):
                return spu.id
        return None

    def list_sellable(self) -> list[Spu]:
        return [
            copy.deepcopy(s)
            for _, s in sorted(self.rows.items())
            if s.status == SpuStatus.ON_SHELF and not s.is_deleted
        ]

    def put(self, spu: Spu, *, new: bool) -> None:
        if new == (spu.id in self.rows):
            raise KeyError(f"spu {spu.id}: {'duplicate' if new else 'missing'}")
        for sku in spu.skus:
            owner = self.skus.get(sku.id)
            if owner is not None and owner != spu.id:
                raise KeyError(f"sku {sku.id} belongs to spu {owner}")
            self.skus[sku.id] = spu.id
        self.rows[spu.id] = copy.deepcopy(spu)


class FakeMappingRepository(r.MappingRepository):
    def __init__(self, rows: dict[str, ChannelSkuMapping]) -> None:
        self.rows = rows

    def candidates(self, channel: Channel, food_code: str) -> list[ChannelSkuMapping]:
        return [
            m
            for _, m in sorted(self.rows.items())
            if m.channel == channel and m.channel_food_code == food_code
        ]

    def put(self, mapping: ChannelSkuMapping, now) -> None:
        self.rows[mapping.key] = mapping

    def remove(self, key: str) -> bool:
        return self.rows.pop(key, None) is not None


class FakePriceRepository(r.PriceRepository):
    def __init__(self, rows: dict[tuple[int, int], StoreSkuPrice]) -> None:
        self.rows = rows

    def get(self, store_id: int, sku_id: int, *, for_update: bool = False) -> StoreSkuPrice | None:
        return copy.deepcopy(self.rows.get((store_id, sku_id)))

    def for_store(self, store_id: int) -> dict[int, StoreSkuPrice]:
        return {k[1]: copy.deepcopy(v) for k, v in self.rows.items() if k[0] == store_id}

    def put(self, price: StoreSkuPrice) -> None:
        self.rows[(price.store_id, price.sku_id)] = copy.deepcopy(price)


class FakeBatchRepository(r.BatchRepository):
    def __init__(self, rows: dict[str, ErpBatch]) -> None:
        self.rows = rows

    def get(self, batch_id: str) -> ErpBatch | None:
        return copy.deepcopy(self.rows.get(batch_id))

    def add(self, batch: ErpBatch) -> None:
        if batch.batch_id in self.rows:
            raise KeyError(f"duplicate batch {batch.batch_id}")
        self.rows[batch.batch_id] = copy.deepcopy(batch)


class FakeProductUnitOfWork(InMemoryUnitOfWork):
    categories: r.CategoryRepository
    spus: r.SpuRepository
    mappings: r.MappingRepository
    prices: r.PriceRepository
    batches: r.BatchRepository
    ids: IdAllocator

    def _open(self) -> None:
        spus, skus, categories = self.table("spu"), self.table("sku"), self.table("category")
        self.categories = FakeCategoryRepository(categories)
        self.spus = FakeSpuRepository(spus, skus)
        self.mappings = FakeMappingRepository(self.table("channel_sku_mapping"))
        self.prices = FakePriceRepository(self.table("store_sku_price"))
        self.batches = FakeBatchRepository(self.table("erp_sync_batch"))
        self.ids = MemoryIdAllocator(
            self.table("id_counter"), {"spu": spus, "sku": skus, "category": categories}
        )
