"""Order status changes: checked by the state machine, version-guarded, always logged.

Every change of ``t_order.status`` goes through ``move``, which writes the
``t_order_status_log`` row in the same transaction. An illegal move raises 40901 with the
state machine's message; a row changed by a concurrent request raises ``StaleOrder`` and the
transaction is run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.clock import local_str
from zhongtai.legacy.envelope import ILLEGAL_TRANSITION, LegacyError
from zhongtai.legacy.schema import t_order, t_order_status_log
from zhongtai.legacy.status import IllegalTransition, OrderStatus, check_transition
from zhongtai.legacy.tx import StaleOrder


def update_order(conn: Connection, order: dict[str, Any], values: Mapping[str, Any]) -> None:
    """Write ``values`` to the order if nobody changed it since it was read; bump version."""
    changes = {**values, "version": order["version"] + 1, "update_time": local_str()}
    result = conn.execute(
        t_order.update()
        .where(t_order.c.id == order["id"], t_order.c.version == order["version"])
        .values(**changes)
    )
    if result.rowcount != 1:
        raise StaleOrder(order["order_no"])
    order.update(changes)


def move(
    conn: Connection,
    order: dict[str, Any],
    target: int,
    *,
    source: str,
    push_type: str | None = None,
    operator: str | None = None,
    remark: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> None:
    """Move ``order`` to ``target`` (plus other column ``values``) and log the change."""
    current = order["status"]
    try:
        check_transition(current, target)
    except IllegalTransition as exc:
        raise LegacyError(ILLEGAL_TRANSITION, f"order {order['order_no']}: {exc}") from None
    except ValueError as exc:  # a status int the state machine does not know (dead codes)
        raise LegacyError(ILLEGAL_TRANSITION, f"order {order['order_no']}: {exc}") from None
    update_order(conn, order, {**(values or {}), "status": int(target)})
    conn.execute(
        t_order_status_log.insert().values(
            order_id=order["id"],
            from_status=current,
            to_status=int(target),
            source=source,
            push_type=push_type,
            operator=operator,
            remark=(remark or None) and remark[:255],
            create_time=order["update_time"],
        )
    )


def status_before_refund(conn: Connection, order_id: int) -> int:
    """The status an order had before its latest move to 7 (退款中), for a rejected refund.

    Rows without that history (seeded or migrated) fall back to 5 (completed), where most
    refunds start.
    """
    stmt = (
        sa.select(t_order_status_log.c.from_status)
        .where(
            t_order_status_log.c.order_id == order_id,
            t_order_status_log.c.to_status == OrderStatus.REFUNDING,
        )
        .order_by(t_order_status_log.c.id.desc())
        .limit(1)
        .with_for_update()  # a locking read sees the latest log, whatever the snapshot
    )
    previous = conn.execute(stmt).scalar()
    return OrderStatus.COMPLETED if previous is None else int(previous)
