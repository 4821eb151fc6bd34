"""Compensation pulls (补单), with pushes lost on purpose.

Most pulls first "lose" a push: the new order is deposited in the simulated channel open API
(``zhongtai serve channel``) instead of being pushed. Then ``POST /api/channel/{ch}/pull``
asks the target to fetch what it missed. Such an order counts as acknowledged only when the
pull reports having created it; one pull per (channel, store) is in flight at a time, so the
``created`` count can be attributed (when every store is being pulled, the arrival becomes a POS
pull instead). Without a reachable channel API this client is not run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from zhongtai.workload.catalog_view import StoreView
from zhongtai.workload.channel_client import build_takeout, live_order, new_order_payload
from zhongtai.workload.order_book import LiveOrder
from zhongtai.workload.traffic_context import Context

LOSE_SHARE = 0.6


class PullClient:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.stores = {ch: ctx.catalog.on_channel(ch) for ch in ("meituan", "eleme")}
        self.busy: set[tuple[str, str]] = set()
        self.waiting: dict[tuple[str, str], list[LiveOrder]] = {}
        self.deposited = 0
        self.recovered = 0

    def free_keys(self) -> list[tuple[str, StoreView]]:
        return [
            (channel, store)
            for channel, stores in self.stores.items()
            for store in stores
            if (channel, store.store_code) not in self.busy
        ]

    async def act(self, due: float, fallback: Callable[[float], Awaitable[None]]) -> None:
        """One compensation pull, or ``fallback`` when every (channel, store) is being pulled."""
        ctx = self.ctx
        free = self.free_keys()
        if not free:
            # A second pull of the same store would blur which pull created which order.
            ctx.counters["compensation pulls replaced by POS pulls (every store busy)"] += 1
            await fallback(due)
            return
        channel, store = ctx.rng.choice(free)
        key = (channel, store.store_code)
        self.busy.add(key)
        try:
            if ctx.rng.random() < LOSE_SHARE:
                await self._lose_push(channel, store)
                due = max(due, ctx.clock())  # the deposit is not the target's time
            await self._pull(channel, store.store_code, due)
        finally:
            self.busy.discard(key)

    async def _lose_push(self, channel: str, store) -> None:
        ctx = self.ctx
        takeout = build_takeout(ctx, channel, store)
        shop = takeout.shop
        body = {"shop": shop, "order": new_order_payload(channel, takeout)}
        reply = await ctx.caller.call(
            "channel_api.deposit", "POST", f"/{channel}/orders", due=ctx.clock(),
            style="plain", base=ctx.channel_api, json=body, record=False,
        )  # fmt: skip
        if not reply.ok:
            ctx.counters[f"deposits refused by the channel API ({reply.error})"] += 1
            return
        self.deposited += 1
        # In the book already (busy), so a POS that pulls it before our pull answers knows it.
        order = ctx.book.add(live_order(ctx, channel, store, takeout))
        order.busy = True
        self.waiting.setdefault((channel, store.store_code), []).append(order)

    async def _pull(self, channel: str, code: str, due: float) -> None:
        ctx = self.ctx
        kind = f"pull.{channel}"
        path = f"/api/channel/{channel}/pull"
        reply = await ctx.caller.call(kind, "POST", path, due=due, json={"store_code": code})
        if not reply.ok:
            return  # the lost orders stay waiting for the next pull of this store
        waiting = self.waiting.pop((channel, code), [])
        data = reply.data if isinstance(reply.data, dict) else {}
        created = data.get("created")
        if not isinstance(created, int) or created < len(waiting):
            ctx.caller.recorder.note_error(
                kind, f"pull for {code} created {created!r}, {len(waiting)} lost pushes waited"
            )
            for order in waiting:
                order.dead = True
            return
        for order in waiting:
            order.busy = False
            ctx.ack(f"pull.{channel}.recovered", order, order.status)
            ctx.book.mark_fresh(code)
            self.recovered += 1
