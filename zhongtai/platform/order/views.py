"""The three query granularities of lecture 8 (pure): coarse, medium and fine.

* **coarse** (8 fields): enough for a list or a badge;
* **medium**: every header field, the customer snapshot and the external references, no lines;
* **fine**: the whole order, lines, discount records and status history included — also the
  payload of the fat ``ORDER_CREATED`` event.

Views are JSON-ready: enums as their names, times as ISO 8601 in UTC, money in integer fen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.handoff import ExternalRef
from zhongtai.platform.order.model import Order, StatusChange


class View(StrEnum):
    COARSE = "coarse"
    MEDIUM = "medium"
    FINE = "fine"


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, the centers' JSON time format."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _plain(value: Any) -> Any:
    # Builds new dicts and lists all the way down, so ``_plain(vars(x))`` of a flat dataclass
    # is what ``asdict`` gives, without its deep copy (views are on every order read).
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def coarse(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "order_no": order.order_no,
        "store_id": order.store_id,
        "channel": str(order.channel),
        "main_status": str(order.main_status),
        "paid_amount": order.amounts.paid_amount,
        "member_id": order.member_id,
        "placed_at": iso(order.placed_at),
    }


def ref_view(ref: ExternalRef) -> dict[str, Any]:
    return _plain(vars(ref))


def change_view(change: StatusChange) -> dict[str, Any]:
    return _plain(vars(change))


def medium(order: Order) -> dict[str, Any]:
    view = coarse(order)
    view.update(
        legacy_id=order.legacy_id,
        channel_order_id=order.channel_order_id,
        order_type=str(order.order_type),
        day_seq=order.day_seq,
        pickup_code=order.pickup_code,
        sub_status=order.sub_status,
        refund_status=str(order.refund_status),
        refunded_amount=order.refunded_amount,
        **order.amounts.as_dict(),
        customer=_plain(order.customer),
        remark=order.remark,
        expected_at=iso(order.expected_at),
        paid_at=iso(order.paid_at),
        created_at=iso(order.created_at),
        updated_at=iso(order.updated_at),
        version=order.version,
        external_refs={system: ref_view(ref) for system, ref in order.external_refs.items()},
    )
    return view


def fine(order: Order) -> dict[str, Any]:
    view = medium(order)
    view.update(
        tenant_id=order.tenant_id,
        store_snapshot=_plain(order.store_snapshot),
        channel_ext=_plain(order.channel_ext),
        deleted_at=iso(order.deleted_at),
        items=[_plain(vars(item)) for item in order.items],
        discounts=[_plain(vars(d)) for d in order.discounts],
        history=[change_view(change) for change in order.history],
    )
    return view


def render(order: Order, view: View | str = View.MEDIUM) -> dict[str, Any]:
    """The order at the requested granularity; InvalidInput naming the valid ones."""
    try:
        chosen = View(view)
    except ValueError:
        raise InvalidInput(
            f"unknown view {view!r}", code="UNKNOWN_VIEW", hint="use coarse, medium or fine"
        ) from None
    return {View.COARSE: coarse, View.MEDIUM: medium, View.FINE: fine}[chosen](order)
