"""Play a seeded order's events into the rows the live app leaves behind (pure).

``Lifecycle.play`` draws the order's path (``paths``), applies its events through the legacy
state machine up to the seed's "now" — later events have not happened yet, so the youngest
orders are still in flight — and writes what the live app writes on each: a
``t_order_status_log`` row per status change, a ``t_push_log`` row per distinct channel push,
POS pull/ack columns, one ``t_payment`` (fen) per mini-program/App order, a ``t_refund`` for
refunds and paid cancellations; finally the order's status columns.
"""

from __future__ import annotations

import random

from zhongtai.legacy.status import TRANSITIONS, check_transition
from zhongtai.workload import quirks
from zhongtai.workload.catalog import APP, BAIDU, ELE, MINI, MT
from zhongtai.workload.orders import Draft, Ids
from zhongtai.workload.paths import CHANNEL_SOURCES, REFUND_CODE, Event, choose_path, script
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import local_times

ALLOWED = {(int(a), int(b)) for a, targets in TRANSITIONS.items() for b in targets}
# Rows of the two busiest tables are tuples in these column orders (a test checks the schema).
STATUS_LOG_COLUMNS = (
    "id",
    "order_id",
    "from_status",
    "to_status",
    "source",
    "push_type",
    "operator",
    "remark",
    "create_time",
)
PUSH_LOG_COLUMNS = ("id", "channel", "channel_order_id", "push_type", "order_id", "create_time")
WX_APPID, WX_MCH = "wx5f1c0a2b3d4e6f70", "1900000109"


class Lifecycle:
    def __init__(self, rng: random.Random, dice: QuirkDice, ids: Ids, now: int) -> None:
        self.rng, self.dice, self.ids, self.now = rng, dice, ids, now
        self.local = local_times().local

    def play(self, d: Draft, rows: dict[str, list], duplicate: bool = False) -> None:
        """Fill ``d.header``'s status columns and append its logs, pushes, payment, refund.

        ``t_order_status_log`` and ``t_push_log`` rows are tuples (``STATUS_LOG_COLUMNS``,
        ``PUSH_LOG_COLUMNS``): they are most of the seeded rows, and dicts cost time.
        """
        rand = self.rng.random
        channel = d.header["channel"]
        path = choose_path(rand(), channel, duplicate)
        pos_id = f"POS{d.store.code[-2:]}{1 + int(rand() * 3):02d}"
        events = script(rand, path, channel, d.created, pos_id)
        self._apply(d, channel, path, events, rows, channel in (MT, ELE) and not duplicate)

    def _apply(
        self, d: Draft, channel: int, path: str, events: list[Event], rows, log_pushes: bool
    ) -> None:
        h, local, ids = d.header, self.local, self.ids
        oid, logs, push_log = h["id"], rows["t_order_status_log"], rows["t_push_log"]
        status = prev = None
        seen: dict[int, str] = {}  # status -> local time string it was reached
        pulled_at = last_push = failed = None
        pushes: set[str] = set()
        version, last_t, last_stamp = 0, d.created, h["create_time"]
        changed_at = last_stamp
        for t, kind, to, source, push_type, operator, remark in events:
            if t >= self.now:
                break  # still in the future at the seed's "now"
            last_t, last_stamp = t, local(t)
            if source in CHANNEL_SOURCES:
                last_push = push_type
                if log_pushes and push_type not in pushes:
                    pushes.add(push_type)
                    ids.push += 1
                    push_log.append(
                        (ids.push, channel, h["channel_order_id"], push_type, oid, last_stamp)
                    )
            if kind != "status":
                pulled_at = last_stamp if kind == "pull" else pulled_at
                version += 1
                continue
            if status is not None:
                if (status, to) not in ALLOWED:
                    check_transition(status, to)  # raises: seeded paths obey the live rules
                version += 1
            ids.log += 1
            logs.append((ids.log, oid, status, to, source, push_type, operator, remark, last_stamp))
            prev, status, changed_at = status, to, last_stamp
            if to not in seen:
                seen[to] = last_stamp
            if to == -1:
                failed = remark
        self._settle(d, channel, path, events, rows, status, prev, seen, changed_at)
        pos_sync = (
            3 if failed else 2 if 2 in seen else 1 if pulled_at else 0 if status in (0, 1) else 9
        )
        own = channel in (MINI, APP)
        skewed = self.dice.roll("update_before_create")
        h.update(
            status=status,
            channel_status=None if own else last_push,
            version=version,
            pos_sync_status=pos_sync,
            pos_pull_time=pulled_at or self._none_time(),
            pos_ack_time=seen.get(2) or self._none_time(),
            pos_ticket_no=f"{(h['day_seq'] * 37 + 1000) % 10_000:04d}" if 2 in seen else None,
            pos_retry=3 if failed else 0,
            pos_error=failed,
            pickup_code=f"A{h['day_seq'] % 1000:03d}"
            if own and 4 in seen and h["order_type"] != 1
            else None,
            update_time=local(last_t - quirks.UTC_SKEW_SECONDS) if skewed else last_stamp,
        )

    def _settle(self, d, channel, path, events, rows, status, prev, seen, changed_at) -> None:
        """Money columns that follow the path: pay_status, refund_status, payment, refund."""
        h = d.header
        own = channel in (MINI, APP)
        paid = own and 1 in seen
        pay_status = (1 if paid else 0) if own else (1 if h["pay_type"] == 2 else 0)
        refund = None
        if own and status == 6 and paid:  # a paid own order cancelled: refunded in full at once
            refund = self._refund(
                d, channel, seen[6], seen[6], 5, True, "user" if prev == 1 else "merchant", events
            )
        elif 7 in seen:
            if status in (5, 8):  # agreed (8) or rejected (back to 5) by the last change
                state, done = (5 if status == 8 else 2), changed_at
            else:  # still 7: stuck in arbitration, or not answered yet
                state, done = (3 if path == "refund_stuck" else 1), None
            refund = self._refund(d, channel, seen[7], done, state, None, None, events)
        refund_status = refund["status"] if refund else 0
        if refund and refund["status"] == 5 and (refund["type"] == 1 or not own) and pay_status:
            pay_status = 2
        if status == 5 and self.dice.roll("inconsistent_status"):
            if self.rng.random() < 0.5:
                pay_status = 0
            else:
                refund_status = 5
        h.update(pay_status=pay_status, refund_status=refund_status)
        if own:
            rows["t_payment"].append(self._payment(d, channel, seen.get(1), status))
        if refund:
            rows["t_refund"].append(refund)

    def _none_time(self) -> str | None:
        return quirks.ZERO if self.dice.roll("zero_date") else None

    def _refund(self, d, channel, applied, done, state, whole, source, events) -> dict:
        """A ``t_refund`` row; ``whole=None`` lets the RNG choose whole or partial."""
        rand = self.rng.random
        h = d.header
        if whole is None:
            whole = rand() < 0.7 or len(d.line_fens) == 1
        amount = d.total_fen if whole else min(max(d.line_fens), d.total_fen)
        reason = next((e.remark for e in events if e.to in (6, 7) and e.remark), None)
        self.ids.refund += 1
        rid = self.ids.refund
        platform = channel in (MT, ELE, BAIDU)
        return {
            "id": rid,
            "order_id": h["id"],
            "refund_no": f"RF{h['order_no']}01",
            "channel_refund_id": str(500_000_000_000_000_000 + rid * 100 + int(rand() * 100))
            if platform
            else None,
            "type": 1 if whole else 2,
            "source": source or ("platform" if rand() < 0.1 else "user"),
            "amount": amount / 100,
            "reason_code": REFUND_CODE.get(reason),
            "reason": reason,
            "status": state,
            "apply_time": applied,
            "finish_time": done or self._none_time(),
        }

    def _payment(self, d: Draft, channel: int, paid_at: str | None, status: int) -> dict:
        """The order's one ``t_payment`` (``P`` + order number), in fen, as the app keeps it."""
        h, r = d.header, self.rng.random()
        if not paid_at:
            pay_channel = "WX_JSAPI"  # what the live app creates
        elif channel == MINI:
            pay_channel = "WX_JSAPI" if r < 0.92 else "BALANCE"
        else:
            pay_channel = "ALIPAY" if r < 0.55 else "WX_JSAPI" if r < 0.9 else "BALANCE"
        self.ids.payment += 1
        out_trade_no, fee = f"P{h['order_no']}", d.total_fen  # drift included, as charged
        txn = time_end = raw = None
        if paid_at:
            time_end = paid_at.replace("-", "").replace(":", "").replace(" ", "")
            if pay_channel != "BALANCE":
                txn = f"4200001{time_end[:8]}{self.ids.payment:013d}"
                raw = _notify_raw(pay_channel, out_trade_no, txn, fee, time_end)
        return {
            "id": self.ids.payment,
            "order_id": h["id"],
            "order_no": h["order_no"],
            "pay_channel": pay_channel,
            "out_trade_no": out_trade_no,
            "transaction_id": txn,
            "total_fee": fee,
            "status": 1 if paid_at else 3 if status == 6 else 0,
            "time_end": time_end,
            "notify_raw": raw,
            "create_time": h["create_time"],
        }


def _notify_raw(pay_channel: str, out_trade_no: str, txn: str, fee: int, time_end: str) -> str:
    if pay_channel == "ALIPAY":
        return (
            f"trade_status=TRADE_SUCCESS&out_trade_no={out_trade_no}&trade_no={txn}"
            f"&total_amount={fee / 100:.2f}&gmt_payment={time_end}"
        )
    return (
        f"<xml><return_code><![CDATA[SUCCESS]]></return_code><appid><![CDATA[{WX_APPID}]]>"
        f"</appid><mch_id>{WX_MCH}</mch_id><result_code><![CDATA[SUCCESS]]></result_code>"
        f"<out_trade_no><![CDATA[{out_trade_no}]]></out_trade_no><total_fee>{fee}</total_fee>"
        f"<cash_fee>{fee}</cash_fee><transaction_id><![CDATA[{txn}]]></transaction_id>"
        f"<time_end>{time_end}</time_end></xml>"
    )
