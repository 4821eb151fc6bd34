"""What reverse sync carries back to legacy, and how each row finds its legacy twin (data).

Reverse sync covers the order-side data that store traffic writes on the platform: orders
(with their items and discounts), payments and refunds. Each is the forward mapping run
backwards through its ``inverse``; the spec adds what the inverse cannot know:

``natural_key``  the legacy column that identifies a row when the center row has no
                 ``legacy_id`` yet (a row born on the platform): ``order_no``, ``out_trade_no``,
                 ``refund_no`` are UNIQUE in legacy.
``order_no``     where the row's order number is (the store code inside it decides whether
                 the row's store is on the platform).
``parent``       a legacy column to fill with the legacy id of the order (``t_payment.order_id``)
                 found by order number: the platform keeps order numbers, not legacy ids.
``on_delete``    what a hard delete on the platform becomes: ``soft`` sets the legacy
                 soft-delete flag, ``hard`` deletes.
``status_log``   append to ``t_order_status_log`` the rows of the center's status history
                 legacy does not have yet (source, reason and time as the platform took them).
``version``      the optimistic-lock column both sides bump on every write (``t_order.version``,
                 carried across by both syncers): a legacy row already at the center row's
                 version or beyond took a write the platform has not seen, and is left alone
                 (a conflict, reported) instead of being overwritten with an older state.
``pushes``       carry the order's ``channel_pushes`` rows (the channel pushes the platform
                 took) into ``t_push_log``, which legacy's push idempotency check reads.
``day_seq``      a created order whose serial is in legacy's range (numbered before the
                 platform had a range of its own) raises legacy's store-day counter
                 (``t_day_seq``) to it, so legacy does not number another order alike.
``decoded``      columns compared by what they decode to (``ext_json``: the channel payload
                 legacy may keep URL-encoded or spaced differently) so they are rewritten only
                 when the content changed.
``merge_rules``  for an order both systems wrote at once (:mod:`.agreed`), how to settle a
                 column both changed: ``status`` takes the one that comes after the other.

Stores, the menu and members are brand-wide master data, not keyed by store traffic, and are
not reverse-synced.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

from zhongtai.legacy.status import later_status
from zhongtai.migrate.mapping import Mapping
from zhongtai.migrate.mappings import all_mappings
from zhongtai.migrate.mappings.order_inverse import raw_ext

REVERSED = ("orders", "payments", "refunds")


@dataclass(frozen=True)
class ReverseSpec:
    mapping: str
    natural_key: str
    order_no: str  # column of the main target row holding the order number
    parent: str | None = None
    on_delete: str = "hard"  # hard | soft
    soft_delete: tuple[str, int] | None = None  # (column, value) for on_delete = soft
    status_log: bool = False
    version: str | None = None
    pushes: bool = False
    day_seq: bool = False
    decoded: MappingABC[str, Callable[[Any], Any]] = field(default_factory=dict)
    merge_rules: MappingABC[str, Callable[[Any, Any], Any]] = field(default_factory=dict)


SPECS = {
    "orders": ReverseSpec(
        "orders",
        natural_key="order_no",
        order_no="order_no",
        on_delete="soft",
        soft_delete=("del_flag", 1),
        status_log=True,
        version="version",
        pushes=True,
        day_seq=True,
        decoded={"ext_json": raw_ext},
        merge_rules={"status": later_status},
    ),
    "payments": ReverseSpec(
        "payments", natural_key="out_trade_no", order_no="order_no", parent="order_id"
    ),
    "refunds": ReverseSpec(
        "refunds", natural_key="refund_no", order_no="order_no", parent="order_id"
    ),
}


def reverse_mappings() -> list[Mapping]:
    """The forward mappings reverse sync runs backwards, in apply order (orders first)."""
    known = all_mappings()
    return [known[name] for name in REVERSED]
