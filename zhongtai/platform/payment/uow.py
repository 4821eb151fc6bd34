"""The payment center's unit of work over SQLAlchemy (the fake twin is in ``fakes.py``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from zhongtai.platform.ids import IdAllocator, SqlIdAllocator
from zhongtai.platform.payment import tables as t
from zhongtai.platform.payment.repository import (
    PaymentRepository,
    RefundRepository,
    SqlPaymentRepository,
    SqlRefundRepository,
)
from zhongtai.platform.uow import SqlUnitOfWork


class SqlPaymentUnitOfWork(SqlUnitOfWork):
    payments: PaymentRepository
    refunds: RefundRepository
    ids: IdAllocator

    def _open(self, connection: Connection) -> None:
        self.ids = SqlIdAllocator(connection, t.id_counter, t.ID_COLUMNS)
        self.payments = SqlPaymentRepository(connection)
        self.refunds = SqlRefundRepository(connection)
