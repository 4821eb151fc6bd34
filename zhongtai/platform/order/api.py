"""The order center's HTTP API (mounted at ``/centers/order`` or served alone with --split).

What the application layer uses to keep the legacy contract:

* ``POST /orders`` (with ``push`` for channel orders: a re-push answers ``duplicate: true``;
  with ``numbering`` instead of ``order_no`` the number comes from the store's day sequence);
* ``GET /pushes/{channel}/{channel_order_id}/{push_type}`` — was this push applied, and the
  order it names; ``POST /orders/{order_no}/pushes`` — acknowledge a push that changes nothing;
* ``GET /orders/{order_no}``, ``GET /orders/by-channel/{channel}/{channel_order_id}``,
  ``GET /orders?store_id=&main_status=&refund_status=&channel=&member_id=&member_account=
  &sub_status=&no_sub_status=&not_sub_status=&open_refund_sub_status=&phone=&placed_from=
  &placed_to=&page=&size=&sort=`` — each with ``view=coarse|medium|fine``;
* ``POST /orders/{order_no}/status`` (optionally with a handoff step: POS ack + ACCEPTED),
  ``/sub-status``, ``/refund-status``; ``PUT /orders/{order_no}/handoffs/{system}``;
* ``POST /handoffs/{system}/claim`` — the POS pull: the store's oldest unpulled orders,
  marked PULLED, and ``more``;
* ``POST /day-sequences/{store_id}/{business_day}/next`` — the per-store daily counter;
* ``GET|PUT /pull-cursors/{channel}/{store_id}`` — where the store's last compensation pull
  from the channel stopped (``PUT {"cursor": ...}`` records a pull; null keeps the cursor);
* ``GET /events?after_id=`` — the outbox (fat ORDER_CREATED, thin *_CHANGED).

Commands answer ``{"duplicate": bool, "order": <fine view>}`` (``?view=coarse|medium`` for less).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from zhongtai.platform.http import unit_of_work
from zhongtai.platform.order import dispatch, pushes, service
from zhongtai.platform.order.model import Channel
from zhongtai.platform.order.query import OrderQuery
from zhongtai.platform.order.schemas import (
    ClaimIn,
    HandoffIn,
    OrderIn,
    PullCursorIn,
    PushRecordIn,
    RefundStatusIn,
    StatusIn,
    SubStatusIn,
    push_key,
)
from zhongtai.platform.order.service import Handoff, Outcome, PushKey
from zhongtai.platform.order.status import MainStatus, RefundStatus
from zhongtai.platform.order.timeutil import utc_or_none
from zhongtai.platform.order.uow import SqlOrderUnitOfWork
from zhongtai.platform.order.views import View, iso, render

router = APIRouter(tags=["order"])
Uow = Annotated[SqlOrderUnitOfWork, Depends(unit_of_work)]
ViewParam = Annotated[View, Query(description="coarse (8 fields), medium, fine (everything)")]


def _outcome(outcome: Outcome, view: View = View.FINE) -> dict:
    return {"duplicate": outcome.duplicate, "order": render(outcome.order, view)}


@router.post("/orders", status_code=201)
def create_order(body: OrderIn, uow: Uow, response: Response, view: ViewParam = View.FINE) -> dict:
    numbering = body.numbering_model()
    outcome = service.create_order(uow, body.draft(), push=push_key(body.push), numbering=numbering)
    if outcome.duplicate:
        response.status_code = 200
    return _outcome(outcome, view)


@router.get("/orders")
def search_orders(
    uow: Uow,
    store_id: int | None = None,
    main_status: Annotated[list[MainStatus] | None, Query()] = None,
    refund_status: Annotated[list[RefundStatus] | None, Query()] = None,
    channel: Channel | None = None,
    member_id: int | None = None,
    member_account: Annotated[
        int | None, Query(description="the member id the order was placed as (before merges)")
    ] = None,
    sub_status: str | None = None,
    no_sub_status: bool = False,
    not_sub_status: str | None = None,
    open_refund_sub_status: Annotated[
        str | None,
        Query(description="an open refund with this sub-status also passes refund_status"),
    ] = None,
    phone: Annotated[str | None, Query(description="digits the recipient phone contains")] = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    include_deleted: bool = False,
    page: int = 1,
    size: int = 20,
    sort: str = "-id",
    view: ViewParam = View.MEDIUM,
) -> dict:
    query = OrderQuery(
        store_id=store_id,
        main_statuses=tuple(main_status or ()),
        refund_statuses=tuple(refund_status or ()),
        channel=channel,
        member_id=member_id,
        member_account=member_account,
        sub_status=sub_status,
        no_sub_status=no_sub_status,
        not_sub_status=not_sub_status,
        open_refund_sub_status=open_refund_sub_status,
        phone_digits=phone,
        placed_from=utc_or_none(placed_from),
        placed_to=utc_or_none(placed_to),
        include_deleted=include_deleted,
        page=page,
        size=size,
        sort=sort,
    )
    total, orders = service.search_orders(uow, query)
    return {"total": total, "page": page, "size": size, "items": [render(o, view) for o in orders]}


@router.get("/orders/by-channel/{channel}/{channel_order_id}")
def get_by_channel(
    channel: Channel, channel_order_id: str, uow: Uow, view: ViewParam = View.FINE
) -> dict:
    return render(service.find_by_channel(uow, channel, channel_order_id), view)


@router.get("/pushes/{channel}/{channel_order_id}/{push_type}")
def get_push(
    channel: Channel, channel_order_id: str, push_type: str, uow: Uow, view: ViewParam = View.FINE
) -> dict:
    """Was this push applied before, and the live order it names (null if none)."""
    key = PushKey(channel, channel_order_id, push_type)
    order, seen = pushes.find_push(uow, key, lines=view == View.FINE)
    return {"seen": seen, "order": render(order, view) if order is not None else None}


@router.post("/orders/{order_no}/pushes")
def record_push(order_no: str, body: PushRecordIn, uow: Uow, view: ViewParam = View.FINE) -> dict:
    """Acknowledge a push that changes nothing; a repeat answers ``duplicate: true``."""
    outcome = pushes.record_push(
        uow, order_no, body.key(), expected_store_id=body.expected_store_id
    )
    return _outcome(outcome, view)


@router.get("/orders/{order_no}")
def get_order(order_no: str, uow: Uow, view: ViewParam = View.FINE) -> dict:
    # Coarse and medium views show no lines: skip loading them.
    return render(service.get_order(uow, order_no, lines=view == View.FINE), view)


@router.delete("/orders/{order_no}")
def delete_order(order_no: str, uow: Uow) -> dict:
    return render(service.delete_order(uow, order_no), View.FINE)


@router.post("/orders/{order_no}/status")
def change_status(order_no: str, body: StatusIn, uow: Uow, view: ViewParam = View.FINE) -> dict:
    outcome = service.change_status(
        uow,
        order_no,
        body.to,
        source=body.source,
        sub_status=body.sub_status,
        reason=body.reason,
        handoff=body.handoff.model() if body.handoff else None,
        push=push_key(body.push),
        expected_store_id=body.expected_store_id,
        expected_version=body.expected_version,
        pickup_code=body.pickup_code,
        paid_at=body.paid_at,
        refund_amount=body.refund_amount,
        lines=view == View.FINE,  # lighter answers need not read the lines
    )
    return _outcome(outcome, view)


@router.post("/orders/{order_no}/sub-status")
def set_sub_status(order_no: str, body: SubStatusIn, uow: Uow, view: ViewParam = View.FINE) -> dict:
    outcome = service.set_sub_status(
        uow,
        order_no,
        body.sub_status,
        source=body.source,
        reason=body.reason,
        push=push_key(body.push),
        expected_store_id=body.expected_store_id,
    )
    return _outcome(outcome, view)


@router.post("/orders/{order_no}/refund-status")
def change_refund(
    order_no: str, body: RefundStatusIn, uow: Uow, view: ViewParam = View.FINE
) -> dict:
    outcome = service.change_refund(
        uow,
        order_no,
        body.to,
        source=body.source,
        amount=body.amount,
        reason=body.reason,
        push=push_key(body.push),
        expected_store_id=body.expected_store_id,
        lines=view == View.FINE,
    )
    return _outcome(outcome, view)


@router.put("/orders/{order_no}/handoffs/{system}")
def record_handoff(
    order_no: str, system: str, body: HandoffIn, uow: Uow, view: ViewParam = View.FINE
) -> dict:
    step = Handoff(system, body.state, body.ref_no, body.error)
    outcome = dispatch.record_handoff(uow, order_no, step, expected_store_id=body.expected_store_id)
    return _outcome(outcome, view)


@router.post("/handoffs/{system}/claim")
def claim_handoffs(system: str, body: ClaimIn, uow: Uow) -> dict:
    orders, more = dispatch.claim_handoffs(
        uow,
        system,
        body.store_id,
        statuses=tuple(body.main_status),
        limit=body.limit,
        refund_statuses=tuple(body.refund_status),
        without_sub_status=body.without_sub_status,
    )
    return {"more": more, "orders": [render(o, View.FINE) for o in orders]}


@router.post("/day-sequences/{store_id}/{business_day}/next")
def next_day_sequence(store_id: int, business_day: date, uow: Uow) -> dict:
    value = service.next_day_sequence(uow, store_id, business_day)
    return {"store_id": store_id, "business_day": business_day.isoformat(), "value": value}


@router.get("/pull-cursors/{channel}/{store_id}")
def get_pull_cursor(channel: Channel, store_id: int, uow: Uow) -> dict:
    return service.pull_cursor(uow, channel, store_id).as_json()


@router.put("/pull-cursors/{channel}/{store_id}")
def record_pull(channel: Channel, store_id: int, body: PullCursorIn, uow: Uow) -> dict:
    return service.record_pull(uow, channel, store_id, body.cursor).as_json()


@router.get("/events")
def list_events(uow: Uow, after_id: int = 0, limit: int = 100) -> dict:
    events = service.list_events(uow, after_id, limit)
    return {
        "events": [
            {
                "id": event_id,
                "kind": e.kind,
                "order_no": e.order_no,
                "at": iso(e.at),
                "payload": e.payload,
            }
            for event_id, e in events
        ],
        "last_id": events[-1][0] if events else after_id,
    }
