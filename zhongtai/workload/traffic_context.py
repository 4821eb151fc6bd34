"""What every client of a traffic run shares: the caller, the catalog, the order book, the log."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from zhongtai.workload.acked import AckedLog
from zhongtai.workload.catalog_view import Catalog
from zhongtai.workload.order_book import LiveOrder, OrderBook
from zhongtai.workload.run_ids import RunIds
from zhongtai.workload.traffic_http import Caller


@dataclass
class Context:
    caller: Caller
    catalog: Catalog
    log: AckedLog
    ids: RunIds
    rng: random.Random
    clock: Callable[[], float]  # the event loop's clock, the one ``due`` times are on
    pace: float  # seconds: the typical gap between two steps of one order
    started_unix: float
    channel_api: str | None = None  # None: unreachable, no lost-push scenarios
    book: OrderBook = field(default_factory=OrderBook)
    counters: Counter = field(default_factory=Counter)

    def later(self, client: str, order: LiveOrder) -> None:
        """Schedule ``order``'s next step for ``client`` a little while from now."""
        delay = self.rng.uniform(0.2, 1.0) * self.pace
        self.book.queue(client).push(self.clock() + delay, order)

    def now_unix(self) -> int:
        return int(time.time())

    def ack(self, kind: str, order: LiveOrder, status: int | None, **expect) -> None:
        """Log an acknowledged write on ``order``; ``status`` None means it changed nothing."""
        self.log.write(kind, status=status, expect=expect, **order.ids())
