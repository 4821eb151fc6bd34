"""The parts of a legacy order the order center keeps in child tables (pure).

Lines and discounts become the center's value objects (``OrderItem``, ``Discount``) so its own
checks apply; every row is shaped exactly as :mod:`zhongtai.platform.order.rows` writes it
(a unit test rebuilds the center's aggregate from these rows and compares).

Rules worth knowing:

* **Lines.** ``unit_price``/``line_total`` are yuan → fen. A line whose total is not
  ``qty × price`` keeps its total and the per-unit price it implies when that divides evenly,
  otherwise the order is quarantined (``line_total_mismatch``). A gift line with a negative
  price becomes a zero-priced line plus a ``GIFT`` discount of the same amount (the center
  refuses negative prices; the money still adds up). Legacy-only line fields go to
  ``properties`` (``food_property``, ``erp_code``, ``channel_sku_id``, ``is_gift``, ``cart_id``).
* **Discounts.** ``act_type`` → ``kind`` (reduce → FULL_REDUCTION, delivery → DELIVERY_FEE,
  new_user → NEW_USER, hongbao → HONGBAO, coupon → COUPON, others upper-cased); when the
  float parts miss the amount by one fen the platform part absorbs it.
* **History.** ``t_order_status_log`` → one row per move: 7/8 are moves on the REFUND track,
  -1 on the SUB track (``EXCEPTION``), the rest on the MAIN track. A move to 8 carries the
  amount of its ``t_refund`` row; a cancellation with a refund of its own (no move to 8) is
  followed by the REFUND-track step the center records for it. A move out of 7 back to the
  status the order had before the refund is the refund rejected (REFUND track); a move out of
  7 to another status is the store or channel moving the order on with the refund left open
  (legacy keeps ``refund_status`` 1): a MAIN-track step from the status before the refund,
  with sub-status ``REFUND_SET_ASIDE``, as is every later MAIN step until the refund moves.
  A move into 7 of an order moved on so is its refund under way again (SUB track, the
  sub-status cleared); a move 7 → 7, which legacy never logs but reverse sync does, is the
  refund set aside in place (the store moved the order to the status it already had).
* **POS handoff.** ``pos_sync_status`` 0/1/2/3/9 → external ref ``POS`` in state
  PENDING/PULLED/ACKED/FAILED/NOT_NEEDED with the ticket number as ``ref_no``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from zhongtai.legacy.status import OrderStatus, RefundStatus
from zhongtai.migrate.mappings._common import UNKNOWN_TIME
from zhongtai.migrate.statuses import REFUND_SET_ASIDE
from zhongtai.migrate.transforms import (
    TransformError,
    clean_code,
    local_to_utc,
    order_status,
    yuan_to_fen,
)
from zhongtai.platform.order.handoff import HandoffState
from zhongtai.platform.order.lines import Discount, OrderItem
from zhongtai.platform.order.model import Track

Row = Mapping[str, Any]

MAIN, SUB, REFUND = Track.MAIN.value, Track.SUB.value, Track.REFUND.value
KINDS = {
    "reduce": "FULL_REDUCTION",
    "delivery": "DELIVERY_FEE",
    "new_user": "NEW_USER",
    "hongbao": "HONGBAO",
    "coupon": "COUPON",
}
GIFT = "GIFT"
ASIDE = REFUND_SET_ASIDE
REFUND_DONE = RefundStatus.SUCCESSFUL  # t_refund.status of a refund paid back
# The legacy statuses the history walk tests, as plain ints: an enum member is looked up on
# its class at every use, several times dearer than the comparison itself.
_REFUNDING, _REFUNDED = int(OrderStatus.REFUNDING), int(OrderStatus.REFUNDED)
_CANCELLED = int(OrderStatus.CANCELLED)
_INTO_REFUND = (_REFUNDING, _REFUNDED)
_OFF_LIFECYCLE = (None, _REFUNDING, _REFUNDED)


def items(rows: Sequence[Row], sku_codes: Mapping[int, str]) -> tuple[list[OrderItem], int]:
    """Order lines, plus the fen of negative gift lines turned into a GIFT discount."""
    lines, gift = [], 0
    for line_no, row in enumerate(rows, start=1):
        qty = row["quantity"]
        unit = yuan_to_fen(row["price"])
        total = row["total"]
        total = unit * qty if total is None else yuan_to_fen(total)
        props: dict[str, Any] = {}
        if value := row["property"]:
            props["food_property"] = value
        if value := row["erp_code"]:
            props["erp_code"] = value
        if value := row["channel_sku_id"]:
            props["channel_sku_id"] = value
        if row["is_gift"]:
            props["is_gift"] = True
        if value := row["cart_id"]:
            props["cart_id"] = value
        if (value := row["food_discount"]) not in (None, 1, 1.0):
            props["food_discount"] = value
        if total < 0 or unit < 0:
            gift += -min(total, unit * qty, 0)
            props["legacy_price"] = unit
            unit = total = 0
        elif qty and total != unit * qty:
            if total % qty:
                raise TransformError(
                    f"line {line_no}: total {total} fen is not {qty} × {unit} fen and does not "
                    f"divide by {qty} (line_total_mismatch)"
                )
            props["list_unit_price"] = unit
            unit = total // qty
        ref = clean_code(row["channel_food_code"]) or clean_code(row["channel_item_id"])
        sku_id = row["sku_id"]
        sku_code = sku_codes.get(sku_id) if sku_id is not None else None
        # The name is a snapshot; a line without one is named by what identifies it.
        name = (row["name"] or "").strip() or sku_code or (ref and f"未映射商品 {ref}") or ""
        lines.append(
            OrderItem(
                line_no=line_no,
                name=name[:128],
                qty=qty,
                unit_price=unit,
                line_total=total,
                sku_id=sku_id,
                sku_code=sku_code,
                spec=row["spec"],
                properties=props,
                box_qty=row["box_num"] or 0,
                box_price=yuan_to_fen(row["box_price"]) or 0,
                channel_item_ref=ref,
            )
        )
    return lines, gift


def discounts(rows: Sequence[Row], gift: int) -> list[Discount]:
    found = []
    for row in rows:
        amount = yuan_to_fen(row["amount"]) or 0
        merchant = yuan_to_fen(row["merchant_part"]) or 0
        platform = yuan_to_fen(row["platform_part"]) or 0
        if merchant + platform != amount:
            if abs(merchant + platform - amount) > 1:
                raise TransformError(
                    f"discount {row['act_name']!r}: parts {merchant} + {platform} fen are not "
                    f"its amount {amount} fen"
                )
            platform = amount - merchant  # float parts one fen off: the platform absorbs it
        act_type = row["act_type"]
        kind = KINDS.get((act_type or "").strip()) or (act_type or "OTHER").upper()
        found.append(Discount(kind[:32], amount, merchant, platform, row["act_name"]))
    if gift:
        found.append(Discount(GIFT, gift, gift, 0, "赠品 (legacy negative line)"))
    return found


def item_rows(order_id: int, lines: Sequence[OrderItem]) -> list[dict]:
    """``order_items`` rows (as ``zhongtai.platform.order.rows.static_rows`` writes them)."""
    return [
        {
            "order_id": order_id,
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
        for i in lines
    ]


def discount_rows(order_id: int, found: Sequence[Discount]) -> list[dict]:
    return [
        {
            "order_id": order_id,
            "seq": seq,
            "kind": d.kind,
            "amount": d.amount,
            "merchant_part": d.merchant_part,
            "platform_part": d.platform_part,
            "name": d.name,
            "source_ref": d.source_ref,
        }
        for seq, d in enumerate(found, start=1)
    ]


_STATE_CACHE: dict[tuple[int | None, int], tuple[str, str | None]] = {}


def _state(code: int | None, order_type: int) -> tuple[str, str | None]:
    """(main status, sub) a legacy status int stands for in a history row."""
    if code is None:
        return "", None
    cached = _STATE_CACHE.get((code, order_type))
    if cached is None:
        main, _, sub = order_status(code if code not in (7, 8) else 1, 0, order_type)
        cached = _STATE_CACHE[(code, order_type)] = (main, sub)
    return cached


def move_of(src: int | None, dst: int, order_type: int) -> tuple[str, Any, Any, Any]:
    """(track, from, to, sub-status) of one legacy status change."""
    if dst in (OrderStatus.REFUNDING, OrderStatus.REFUNDED):
        before = "APPLIED" if src == OrderStatus.REFUNDING else "NONE"
        after = "APPLIED" if dst == OrderStatus.REFUNDING else "SUCCEEDED"
        return (REFUND, before, after, None)
    if src == OrderStatus.REFUNDING:  # refund refused or revoked: back to the lifecycle
        return (REFUND, "APPLIED", "REJECTED", None)
    if dst == OrderStatus.EXCEPTION:
        return (SUB, None, "EXCEPTION", "EXCEPTION")
    old, old_sub = _state(src, order_type)
    new, _ = _state(dst, order_type)
    if old_sub == "EXCEPTION" and new == old:
        return (SUB, "EXCEPTION", None, None)
    return (MAIN, old or None, new, None)


# A few dozen (from, to, order type) triples cover a whole history; each is decided once.
_move = functools.lru_cache(maxsize=4096)(move_of)


def history_rows(
    order_id: int, rows: Sequence[Row], order_type: int, refunds: Sequence[Row] = ()
) -> list[dict]:
    """``order_status_history`` rows from the legacy status log (and its successful refunds).

    A move to 8 (refunded) carries the amount (fen) of the order's next successful refund, as
    the center's refund track does. Legacy logs a cancellation that refunds the order at once
    (a paid mini-program order) as one move to 6 and writes the refund apart: a successful
    refund no move to 8 accounts for is that cancellation's, and becomes the refund-track
    step the center records right after the cancel.
    """
    done = refunds and [
        yuan_to_fen(r["amount"]) or 0 for r in refunds if r["status"] == REFUND_DONE
    ]
    amounts, unlogged, cancel = iter(()), (), None
    if done:  # most orders have no refund: nothing to pair with the moves to 8
        refunded = sum(1 for row in rows if row["to_status"] == _REFUNDED)
        amounts, unlogged = iter(done[:refunded]), done[refunded:]
    if unlogged:
        cancels = [i for i, row in enumerate(rows) if row["to_status"] == _CANCELLED]
        cancel = cancels[-1] if cancels else None
    refund_state = "NONE"
    before: int | None = None  # the status an order had when its open refund started
    aside = False  # moved on with its refund open
    sub: str | None = None  # the sub-status after the previous step
    changes = []
    for index, row in enumerate(rows):
        seq = len(changes) + 1
        src, dst = row["from_status"], row["to_status"]
        move = _move(src, dst, order_type)
        if src == dst == _REFUNDING:
            aside, move = True, (SUB, sub, ASIDE, ASIDE)
        elif dst in _INTO_REFUND:
            if aside and dst == _REFUNDING and src not in _OFF_LIFECYCLE:
                move = (SUB, ASIDE, None, None)
            aside = False
            if dst == _REFUNDING and src not in _OFF_LIFECYCLE:
                before = src
        elif src == _REFUNDING and before is not None and dst not in (before, -1):
            aside = True  # not back where the refund started: moved on, refund still open
            move = (MAIN, _state(before, order_type)[0], _state(dst, order_type)[0], ASIDE)
        elif aside and move[0] == MAIN:
            move = (*move[:3], ASIDE)
        track, old, new, sub_status = move
        if track != REFUND:
            sub = sub_status if track == MAIN else new
        remark = row["remark"]
        change = {
            "order_id": order_id,
            "seq": seq,
            "track": track,
            "from_status": old,
            "to_status": new,
            "sub_status": sub_status,
            "source": (row["source"] or "LEGACY")[:32],
            "reason": remark[:255] if remark else None,
            "amount": next(amounts, None) if dst == _REFUNDED else None,
            "at": local_to_utc(row["create_time"]) or UNKNOWN_TIME,
        }
        changes.append(change)
        if track == REFUND:
            refund_state = new
        if index == cancel:
            changes.append(
                {
                    **change,
                    "seq": seq + 1,
                    "track": REFUND,
                    "from_status": refund_state,
                    "to_status": "SUCCEEDED",
                    "sub_status": None,
                    "amount": sum(unlogged),
                }
            )
    return changes


def status_before_refund(rows: Sequence[Row]) -> int | None:
    """The status an order had when its latest refund started (from the status log)."""
    before = None
    for row in rows:
        src, dst = row["from_status"], row["to_status"]
        # Entering 7 (refunding), or 8 (refunded) straight from a lifecycle status.
        if dst in _INTO_REFUND and src not in (7, None):
            before = src
    return before


_HANDOFF = {
    0: HandoffState.PENDING,
    1: HandoffState.PULLED,
    2: HandoffState.ACKED,
    3: HandoffState.FAILED,
    9: HandoffState.NOT_NEEDED,
}
_HANDOFF_VALUES = {code: state.value for code, state in _HANDOFF.items()}  # .value is dear


def pos_ref_row(order_id: int, row: Row, queued: datetime) -> dict:
    """The ``external_refs`` row of the POS handoff; never pulled nor acked, it was last
    touched when the order was ``queued`` (its creation: legacy marks every new order to pull,
    and the order center queues it then)."""
    try:
        state = _HANDOFF_VALUES[row["pos_sync_status"]]
    except KeyError:
        raise TransformError(f"pos_sync_status {row['pos_sync_status']!r} is unknown") from None
    pulled, acked = local_to_utc(row["pos_pull_time"]), local_to_utc(row["pos_ack_time"])
    return {
        "order_id": order_id,
        "system": "POS",
        "state": state,
        "ref_no": row["pos_ticket_no"] or None,
        "pulled_at": pulled,
        "acked_at": acked,
        "attempts": row["pos_retry"] or (1 if pulled else 0),
        "error": (row["pos_error"] or None) and row["pos_error"][:255],
        "updated_at": acked or pulled or queued,
    }
