"""Order lines and discount records (pure value objects).

A line keeps the name, spec and price as they were at order time (snapshots, never looked up
again). ``sku_id`` is ``None`` for a channel item the application could not map to a SKU; such a
line must keep the channel's own code in ``channel_item_ref`` so it can be mapped later
(domain.md §3.5, referential invariant). Discount records are the receipt breakdown the
promotion system or the channel computed; the center stores them, it never computes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.money import check_discount, check_line, fen, is_plain_fen


class LineError(InvalidInput):
    """An order line or discount record is malformed."""

    default_code = "INVALID_LINE"


@dataclass(frozen=True)
class OrderItem:
    line_no: int
    name: str  # name_snapshot
    qty: int
    unit_price: int  # fen, the price actually charged per unit
    line_total: int  # fen
    sku_id: int | None = None
    sku_code: str | None = None
    spec: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)  # e.g. {"food_property": "热"}
    box_qty: int = 0
    box_price: int = 0  # fen per box
    parent_line_no: int | None = None  # combo child → its combo line
    channel_item_ref: str | None = None  # the channel's own item code

    @property
    def unmapped(self) -> bool:
        return self.sku_id is None


@dataclass(frozen=True)
class Discount:
    kind: str  # e.g. FULL_REDUCTION, COUPON, HONGBAO, DELIVERY_FREE, ROUNDING
    amount: int  # fen
    merchant_part: int = 0
    platform_part: int = 0
    name: str | None = None
    source_ref: str | None = None  # coupon code, activity id …


def check_items(items: Sequence[OrderItem]) -> None:
    """Every line well-formed, numbered uniquely, combo children pointing at a real line."""
    if not items:
        raise LineError("an order needs at least one line in items")
    numbers = [item.line_no for item in items]
    if len(set(numbers)) != len(numbers):
        raise LineError(f"line numbers must be unique, got {numbers}")
    for item in items:
        line_no, box_qty = item.line_no, item.box_qty
        if isinstance(line_no, bool) or not isinstance(line_no, int):
            raise LineError(f"line_no must be an integer, got {line_no!r}")
        if line_no <= 0:
            raise LineError(f"line_no must be positive, got {line_no}")
        if not (item.name or "").strip():
            raise LineError(f"line {line_no} needs a name")
        check_line(line_no, item.qty, item.unit_price, item.line_total)
        if not is_plain_fen(item.box_price):
            fen(f"line {line_no} box_price", item.box_price)
        if isinstance(box_qty, bool) or not isinstance(box_qty, int):
            raise LineError(f"line {line_no} box_qty must be an integer")
        if box_qty < 0:
            raise LineError(f"line {line_no} box_qty must not be negative")
        if item.sku_id is None and not item.channel_item_ref:
            raise LineError(
                f"line {item.line_no} has neither sku_id nor channel_item_ref; an unmapped "
                "channel item must keep the channel's item code"
            )
        if item.parent_line_no is not None and (
            item.parent_line_no == item.line_no or item.parent_line_no not in numbers
        ):
            raise LineError(
                f"line {item.line_no} names parent line {item.parent_line_no}, which is not "
                "another line of this order"
            )


def check_discounts(discounts: Sequence[Discount]) -> None:
    for index, d in enumerate(discounts, start=1):
        if not (d.kind or "").strip():
            raise LineError(f"discount {index} needs a kind")
        check_discount(index, d.kind, d.amount, d.merchant_part, d.platform_part)
