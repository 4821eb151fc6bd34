"""Product repositories: abstract interfaces and SQLAlchemy Core implementations.

In-memory twins live in :mod:`zhongtai.platform.product.fakes`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.platform.product import tables as t
from zhongtai.platform.product.erp import ErpBatch, ErpItemResult
from zhongtai.platform.product.model import (
    Category,
    Channel,
    ChannelSkuMapping,
    Sku,
    Spu,
    StoreSkuPrice,
)


class CategoryRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, category_id: int) -> Category | None: ...

    @abc.abstractmethod
    def list(self) -> list[Category]:
        """Every category (deleted ones included), by id."""

    @abc.abstractmethod
    def put(self, category: Category) -> None:
        """Insert or update."""


class SpuRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, spu_id: int, *, for_update: bool = False) -> Spu | None: ...

    @abc.abstractmethod
    def get_by_erp_code(self, erp_code: str, *, for_update: bool = False) -> Spu | None: ...

    @abc.abstractmethod
    def get_by_sku_ids(self, sku_ids: Iterable[int]) -> list[Spu]:
        """The SPUs owning these SKUs (each with all its SKUs)."""

    @abc.abstractmethod
    def sku_owner(self, sku_code: str) -> int | None:
        """The SPU id that owns ``sku_code``, if any."""

    @abc.abstractmethod
    def list_sellable(self) -> list[Spu]:
        """Live SPUs on the shelf, with their SKUs."""

    @abc.abstractmethod
    def put(self, spu: Spu, *, new: bool) -> None:
        """Insert (``new``) or update the SPU; SKUs are inserted or updated, never dropped."""


class MappingRepository(abc.ABC):
    @abc.abstractmethod
    def candidates(self, channel: Channel, food_code: str) -> list[ChannelSkuMapping]: ...

    @abc.abstractmethod
    def put(self, mapping: ChannelSkuMapping, now) -> None: ...

    @abc.abstractmethod
    def remove(self, key: str) -> bool: ...


class PriceRepository(abc.ABC):
    @abc.abstractmethod
    def get(
        self, store_id: int, sku_id: int, *, for_update: bool = False
    ) -> StoreSkuPrice | None: ...

    @abc.abstractmethod
    def for_store(self, store_id: int) -> dict[int, StoreSkuPrice]: ...

    @abc.abstractmethod
    def put(self, price: StoreSkuPrice) -> None: ...


class BatchRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, batch_id: str) -> ErpBatch | None: ...

    @abc.abstractmethod
    def add(self, batch: ErpBatch) -> None: ...


class SqlCategoryRepository(CategoryRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def get(self, category_id: int) -> Category | None:
        row = self.conn.execute(sa.select(t.category).where(t.category.c.id == category_id))
        found = row.mappings().first()
        return Category(**found) if found else None

    def list(self) -> list[Category]:
        rows = self.conn.execute(sa.select(t.category).order_by(t.category.c.id)).mappings()
        return [Category(**r) for r in rows]

    def put(self, category: Category) -> None:
        values = vars(category).copy()
        done = self.conn.execute(
            sa.update(t.category).where(t.category.c.id == category.id).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(sa.insert(t.category).values(**values))


_SPU_COLUMNS = [c.name for c in t.spu.columns]
_SKU_COLUMNS = [c.name for c in t.sku.columns]


class SqlSpuRepository(SpuRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def _load(self, where, *, for_update: bool = False) -> list[Spu]:
        query = sa.select(t.spu).where(where).order_by(t.spu.c.id)
        if for_update:
            query = query.with_for_update()
        rows = self.conn.execute(query).mappings().all()
        if not rows:
            return []
        skus: dict[int, list[Sku]] = {r["id"]: [] for r in rows}
        sku_rows = self.conn.execute(
            sa.select(t.sku).where(t.sku.c.spu_id.in_(list(skus))).order_by(t.sku.c.id)
        ).mappings()
        for s in sku_rows:
            skus[s["spu_id"]].append(Sku(**s))
        return [Spu(**r, skus=skus[r["id"]]) for r in rows]

    def get(self, spu_id: int, *, for_update: bool = False) -> Spu | None:
        found = self._load(t.spu.c.id == spu_id, for_update=for_update)
        return found[0] if found else None

    def get_by_erp_code(self, erp_code: str, *, for_update: bool = False) -> Spu | None:
        where = (t.spu.c.erp_code == erp_code) & (t.spu.c.tenant_id == 1)
        found = self._load(where, for_update=for_update)
        return found[0] if found else None

    def get_by_sku_ids(self, sku_ids: Iterable[int]) -> list[Spu]:
        ids = list(sku_ids)
        if not ids:
            return []
        owners = sa.select(t.sku.c.spu_id).where(t.sku.c.id.in_(ids))
        return self._load(t.spu.c.id.in_(owners))

    def sku_owner(self, sku_code: str) -> int | None:
        return self.conn.execute(
            sa.select(t.sku.c.spu_id).where(t.sku.c.sku_code == sku_code)
        ).scalar()

    def list_sellable(self) -> list[Spu]:
        c = t.spu.c
        return self._load((c.status == "ON_SHELF") & c.deleted_at.is_(None))

    def put(self, spu: Spu, *, new: bool) -> None:
        row = {k: getattr(spu, k) for k in _SPU_COLUMNS}
        row["status"] = spu.status.value
        if new:
            self.conn.execute(sa.insert(t.spu).values(**row))
        else:
            self.conn.execute(sa.update(t.spu).where(t.spu.c.id == spu.id).values(**row))
        existing = set(
            self.conn.execute(sa.select(t.sku.c.id).where(t.sku.c.spu_id == spu.id)).scalars()
        )
        for sku in spu.skus:
            values = {k: getattr(sku, k) for k in _SKU_COLUMNS}
            if sku.id in existing:
                self.conn.execute(sa.update(t.sku).where(t.sku.c.id == sku.id).values(**values))
            else:
                self.conn.execute(sa.insert(t.sku).values(**values))


class SqlMappingRepository(MappingRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def candidates(self, channel: Channel, food_code: str) -> list[ChannelSkuMapping]:
        m = t.channel_sku_mapping.c
        rows = self.conn.execute(
            sa.select(m.channel, m.channel_food_code, m.sku_id, m.store_id, m.channel_sku_id)
            .where((m.channel == channel.value) & (m.channel_food_code == food_code))
            .order_by(m.mapping_key)
        ).all()
        return [ChannelSkuMapping(*r) for r in rows]

    def put(self, mapping: ChannelSkuMapping, now) -> None:
        m = t.channel_sku_mapping
        values = {
            "channel": mapping.channel.value,
            "store_id": mapping.store_id,
            "channel_food_code": mapping.channel_food_code,
            "channel_sku_id": mapping.channel_sku_id,
            "sku_id": mapping.sku_id,
            "updated_at": now,
        }
        done = self.conn.execute(
            sa.update(m).where(m.c.mapping_key == mapping.key).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(sa.insert(m).values(mapping_key=mapping.key, **values))

    def remove(self, key: str) -> bool:
        m = t.channel_sku_mapping
        return self.conn.execute(sa.delete(m).where(m.c.mapping_key == key)).rowcount > 0


class SqlPriceRepository(PriceRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def get(self, store_id: int, sku_id: int, *, for_update: bool = False) -> StoreSkuPrice | None:
        p = t.store_sku_price.c
        query = sa.select(t.store_sku_price).where((p.store_id == store_id) & (p.sku_id == sku_id))
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return StoreSkuPrice(**row) if row else None

    def for_store(self, store_id: int) -> dict[int, StoreSkuPrice]:
        p = t.store_sku_price.c
        rows = self.conn.execute(sa.select(t.store_sku_price).where(p.store_id == store_id))
        return {r["sku_id"]: StoreSkuPrice(**r) for r in rows.mappings()}

    def put(self, price: StoreSkuPrice) -> None:
        p = t.store_sku_price
        values = vars(price).copy()
        where = (p.c.store_id == price.store_id) & (p.c.sku_id == price.sku_id)
        if self.conn.execute(sa.update(p).where(where).values(**values)).rowcount == 0:
            self.conn.execute(sa.insert(p).values(**values))


class SqlBatchRepository(BatchRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def get(self, batch_id: str) -> ErpBatch | None:
        b = t.erp_sync_batch.c
        row = self.conn.execute(sa.select(t.erp_sync_batch).where(b.batch_id == batch_id))
        found = row.mappings().first()
        if found is None:
            return None
        results = [ErpItemResult(**r) for r in found["results"]]
        return ErpBatch(found["batch_id"], found["fingerprint"], found["received_at"], results)

    def add(self, batch: ErpBatch) -> None:
        self.conn.execute(
            sa.insert(t.erp_sync_batch).values(
                batch_id=batch.batch_id,
                fingerprint=batch.fingerprint,
                item_count=len(batch.results),
                results=[vars(r) for r in batch.results],
                received_at=batch.received_at,
            )
        )
