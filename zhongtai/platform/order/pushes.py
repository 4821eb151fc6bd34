"""Channel pushes seen from the application layer: look one up, acknowledge one that changes
nothing (the order already stands where the push would take it), so that its repeat is
recognised as a duplicate later; the order still notes it as the channel's last push
(``channel_ext.channel_status``), as the legacy did. Commands that do change an order carry
their push key themselves (see :mod:`.service`).
"""

from __future__ import annotations

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.model import Order
from zhongtai.platform.order.service import (
    OrderUnitOfWork,
    Outcome,
    PushKey,
    check_store,
    load_order,
    note_push,
    push_tuple,
    retry_on_race,
)


def find_push(
    uow: OrderUnitOfWork, push: PushKey, *, lines: bool = True
) -> tuple[Order | None, bool]:
    """The live order a channel push names (None if there is none) and whether this very push
    was applied before: what an application needs to judge a push before changing anything
    (``lines=False``: its header only)."""
    with uow:
        order = uow.orders.get_by_channel(push.channel, push.channel_order_id, lines=lines)
        if order is not None and order.deleted_at is not None:
            order = None
        return order, uow.pushes.seen(*push_tuple(push)) is not None


def record_push(
    uow: OrderUnitOfWork, order_no: str, push: PushKey, *, expected_store_id: int | None = None
) -> Outcome:
    """Acknowledge a push that changes nothing (the order is already where it would take it),
    so that a repeat of it is recognised as a duplicate later, whatever happened meanwhile."""

    def attempt() -> Outcome:
        with uow:
            order = load_order(uow, order_no, for_update=True)
            check_store(order, expected_store_id)
            if not push.matches(order):
                raise InvalidInput(
                    f"push {push.channel}/{push.channel_order_id} does not name order {order_no}",
                    code="PUSH_MISMATCH",
                )
            if uow.pushes.seen(*push_tuple(push)) is not None:
                return Outcome(order, duplicate=True)
            if order.channel_ext.get("channel_status") != push.push_type:
                note_push(order, push)
                uow.orders.save(order)
            uow.pushes.record(*push_tuple(push), order.id, uow.now())
            uow.commit()
            return Outcome(order)

    return retry_on_race(attempt)
