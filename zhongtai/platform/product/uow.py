"""The product center's unit of work over SQLAlchemy (the fake twin is in ``fakes.py``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from zhongtai.platform.ids import IdAllocator, SqlIdAllocator
from zhongtai.platform.product import repository as r
from zhongtai.platform.product import tables as t
from zhongtai.platform.uow import SqlUnitOfWork


class SqlProductUnitOfWork(SqlUnitOfWork):
    categories: r.CategoryRepository
    spus: r.SpuRepository
    mappings: r.MappingRepository
    prices: r.PriceRepository
    batches: r.BatchRepository
    ids: IdAllocator

    def _open(self, connection: Connection) -> None:
        self.categories = r.SqlCategoryRepository(connection)
        self.spus = r.SqlSpuRepository(connection)
        self.mappings = r.SqlMappingRepository(connection)
        self.prices = r.SqlPriceRepository(connection)
        self.batches = r.SqlBatchRepository(connection)
        self.ids = SqlIdAllocator(
            connection,
            t.id_counter,
            {"spu": t.spu.c.id, "sku": t.sku.c.id, "category": t.category.c.id},
        )
