"""Payment and refund repositories: the abstract interfaces and their SQLAlchemy Core versions.

The in-memory twins are in :mod:`zhongtai.platform.payment.fakes`. Saves are optimistic on
``version``; an insert or update that hits a unique key (``out_trade_no``, ``transaction_id``,
``refund_no``) raises :class:`DuplicateKey`, which the services turn into an idempotent answer.
"""

from __future__ import annotations

import abc
from dataclasses import fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from zhongtai.platform.errors import Conflict
from zhongtai.platform.payment import tables as t
from zhongtai.platform.payment.model import Payment, PaymentStatus
from zhongtai.platform.payment.refunds import Refund, RefundStatus


class DuplicateKey(Conflict):
    default_code = "DUPLICATE_KEY"


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the driver reports a unique/primary key violation (not NOT NULL, not FK)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL (psycopg)
        return True
    if orig is not None and getattr(orig, "args", None) and orig.args[0] == 1062:  # MariaDB
        return True
    return "UNIQUE constraint failed" in str(orig)  # SQLite


def stale(kind: str, key: str, version: int) -> Conflict:
    return Conflict(
        f"{kind} {key} was changed by someone else since version {version}",
        code="VERSION_CONFLICT",
        hint="load it again and retry",
    )


class PaymentRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, out_trade_no: str, *, for_update: bool = False) -> Payment | None: ...

    @abc.abstractmethod
    def by_transaction(self, transaction_id: str) -> Payment | None: ...

    @abc.abstractmethod
    def for_order(self, order_no: str, *, for_update: bool = False) -> list[Payment]:
        """The order's payments, oldest first."""

    @abc.abstractmethod
    def add(self, payment: Payment) -> None: ...

    @abc.abstractmethod
    def save(self, payment: Payment) -> None: ...


class RefundRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, refund_no: str, *, for_update: bool = False) -> Refund | None: ...

    @abc.abstractmethod
    def for_order(self, order_no: str) -> list[Refund]:
        """The order's refunds, oldest first."""

    @abc.abstractmethod
    def add(self, refund: Refund) -> None: ...

    @abc.abstractmethod
    def save(self, refund: Refund) -> None: ...


def _row(entity: Any) -> dict[str, Any]:
    return {f.name: getattr(entity, f.name) for f in fields(entity)}


_STATEMENTS: dict[tuple, Any] = {}


def _statement(table: sa.Table, what: str, column: str = "", for_update: bool = False) -> Any:
    """The statement built once per (table, kind, column): SQLAlchemy then reuses the
    expression and its cache key instead of rebuilding both on every call."""
    key = (table.name, what, column, for_update)
    found = _STATEMENTS.get(key)
    if found is None:
        c = table.c
        if what == "select":
            found = sa.select(table).where(c[column] == sa.bindparam("b_key")).order_by(c.id)
            found = found.with_for_update() if for_update else found
        elif what == "insert":
            found = sa.insert(table)
        else:
            guard = (c.id == sa.bindparam("b_id")) & (c.version == sa.bindparam("b_version"))
            found = sa.update(table).where(guard)
        _STATEMENTS[key] = found
    return found


class _SqlBase:
    table: sa.Table
    key: str
    kind: str

    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def _select(self, column: str, value: Any, *, for_update: bool = False) -> list[dict]:
        query = _statement(self.table, "select", column, for_update)
        return [dict(r) for r in self.conn.execute(query, {"b_key": value}).mappings()]

    def _insert(self, entity: Any) -> None:
        try:
            self.conn.execute(_statement(self.table, "insert"), _row(entity))
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            raise DuplicateKey(f"{self.kind} {getattr(entity, self.key)} collides") from exc

    def _update(self, entity: Any) -> None:
        row = _row(entity)
        del row["id"]
        row["version"] = entity.version + 1
        row["b_id"], row["b_version"] = entity.id, entity.version
        try:
            result = self.conn.execute(_statement(self.table, "update"), row)
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            raise DuplicateKey(f"{self.kind} {getattr(entity, self.key)} collides") from exc
        if result.rowcount != 1:
            raise stale(self.kind, getattr(entity, self.key), entity.version)
        entity.version += 1


def _payment(r: dict[str, Any]) -> Payment:
    return Payment(**{**r, "status": PaymentStatus(r["status"])})


def _refund(r: dict[str, Any]) -> Refund:
    return Refund(**{**r, "status": RefundStatus(r["status"])})


class SqlPaymentRepository(_SqlBase, PaymentRepository):
    table, key, kind = t.payments, "out_trade_no", "payment"

    def get(self, out_trade_no: str, *, for_update: bool = False) -> Payment | None:
        rows = self._select("out_trade_no", out_trade_no, for_update=for_update)
        return _payment(rows[0]) if rows else None

    def by_transaction(self, transaction_id: str) -> Payment | None:
        rows = self._select("transaction_id", transaction_id)
        return _payment(rows[0]) if rows else None

    def for_order(self, order_no: str, *, for_update: bool = False) -> list[Payment]:
        rows = self._select("order_no", order_no, for_update=for_update)
        return [_payment(r) for r in rows]

    def add(self, payment: Payment) -> None:
        self._insert(payment)

    def save(self, payment: Payment) -> None:
        self._update(payment)


class SqlRefundRepository(_SqlBase, RefundRepository):
    table, key, kind = t.refunds, "refund_no", "refund"

    def get(self, refund_no: str, *, for_update: bool = False) -> Refund | None:
        rows = self._select("refund_no", refund_no, for_update=for_update)
        return _refund(rows[0]) if rows else None

    def for_order(self, order_no: str) -> list[Refund]:
        return [_refund(r) for r in self._select("order_no", order_no)]

    def add(self, refund: Refund) -> None:
        self._insert(refund)

    def save(self, refund: Refund) -> None:
        self._update(refund)
