"""The back office as a client: order searches by store, status, channel, phone and date.

A search by the customer's mobile of a takeout order the run pushed, typed in any of the
usual formats, must find it (the admin compares digits); finding nothing is an error.
"""

from __future__ import annotations

from zhongtai.legacy.clock import now_local
from zhongtai.legacy.status import OrderStatus
from zhongtai.workload.traffic_context import Context

STATUSES = (OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
FORMATS = ("{0}", "+86 {1}-{2}-{3}", "{1} {2} {3}", "86-{0}")


def typed_phone(stored: str, rng) -> str:
    """The customer's number as a clerk types it: the mobile of a privacy number or a list,
    in one of the formats the stored data mixes (the search compares digits)."""
    mobile = stored.replace(",", "_").split("_")[0]
    is_mobile = len(mobile) == 11 and mobile.isdigit() and mobile.startswith("1")
    fmt = rng.choice(FORMATS) if is_mobile else "{0}"
    return fmt.format(mobile, mobile[:3], mobile[3:7], mobile[7:])


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
            if sought:
                params = {"phone": typed_phone(sought.phone or "", rng)}
            else:
                params = {"store_code": store.store_code}
        else:
            params = {"date_from": today, "date_to": today}
        params.update(page=rng.choice((1, 1, 2)) if "phone" not in params else 1, size=20)
        reply = await ctx.caller.call("admin.orders", "GET", "/api/admin/orders", due=due,
                                      params=params)  # fmt: skip
        if sought and reply.ok and isinstance(reply.data, dict) and not reply.data.get("total"):
            ctx.caller.recorder.note_error(
                "admin.orders",
                f"phone {params['phone']!r} finds nothing, yet {sought.phone!r} was acked",
            )

    def _pushed_order(self):
        """A takeout order of this run whose creation was acknowledged, or None."""
        pool = [
            o
            for o in self.ctx.book.orders[-300:]
            if o.channel_order_id and o.phone and not o.dead and not o.busy
        ]
        return self.ctx.rng.choice(pool) if pool else None
