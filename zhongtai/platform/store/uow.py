"""The store center's unit of work over SQLAlchemy (the fake twin is in ``fakes.py``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from zhongtai.platform.ids import IdAllocator, SqlIdAllocator
from zhongtai.platform.store import tables as t
from zhongtai.platform.store.repository import SqlStoreRepository, StoreRepository
from zhongtai.platform.uow import SqlUnitOfWork


class SqlStoreUnitOfWork(SqlUnitOfWork):
    stores: StoreRepository
    ids: IdAllocator

    def _open(self, connection: Connection) -> None:
        self.stores = SqlStoreRepository(connection)
        self.ids = SqlIdAllocator(connection, t.id_counter, {"store": t.store.c.id})
