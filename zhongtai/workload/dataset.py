"""The whole seeded legacy dataset as a stream of row chunks (pure, deterministic).

``LegacyDataset(stores=…, members=…, orders=…, seed=…).chunks()`` yields ``(rows by table,
orders in the chunk)``: master data first, then members, then one chunk per day of order
history, then the pull cursors. One ``random.Random(seed)`` drives everything in a fixed
order and "now" is ``timeline.ANCHOR``, so the same arguments give the same rows, byte for
byte, wherever they are written.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime

from zhongtai.workload.history import order_history
from zhongtai.workload.master import build_master
from zhongtai.workload.members import build_members
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import ANCHOR, HISTORY_DAYS, local_seconds, plan_days

MEMBER_CHUNK = 20_000
Chunk = tuple[dict[str, list[dict]], int]


class LegacyDataset:
    """Rows for every legacy table; ``dice`` holds the quirk tallies once ``chunks`` ran."""

    def __init__(
        self,
        *,
        stores: int,
        members: int,
        orders: int,
        seed: int,
        anchor: datetime = ANCHOR,
        days: int = HISTORY_DAYS,
    ) -> None:
        if stores < 1:
            raise ValueError(f"stores must be at least 1, got {stores}")
        if members < 0 or orders < 0:
            raise ValueError(f"members and orders cannot be negative ({members}, {orders})")
        self.stores, self.members, self.orders = stores, members, orders
        self.seed, self.anchor, self.days = seed, anchor, days
        self.rng = random.Random(seed)
        self.dice = QuirkDice(self.rng)

    def chunks(self) -> Iterator[Chunk]:
        """Row chunks in insertion order (every referenced row comes before its referrer)."""
        now = local_seconds(self.anchor)
        master = build_master(self.rng, self.dice, self.stores, now)
        yield master.rows, 0
        member_rows, refs = build_members(self.rng, self.dice, self.members, self.stores, now)
        for i in range(0, len(member_rows), MEMBER_CHUNK):
            yield {"t_member": member_rows[i : i + MEMBER_CHUNK]}, 0
        del member_rows
        plan = plan_days(self.orders, self.anchor, self.days)
        for batch in order_history(self.rng, self.dice, master, refs, plan, now):
            yield batch.rows, batch.orders

    def busiest_store_day(self) -> float:
        """Expected orders of the busiest store on the busiest day (checks order-number room)."""
        now = local_seconds(self.anchor)
        rng = random.Random(self.seed)  # a throwaway copy: the master data is cheap to redo
        stores = build_master(rng, QuirkDice(rng), self.stores, now).stores
        busiest = 0.0
        for day in plan_days(self.orders, self.anchor, self.days):
            open_ = [s for s in stores if s.weight and (s.sells_until or now) > day.start]
            if open_ and day.orders:
                share = max(s.weight for s in open_) / sum(s.weight for s in open_)
                busiest = max(busiest, day.orders * share)
        return busiest
