"""The admin order search (订单管理后台): filters on store, status, channel, phone, dates.

The phone filter strips the separators in ``phones.SEPARATORS`` from the stored value in SQL
and looks for the query's national digits inside, so every stored format matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.phones import SEPARATORS
from zhongtai.legacy.schema import t_order
from zhongtai.legacy.views import admin_row


@dataclass(frozen=True)
class OrderQuery:
    store_id: int | None = None
    status: int | None = None
    channel: int | None = None
    phone_digits: str | None = None
    date_from: str | None = None  # yyyy-MM-dd, inclusive
    date_to: str | None = None
    page: int = 1
    size: int = 20


def phone_digits_sql(column: sa.ColumnElement) -> sa.ColumnElement:
    """SQL for the stored phone with ``phones.SEPARATORS`` removed."""
    expr = sa.func.coalesce(column, "")
    for sep in SEPARATORS:
        expr = sa.func.replace(expr, sep, "")
    return expr


def _conditions(q: OrderQuery) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [t_order.c.del_flag == 0]
    if q.store_id is not None:
        where.append(t_order.c.store_id == q.store_id)
    if q.status is not None:
        where.append(t_order.c.status == q.status)
    if q.channel is not None:
        where.append(t_order.c.channel == q.channel)
    if q.phone_digits:
        where.append(phone_digits_sql(t_order.c.recipient_phone).contains(q.phone_digits))
    if q.date_from:
        where.append(t_order.c.order_time >= f"{q.date_from} 00:00:00")
    if q.date_to:
        where.append(t_order.c.order_time <= f"{q.date_to} 23:59:59")
    return where


def search_orders(conn: Connection, q: OrderQuery) -> tuple[int, list[dict[str, Any]]]:
    """The total count and one page of matching orders, newest first."""
    where = _conditions(q)
    total = conn.execute(sa.select(sa.func.count()).select_from(t_order).where(*where)).scalar_one()
    stmt = (
        sa.select(t_order)
        .where(*where)
        .order_by(t_order.c.id.desc())
        .limit(q.size)
        .offset((q.page - 1) * q.size)
    )
    return total, [admin_row(row) for row in conn.execute(stmt).mappings()]
