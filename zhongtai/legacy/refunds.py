"""Refund rows (``t_refund``): applied by a channel, decided later, or done at once.

Numbers are ``RF{order_no}{n:02d}``, n counting the order's refunds; the order row is locked
(or version-checked) before a refund is written, so two requests cannot take the same n. The
reads here lock what they read, so they see rows committed after the transaction's snapshot.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.clock import local_str
from zhongtai.legacy.money import round_yuan, yuan_to_fen
from zhongtai.legacy.schema import t_refund
from zhongtai.legacy.status import Channel, RefundStatus

WHOLE, PARTIAL = 1, 2
OWN_CHANNELS = (Channel.MINI_PROGRAM, Channel.APP)


def refund_type(amount: float, total: float | None) -> int:
    """1 (整单) when the refund covers the order total to the fen, else 2 (部分)."""
    return WHOLE if total is None or yuan_to_fen(amount) >= yuan_to_fen(total) else PARTIAL


def add_refund(
    conn: Connection,
    order: dict[str, Any],
    *,
    amount: float | None,
    status: RefundStatus,
    source: str,
    reason: str | None = None,
    reason_code: int | None = None,
    channel_refund_id: str | None = None,
) -> str:
    """Insert a refund of ``amount`` yuan (None = the order total); returns its number."""
    # A locking read sees the latest rows even under MariaDB's REPEATABLE READ snapshot
    # (PostgreSQL refuses FOR UPDATE on an aggregate, hence ids counted here).
    existing = conn.execute(
        sa.select(t_refund.c.id).where(t_refund.c.order_id == order["id"]).with_for_update()
    ).all()
    refund_no = f"RF{order['order_no']}{len(existing) + 1:02d}"
    total = order.get("total_amount")
    value = round_yuan(total if amount is None else amount) or 0.0
    now = local_str()
    conn.execute(
        t_refund.insert().values(
            order_id=order["id"],
            refund_no=refund_no,
            channel_refund_id=channel_refund_id,
            type=refund_type(value, total),
            source=source,
            amount=value,
            reason_code=reason_code,
            reason=(reason or None) and reason[:255],
            status=int(status),
            apply_time=now,
            finish_time=None if status == RefundStatus.APPLIED else now,
        )
    )
    return refund_no


def decide_refund(
    conn: Connection, order_id: int, status: RefundStatus, channel_refund_id: str | None = None
) -> None:
    """Close the order's open refund (the one with ``channel_refund_id`` if given)."""
    where = [t_refund.c.order_id == order_id, t_refund.c.status == RefundStatus.APPLIED]
    if channel_refund_id:
        where.append(t_refund.c.channel_refund_id == channel_refund_id)
    open_id = conn.execute(
        sa.select(t_refund.c.id)
        .where(*where)
        .order_by(t_refund.c.id.desc())
        .limit(1)
        .with_for_update()
    ).scalar()
    if open_id is not None:
        conn.execute(
            t_refund.update()
            .where(t_refund.c.id == open_id)
            .values(status=int(status), finish_time=local_str())
        )
