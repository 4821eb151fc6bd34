"""In-memory twins of the payment repositories and unit of work, for unit tests (no mocks).

Loaded entities are deep copies and the unique keys of payment_db are enforced, so the
services meet the same rules they meet against a database.
"""

from __future__ import annotations

import copy
from typing import Any

from zhongtai.platform.ids import IdAllocator, MemoryIdAllocator
from zhongtai.platform.payment.model import Payment
from zhongtai.platform.payment.refunds import Refund
from zhongtai.platform.payment.repository import (
    DuplicateKey,
    PaymentRepository,
    RefundRepository,
    stale,
)
from zhongtai.platform.uow import InMemoryUnitOfWork


class _FakeBase:
    unique: tuple[str, ...]
    kind: str

    def __init__(self, rows: dict[int, Any]) -> None:
        self.rows = rows

    def _where(self, **match: Any) -> list[Any]:
        return [
            copy.deepcopy(e)
            for _, e in sorted(self.rows.items())
            if all(getattr(e, k) == v for k, v in match.items())
        ]

    def _check_unique(self, entity: Any) -> None:
        for other in self.rows.values():
            if other.id == entity.id:
                continue
            for key in self.unique:
                value = getattr(entity, key)
                if value is not None and getattr(other, key) == value:
                    raise DuplicateKey(f"{self.kind} {key} {value} collides")

    def add(self, entity: Any) -> None:
        if entity.id in self.rows:
            raise DuplicateKey(f"{self.kind} id {entity.id} collides")
        self._check_unique(entity)
        self.rows[entity.id] = copy.deepcopy(entity)

    def save(self, entity: Any) -> None:
        current = self.rows.get(entity.id)
        if current is None or current.version != entity.version:
            raise stale(self.kind, getattr(entity, self.unique[0]), entity.version)
        self._check_unique(entity)
        entity.version += 1
        self.rows[entity.id] = copy.deepcopy(entity)


class FakePaymentRepository(_FakeBase, PaymentRepository):
    unique, kind = ("out_trade_no", "transaction_id", "legacy_id"), "payment"

    def get(self, out_trade_no: str, *, for_update: bool = False) -> Payment | None:
        found = self._where(out_trade_no=out_trade_no)
        return found[0] if found else None

    def by_transaction(self, transaction_id: str) -> Payment | None:
        found = self._where(transaction_id=transaction_id)
        return found[0] if found else None

    def for_order(self, order_no: str, *, for_update: bool = False) -> list[Payment]:
        return self._where(order_no=order_no)


class FakeRefundRepository(_FakeBase, RefundRepository):
    unique, kind = ("refund_no", "legacy_id"), "refund"

    def get(self, refund_no: str, *, for_update: bool = False) -> Refund | None:
        found = self._where(refund_no=refund_no)
        return found[0] if found else None

    def for_order(self, order_no: str) -> list[Refund]:
        return self._where(order_no=order_no)


class FakePaymentUnitOfWork(InMemoryUnitOfWork):
    payments: PaymentRepository
    refunds: RefundRepository
    ids: IdAllocator

    def _open(self) -> None:
        payments, refunds = self.table("payments"), self.table("refunds")
        self.payments = FakePaymentRepository(payments)
        self.refunds = FakeRefundRepository(refunds)
        self.ids = MemoryIdAllocator(
            self.table("id_counter"), {"payment": payments, "refund": refunds}
        )
