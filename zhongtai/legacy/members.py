"""Members (小程序/App users) and their orders."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.envelope import UNKNOWN_MEMBER, LegacyError
from zhongtai.legacy.schema import t_member, t_order
from zhongtai.legacy.views import order_summary


def require_member(conn: Connection, member_id: int) -> dict[str, Any]:
    """The live member, or 40404."""
    stmt = sa.select(t_member.c.id, t_member.c.openid, t_member.c.mobile).where(
        t_member.c.id == member_id, t_member.c.is_deleted == 0
    )
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise LegacyError(UNKNOWN_MEMBER, f"unknown member {member_id!r}; register the user first")
    return dict(row)


def member_orders(
    conn: Connection, member_id: int, page: int, size: int
) -> tuple[int, list[dict[str, Any]]]:
    """One page of a member's orders, newest first, and how many there are in all."""
    where = sa.and_(t_order.c.member_id == member_id, t_order.c.del_flag == 0)
    total = conn.execute(sa.select(sa.func.count()).select_from(t_order).where(where)).scalar_one()
    stmt = (
        sa.select(t_order)
        .where(where)
        .order_by(t_order.c.order_time.desc(), t_order.c.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    return total, [order_summary(row) for row in conn.execute(stmt).mappings()]
