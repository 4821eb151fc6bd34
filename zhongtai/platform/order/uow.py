"""The order center's unit of work over SQLAlchemy (the fake twin is in ``fakes.py``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from zhongtai.platform.ids import IdAllocator, SqlIdAllocator
from zhongtai.platform.order import tables as t
from zhongtai.platform.order.cursors import PullCursors, SqlPullCursors
from zhongtai.platform.order.repository import (
    DaySequences,
    OrderRepository,
    PushLog,
    SqlDaySequences,
    SqlOrderRepository,
    SqlPushLog,
)
from zhongtai.platform.uow import SqlUnitOfWork


class SqlOrderUnitOfWork(SqlUnitOfWork):
    orders: OrderRepository
    pushes: PushLog
    day_sequences: DaySequences
    pull_cursors: PullCursors
    ids: IdAllocator

    def _open(self, connection: Connection) -> None:
        self.ids = SqlIdAllocator(connection, t.id_counter, t.ID_COLUMNS)
        self.orders = SqlOrderRepository(connection, self.ids)
        self.pushes = SqlPushLog(connection)
        self.day_sequences = SqlDaySequences(connection)
        self.pull_cursors = SqlPullCursors(connection)
