"""Mapping between the ``Order`` aggregate and order_db rows (pure, no connection).

Kept apart from the repository so the mapping can be read (and tested) in one place: one
function per direction and table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from zhongtai.platform.order import tables as t
from zhongtai.platform.order.handoff import ExternalRef, HandoffState
from zhongtai.platform.order.lines import Discount, OrderItem
from zhongtai.platform.order.model import Channel, Event, Order, OrderType, StatusChange, Track
from zhongtai.platform.order.money import Amounts
from zhongtai.platform.order.query import phone_search_text
from zhongtai.platform.order.status import MainStatus, RefundStatus

AMOUNT_COLUMNS = tuple(Amounts.__dataclass_fields__)

Row = Mapping[str, Any]


def order_row(order: Order) -> dict[str, Any]:
    """The ``orders`` row of ``order``."""
    return {
        "id": order.id,
        "order_no": order.order_no,
        "tenant_id": order.tenant_id,
        "store_id": order.store_id,
        "channel": order.channel.value,
        "channel_order_id": order.channel_order_id,
        "order_type": order.order_type.value,
        "day_seq": order.day_seq,
        "pickup_code": order.pickup_code,
        "member_id": order.member_id,
        "customer_snapshot": order.customer,
        "phone_search": phone_search_text(order.customer.get("phone")),
        "store_snapshot": order.store_snapshot,
        "main_status": order.main_status.value,
        "sub_status": order.sub_status,
        "refund_status": order.refund_status.value,
        "refunded_amount": order.refunded_amount,
        **order.amounts.as_dict(),
        "remark": order.remark,
        "channel_ext": order.channel_ext,
        "placed_at": order.placed_at,
        "expected_at": order.expected_at,
        "paid_at": order.paid_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "deleted_at": order.deleted_at,
        "legacy_id": order.legacy_id,
        "version": order.version,
    }


def static_rows(order: Order) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """Lines and discounts: written once, when the order is created."""
    items = [
        {
            "order_id": order.id,
            "line_no": i.line_no,
            "sku_id": i.sku_id,
            "sku_code": i.sku_code,
            "name_snapshot": i.name,
            "spec": i.spec,
            "properties": i.properties,
            "qty": i.qty,
            "unit_price": i.unit_price,
            "line_total": i.line_total,
            "box_qty": i.box_qty,
            "box_price": i.box_price,
            "parent_line_no": i.parent_line_no,
            "channel_item_ref": i.channel_item_ref,
        }
        for i in order.items
    ]
    discounts = [
        {"order_id": order.id, "seq": seq, **asdict(d)}
        for seq, d in enumerate(order.discounts, start=1)
    ]
    return [(t.order_items, items), (t.order_discounts, discounts)]


def history_rows(order: Order, *, start: int) -> list[dict[str, Any]]:
    """History rows from position ``start`` on (the ones not stored yet)."""
    return [
        {
            "order_id": order.id,
            "seq": seq,
            "track": c.track.value,
            "from_status": None if c.from_status is None else str(c.from_status),
            "to_status": None if c.to_status is None else str(c.to_status),
            "sub_status": c.sub_status,
            "source": c.source,
            "reason": c.reason,
            "amount": c.amount,
            "at": c.at,
        }
        for seq, c in enumerate(order.history[start:], start=start + 1)
    ]


def ref_rows(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order.id,
            "system": ref.system,
            "state": ref.state.value,
            "ref_no": ref.ref_no,
            "pulled_at": ref.pulled_at,
            "acked_at": ref.acked_at,
            "attempts": ref.attempts,
            "error": ref.error,
            "updated_at": ref.updated_at,
        }
        for ref in order.external_refs.values()
        if ref.state is not None
    ]


def event_row(event_id: int, event: Event) -> dict[str, Any]:
    return {
        "id": event_id,
        "kind": event.kind,
        "order_no": event.order_no,
        "payload": event.payload,
        "created_at": event.at,
    }


def order_from_rows(
    h: Row,
    items: Sequence[Row],
    discounts: Sequence[Row],
    history: Sequence[Row],
    refs: Sequence[Row],
) -> Order:
    """Rebuild the aggregate from its header and child rows."""
    return Order(
        id=h["id"],
        order_no=h["order_no"],
        tenant_id=h["tenant_id"],
        store_id=h["store_id"],
        channel=Channel(h["channel"]),
        channel_order_id=h["channel_order_id"],
        order_type=OrderType(h["order_type"]),
        day_seq=h["day_seq"],
        pickup_code=h["pickup_code"],
        member_id=h["member_id"],
        customer=dict(h["customer_snapshot"] or {}),
        store_snapshot=dict(h["store_snapshot"] or {}),
        main_status=MainStatus(h["main_status"]),
        sub_status=h["sub_status"],
        refund_status=RefundStatus(h["refund_status"]),
        refunded_amount=h["refunded_amount"],
        amounts=Amounts(**{k: h[k] for k in AMOUNT_COLUMNS}),
        remark=h["remark"],
        channel_ext=dict(h["channel_ext"] or {}),
        placed_at=h["placed_at"],
        expected_at=h["expected_at"],
        paid_at=h["paid_at"],
        created_at=h["created_at"],
        updated_at=h["updated_at"],
        deleted_at=h["deleted_at"],
        legacy_id=h["legacy_id"],
        version=h["version"],
        items=[
            OrderItem(
                line_no=r["line_no"],
                name=r["name_snapshot"],
                qty=r["qty"],
                unit_price=r["unit_price"],
                line_total=r["line_total"],
                sku_id=r["sku_id"],
                sku_code=r["sku_code"],
                spec=r["spec"],
                properties=dict(r["properties"] or {}),
                box_qty=r["box_qty"],
                box_price=r["box_price"],
                parent_line_no=r["parent_line_no"],
                channel_item_ref=r["channel_item_ref"],
            )
            for r in items
        ],
        discounts=[
            Discount(
                kind=r["kind"],
                amount=r["amount"],
                merchant_part=r["merchant_part"],
                platform_part=r["platform_part"],
                name=r["name"],
                source_ref=r["source_ref"],
            )
            for r in discounts
        ],
        history=[
            StatusChange(
                track=Track(r["track"]),
                from_status=r["from_status"],
                to_status=r["to_status"],
                source=r["source"],
                at=r["at"],
                sub_status=r["sub_status"],
                reason=r["reason"],
                amount=r["amount"],
            )
            for r in history
        ],
        external_refs={
            r["system"]: ExternalRef(
                system=r["system"],
                state=HandoffState(r["state"]),
                ref_no=r["ref_no"],
                pulled_at=r["pulled_at"],
                acked_at=r["acked_at"],
                attempts=r["attempts"],
                error=r["error"],
                updated_at=r["updated_at"],
            )
            for r in refs
        },
    )
