"""The order center's status history → legacy ``t_order_status_log`` rows (pure).

The inverse of :func:`~zhongtai.migrate.mappings.order_parts.history_rows`: every history row
becomes the one legacy move (from, to status ints) that maps forward to the same track and
statuses, with the row's own source, reason and time, so legacy's log reads as the platform's
history and maps back to it row for row. Where several moves fit, the one ending at the
status legacy's ``t_order`` shows after the step wins, then the one starting where the
previous move ended (legacy's log is a chain). A step no legacy move maps to (a sub-status
only the platform sets) is logged as a move in place, so the log stays row for row. A main
step with the refund set aside (``REFUND_SET_ASIDE``) right after the refund started is
logged as legacy logged it, a move out of 7 (退款中) to the new status; the refund set aside in
place (the sub-status alone, right after the refund started) as a move 7 → 7, which legacy
never logs itself (its own 7 → the status before reads as the refund rejected); the refund of
such an order under way again as a move into 7.

One history row has no move of its own: the refund-track step right after a cancellation
(the refund of a paid mini-program order, cancelled). Legacy logs such a cancellation as one
move to 6 and keeps the refund in ``t_refund`` (reverse-synced with the payment center's
refunds), from which the forward mapping rebuilds the step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zhongtai.legacy.status import OrderStatus
from zhongtai.migrate.mappings.order_parts import MAIN, REFUND, SUB, move_of
from zhongtai.migrate.statuses import REFUND_SET_ASIDE, legacy_order_status
from zhongtai.migrate.times import TransformError, utc_to_local

Row = Mapping[str, Any]
CODES: tuple[int, ...] = tuple(sorted(int(s) for s in OrderStatus))
REFUNDING = int(OrderStatus.REFUNDING)
SOURCE_MAX = 16  # t_order_status_log.source
REMARK_MAX = 255

_FITS: dict[tuple[Any, ...], list[tuple[int | None, int]]] = {}


def _fits(want: tuple[Any, ...], order_type: int) -> list[tuple[int | None, int]]:
    """Every legacy move (from, to) that maps forward to ``want`` (track, from, to, sub)."""
    key = (*want, order_type)
    found = _FITS.get(key)
    if found is None:
        found = [
            (src, dst)
            for src in (None, *CODES)
            for dst in CODES
            if move_of(src, dst, order_type) == want
        ]
        if len(_FITS) < 4096:
            _FITS[key] = found
    return found


def _fits_loose(want: tuple[Any, ...], order_type: int) -> list[tuple[int | None, int]]:
    """The moves that fit ``want`` but for its sub-status (the center keeps the sub-status an
    order had on every refund-track row; legacy's log has no room for it)."""
    track, src, dst, _ = want
    return [f for sub in (None, "EXCEPTION") for f in _fits((track, src, dst, sub), order_type)]


def _cancel_refund(rows: Sequence[Row], index: int) -> bool:
    row = rows[index]
    if index == 0 or row["track"] != REFUND or row["to_status"] != "SUCCEEDED":
        return False
    before = rows[index - 1]
    return before["track"] == MAIN and before["to_status"] == "CANCELLED"


def log_rows(order_id: int, history: Sequence[Row], order_type: int) -> list[dict]:
    """``t_order_status_log`` rows of order ``order_id`` (legacy id) for its center history."""
    rows = sorted(history, key=lambda r: r["seq"])
    main, refund, sub = None, "NONE", None
    previous: int | None = None
    logged = []
    for index, row in enumerate(rows):
        track, target = row["track"], row["to_status"]
        if track == MAIN:
            main, sub = target, row["sub_status"]
        elif track == REFUND:
            refund = target
        elif track == SUB:
            sub = target
        if _cancel_refund(rows, index):
            continue
        try:
            shown: int | None = legacy_order_status(main, refund, sub)[0] if main else None
        except TransformError:
            shown = None
        want = (track, row["from_status"], target, row["sub_status"])
        fits = _fits(want, order_type) or _fits_loose(want, order_type)
        if fits:
            src, dst = max(fits, key=lambda f: (f[1] == shown, f[0] == previous))
            if track == MAIN and row["sub_status"] == REFUND_SET_ASIDE and previous == REFUNDING:
                src = previous  # moved on out of 7, the refund left open
        elif track == SUB and row["from_status"] == REFUND_SET_ASIDE and target is None:
            src, dst = previous, REFUNDING  # the refund set aside is under way again
        else:  # a step legacy has no move for: a move in place keeps the log row for row
            src = dst = previous if previous is not None else (shown or 0)
        reason = row["reason"]
        logged.append(
            {
                "order_id": order_id,
                "from_status": src,
                "to_status": dst,
                "source": (row["source"] or None) and row["source"][:SOURCE_MAX],
                "push_type": None,
                "operator": None,
                "remark": reason[:REMARK_MAX] if reason else None,
                "create_time": utc_to_local(row["at"]),
            }
        )
        previous = dst
    return logged
