"""What happens to one seeded order, as a script of timed events (pure).

An order takes one path — completed, cancelled before or after the store accepted, rejected
by the POS, refunded, refund rejected or stuck — drawn at the rates below. ``script`` turns
the path into the events the live app would have seen, with the same sources, push types,
operators and remarks the live app writes (``zhongtai.legacy``): channel pushes
(``MT_PUSH``/``ELE_PUSH``), POS pull/ack/progress, the WeChat notify and mini-program
cancels and refunds (``MP``), an operator's clean-up (``ADMIN``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from zhongtai.workload import catalog
from zhongtai.workload.catalog import APP, BAIDU, ELE, MINI, MT

SOURCE = {MT: "MT_PUSH", ELE: "ELE_PUSH", BAIDU: "BD_PUSH"}  # BD_PUSH: a retired source
CHANNEL_SOURCES = frozenset(SOURCE.values())
# Push types exactly as the live push endpoints record them (t_push_log, channel_status).
PUSH = {
    MT: {
        "new": "new",
        "confirmed": "confirmed",
        "cancel": "cancelled",
        "late_cancel": "cancelled",
        "done": "completed",
        "refund": "refund.apply",
        "agree": "refund.agree",
        "reject": "refund.reject",
    },
    ELE: {
        "new": "10",
        "confirmed": "12",
        "cancel": "14",
        "late_cancel": "17",
        "done": "18",
        "refund": "30",
        "agree": "33",
        "reject": "32",
    },
    BAIDU: {
        "new": "new",
        "confirmed": "confirmed",
        "cancel": "cancel",
        "late_cancel": "cancel",
        "done": "finished",
    },
}
# Path rates per order; whatever is left completes normally.
OWN_PATHS = (
    ("cancel_unpaid", 0.04),
    ("cancel_new", 0.03),
    ("cancel_accepted", 0.01),
    ("pos_failed", 0.008),
    ("refunded", 0.025),
)
PLATFORM_PATHS = (
    ("cancel_new", 0.03),
    ("cancel_accepted", 0.02),
    ("pos_failed", 0.008),
    ("refunded", 0.02),
    ("refund_rejected", 0.005),
    ("refund_stuck", 0.003),
)
REFUND_CODE = {reason: code for code, reason in catalog.REFUND_REASONS}
UNPAID_TIMEOUT = 900  # seconds before an unpaid order was closed


class Event(NamedTuple):
    t: int  # local epoch seconds
    kind: str  # "status"; "pull" (POS pulled it); "push" (a channel push changing no status)
    to: int | None
    source: str | None
    push_type: str | None
    operator: str | None
    remark: str | None


def choose_path(r: float, channel: int, duplicate: bool) -> str:
    """The path for a uniform draw ``r``."""
    if duplicate:
        return "dup_cancel" if r < 0.6 else "completed"
    if channel == BAIDU:
        return "cancel_new" if r < 0.1 else "completed"
    for path, p in OWN_PATHS if channel in (MINI, APP) else PLATFORM_PATHS:
        if r < p:
            return path
        r -= p
    return "completed"


def script(
    rand: Callable[[], float], path: str, channel: int, created: int, pos_id: str
) -> list[Event]:
    """The events of ``path`` for an order created at ``created``, in time order."""
    t = created
    own = channel in (MINI, APP)
    src, push = SOURCE.get(channel), PUSH.get(channel, {})
    ev: list[Event] = []

    def after(lo: float, hi: float) -> int:  # minutes
        nonlocal t
        t += int((lo + rand() * (hi - lo)) * 60)
        return t

    def status(at: int, to: int, source: str | None, push_type=None, operator=None, remark=None):
        ev.append(Event(at, "status", to, source, push_type, operator, remark))

    def cancel_reason() -> str:
        code, reason = catalog.CANCEL_REASONS[int(rand() * len(catalog.CANCEL_REASONS))]
        return f"{code} {reason}" if channel == MT else reason

    if own:
        status(t, 0, "MP")
        if path == "cancel_unpaid":
            status(t + UNPAID_TIMEOUT, 6, "MP", remark="超时未支付自动取消")
            return ev
        status(after(0.2, 3), 1, "MP", remark="WX notify")
    else:
        status(t, 1, src, push["new"])
        if path == "dup_cancel":
            status(after(2, 30), 6, "ADMIN", operator="admin", remark="重复推单作废")
            return ev
    if path == "cancel_new":
        if rand() < 0.5:
            ev.append(Event(after(0.5, 2), "pull", None, "POS", None, pos_id, None))
        status(
            after(1, 10),
            6,
            "MP" if own else src,
            None if own else push["cancel"],
            remark=cancel_reason(),
        )
        return ev
    ev.append(Event(after(0.5, 3), "pull", None, "POS", None, pos_id, None))
    if path == "pos_failed":
        error = catalog.POS_ERRORS[int(rand() * len(catalog.POS_ERRORS))]
        status(after(0.5, 2), -1, "POS", operator=pos_id, remark=error)
        return ev
    status(after(0.5, 2), 2, "POS", operator=pos_id)
    if not own:  # the channel confirms after the store did: logged, no status change
        ev.append(Event(after(0.1, 0.5), "push", None, src, push["confirmed"], None, None))
    if path == "cancel_accepted":
        if own:
            status(after(2, 15), 6, "POS", remark=cancel_reason())
        else:
            status(after(2, 15), 6, src, push["late_cancel"], remark=cancel_reason())
        return ev
    status(after(1, 4), 3, "POS", "making")
    status(after(8, 20), 4, "POS", "ready")
    if own:
        status(after(5, 30), 5, "POS", "completed")
    else:
        status(after(10, 35), 5, src, push["done"])
    if path.startswith("refund"):
        reason = catalog.REFUND_REASONS[int(rand() * len(catalog.REFUND_REASONS))][1]
        if own:  # the mini-program refunds at once: 7 then 8 in the same second
            status(after(5, 25), 7, "MP", remark=reason)
            status(t, 8, "MP", remark=reason)
            return ev
        status(after(5, 25), 7, src, push["refund"], remark=reason)
        if path == "refunded":
            status(after(5, 25), 8, src, push["agree"])
        elif path == "refund_rejected":
            status(after(5, 25), 5, src, push["reject"], remark="商家拒绝退款")
    return ev
