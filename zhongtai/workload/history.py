"""Ninety days of orders, one day per batch, numbered the way the live app numbers them (pure).

For every day: the order times, a store per order (closed and deleted stores only before they
stopped selling), a channel the store is bound to, the store's next daily serial (``day_seq``
and the order number's last five digits), the order and its lifecycle. Re-push duplicates
take the day's next serial, as the live app would have given them. Each day ends with its
``t_day_seq`` counters, so the live app continues the numbering without collisions; the last
batch holds the ``t_pull_cursor`` rows.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from zhongtai.legacy.order_no import LEGACY_SERIALS
from zhongtai.workload.catalog import APP, BAIDU, ELE, MINI, MT
from zhongtai.workload.lifecycle import Lifecycle
from zhongtai.workload.master import Master, StoreRef
from zhongtai.workload.members import MemberRef
from zhongtai.workload.orders import Ids, OrderBuilder, duplicate
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import Day, local_times, order_times

CHANNEL_MIX = ((MT, 45), (ELE, 30), (MINI, 18), (APP, 7))  # share of orders, in percent
ORDER_TABLES = (
    "t_order",
    "t_order_item",
    "t_order_activity",
    "t_order_status_log",
    "t_push_log",
    "t_payment",
    "t_refund",
    "t_day_seq",
)
MAX_SERIAL = LEGACY_SERIALS[-1]  # legacy's part of the five-digit serial (the rest: platform)
DEAD_CHANNEL_AGE = 60  # days: Baidu was retired two months before the seed's "now"
REPUSH_AGE = 45  # days: t_push_log (idempotency) arrived 45 days ago


@dataclass
class Batch:
    rows: dict[str, list[dict]]
    orders: int  # t_order rows in this batch (the progress unit)


class TooManyOrders(ValueError):
    """A store would need more than legacy's 49,999 serials in one day."""


def order_history(
    rng: random.Random,
    dice: QuirkDice,
    master: Master,
    members: list[MemberRef],
    plan: list[Day],
    now: int,
) -> Iterator[Batch]:
    """One ``Batch`` per day of ``plan``, then one with the pull cursors."""
    ids = Ids()
    builder = OrderBuilder(rng, dice, master, members, ids)
    life = Lifecycle(rng, dice, ids, now)
    mix = {s.id: _channel_mix(s) for s in master.stores}
    last_seen: dict[tuple[int, int], tuple[int, str]] = {}
    rand = rng.random
    for day in plan:
        rows: dict[str, list[dict]] = {t: [] for t in ORDER_TABLES}
        times = order_times(rng, day)
        stores = [s for s in master.stores if s.weight and (s.sells_until or now) > day.start]
        picks = (
            rng.choices(
                stores, cum_weights=list(accumulate(s.weight for s in stores)), k=len(times)
            )
            if times
            else []
        )
        serials: dict[int, int] = {}
        yymmdd = f"{day.day:%y%m%d}"
        pending_dup = None
        for t, store in zip(times, picks, strict=True):
            if pending_dup is not None:  # this slot goes to the re-push of the previous order
                store, d = pending_dup.store, pending_dup
                t = d.created + 3 + int(rand() * 60)
            serial = serials[store.id] = serials.get(store.id, 0) + 1
            if serial > MAX_SERIAL:
                raise TooManyOrders(
                    f"store {store.code} needs more than {MAX_SERIAL} orders on {day.day}"
                )
            if pending_dup is not None:
                channel = d.header["channel"]
                draft = duplicate(
                    builder, d, f"{channel}{yymmdd}{store.code}{serial:05d}", serial, t
                )
                life.play(draft, rows, duplicate=True)
                pending_dup = None
            else:
                channel = _channel(rand, mix[store.id])
                if day.age_days > DEAD_CHANNEL_AGE and dice.roll("dead_channel"):
                    channel = BAIDU
                order_no = f"{channel}{yymmdd}{store.code}{serial:05d}"
                draft = builder.build(channel, store, t, order_no, serial)
                life.play(draft, rows)
                last_seen[(channel, store.id)] = (t, draft.header["channel_order_id"])
                slots_left = len(rows["t_order"]) + 2 <= len(times)
                if (
                    channel in (MT, ELE)
                    and day.age_days > REPUSH_AGE
                    and slots_left
                    and dice.roll("repush_duplicate")
                ):
                    pending_dup = draft
            rows["t_order"].append(draft.header)
            rows["t_order_item"].extend(draft.items)
            rows["t_order_activity"].extend(draft.activities)
        rows["t_day_seq"] = [
            {"store_id": sid, "biz_date": f"{day.day:%Y%m%d}", "seq": n}
            for sid, n in sorted(serials.items())
        ]
        yield Batch(rows, len(rows["t_order"]))
    yield Batch({"t_pull_cursor": _cursors(rng, master.stores, last_seen, now)}, 0)


def _channel_mix(store: StoreRef) -> tuple[tuple[int, ...], list[float]]:
    bound = [
        (c, w) for c, w in CHANNEL_MIX if (c != MT or store.mt_poi) and (c != ELE or store.ele_shop)
    ]
    return tuple(c for c, _ in bound), list(accumulate(w for _, w in bound))


def _channel(rand, mix: tuple[tuple[int, ...], list[float]]) -> int:
    channels, cum = mix
    r = rand() * cum[-1]
    for channel, edge in zip(channels, cum, strict=True):
        if r < edge:
            return channel
    return channels[-1]


def _cursors(rng, stores: list[StoreRef], last_seen, now: int) -> list[dict]:
    """Where the compensation pull left off per bound, open store and channel."""
    local = local_times().local
    rows = []
    for store in stores:
        if store.status != 1:
            continue
        for channel, bound in ((MT, store.mt_poi), (ELE, store.ele_shop)):
            if not bound:
                continue
            seen_at, last_id = last_seen.get((channel, store.id), (now - 86_400, None))
            pulled = max(seen_at, now - 60 - int(rng.random() * 540))
            rows.append(
                {
                    "id": len(rows) + 1,
                    "channel": channel,
                    "store_id": store.id,
                    "last_pull_time": local(pulled),
                    "last_order_id": last_id,
                    "update_time": local(pulled),
                }
            )
    return rows
