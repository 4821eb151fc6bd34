"""The back office as a client: order searches by store, status, channel, phone and date.

A search by the phone of a takeout order the run pushed must find it (the admin matches any
stored phone format by its digits); finding nothing there is counted as an error.
"""

from __future__ import annotations

from zhongtai.legacy.clock import now_local
from zhongtai.legacy.status import OrderStatus
from zhongtai.workload.traffic_context import Context

STATUSES = (OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)


class AdminClient:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def act(self, due: float) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        store = rng.choice(ctx.catalog.stores)
        today = f"{now_local():%Y-%m-%d}"
        roll = rng.random()
        sought = None
        if roll < 0.3:
            params: dict = {"store_code": store.store_code}
        elif roll < 0.5:
            params = {"store_code": store.store_code, "status": int(rng.choice(STATUSES))}
        elif roll < 0.65:
            params = {"channel": rng.randint(1, 4), "date_from": today, "date_to": today}
        elif roll < 0.85:
            sought = self._pushed_order()
            params = {"phone": sought.phone} if sought else {"store_code": store.store_code}
        else:
            params = {"date_from": today, "date_to": today}
        params.update(page=rng.choice((1, 1, 2)) if "phone" not in params else 1, size=20)
        reply = await ctx.caller.call("admin.orders", "GET", "/api/admin/orders", due=due,
                                      params=params)  # fmt: skip
        if sought and reply.ok and isinstance(reply.data, dict) and not reply.data.get("total"):
            ctx.caller.recorder.note_error(
                "admin.orders", f"phone {sought.phone} finds nothing, yet its order was acked"
            )

    def _pushed_order(self):
        """A takeout order of this run whose creation was acknowledged, or None."""
        pool = [
            o
            for o in self.ctx.book.orders[-300:]
            if o.channel_order_id and o.phone and not o.dead and not o.busy
        ]
        return self.ctx.rng.choice(pool) if pool else None
