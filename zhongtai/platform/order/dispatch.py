"""Handing orders to back-office systems (POS, OMS …): the pull queue and handoff steps.

Services on the order unit of work, like :mod:`.service`. ``claim_handoffs`` is the POS pull:
the store's oldest orders not yet handed to the system, marked PULLED in the same transaction,
re-checked under the row lock so that two terminals pulling at once never get the same order.
See :mod:`.handoff` for why this state lives in ``external_refs``.
"""

from __future__ import annotations

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.handoff import CLAIMABLE, HandoffState, check_system
from zhongtai.platform.order.model import Order
from zhongtai.platform.order.service import (
    Handoff,
    OrderUnitOfWork,
    Outcome,
    check_store,
    load_order,
)
from zhongtai.platform.order.status import MainStatus, RefundStatus

MAX_CLAIM = 50


def record_handoff(
    uow: OrderUnitOfWork,
    order_no: str,
    step: Handoff,
    *,
    expected_store_id: int | None = None,
) -> Outcome:
    """Record a handoff step alone; acking again with the same reference is a no-op."""
    check_system(step.system)

    def attempt() -> Outcome:
        with uow:
            order = load_order(uow, order_no, for_update=True)
            check_store(order, expected_store_id)
            ref = order.external_refs.get(step.system)
            if (
                ref is not None
                and step.state is HandoffState.ACKED
                and ref.state is HandoffState.ACKED
                and ref.ref_no == step.ref_no
            ):
                return Outcome(order, duplicate=True)
            order.handoff(
                step.system, step.state, now=uow.now(), ref_no=step.ref_no, error=step.error
            )
            uow.orders.save(order)
            uow.commit()
            return Outcome(order)

    return attempt()


def claim_handoffs(
    uow: OrderUnitOfWork,
    system: str,
    store_id: int,
    *,
    statuses: tuple[MainStatus, ...] = (MainStatus.PAID,),
    limit: int = 10,
    refund_statuses: tuple[RefundStatus, ...] = (),
    without_sub_status: bool = False,
) -> tuple[list[Order], bool]:
    """Hand the store's oldest unhanded orders to ``system`` (marked PULLED) and say whether
    more are waiting. Two concurrent claimers never receive the same order.

    ``refund_statuses`` (empty: any) and ``without_sub_status`` narrow the queue, e.g. to
    leave out orders with a refund under way or flagged by another application."""
    check_system(system)
    if not 1 <= limit <= MAX_CLAIM:
        raise InvalidInput(f"limit {limit} is out of range", hint=f"use 1..{MAX_CLAIM}")
    if not statuses:
        raise InvalidInput("name at least one main status to claim from")
    with uow:
        now = uow.now()
        candidates = uow.orders.unclaimed(
            system,
            store_id,
            statuses,
            limit + 1,
            refund_statuses=refund_statuses,
            without_sub_status=without_sub_status,
        )
        claimed = []
        for order in uow.orders.get_many(candidates[:limit], for_update=True):
            ref = order.external_refs.get(system)
            # Re-checked under the row lock: a concurrent claimer may have taken it.
            if order.main_status not in statuses or order.deleted_at is not None:
                continue
            if refund_statuses and order.refund_status not in refund_statuses:
                continue
            if without_sub_status and order.sub_status is not None:
                continue
            if ref is not None and ref.state not in CLAIMABLE:
                continue
            order.handoff(system, HandoffState.PULLED, now=now)
            uow.orders.save(order)
            claimed.append(order)
        uow.commit()
        return claimed, len(candidates) > limit
