"""The stores' POS as a client: pull new orders, ack with a ticket, report progress.

Each arrival is one POS request: a due step of an order this POS pulled (ack with a ticket
number, then making → ready with a pickup code → completed, and now and then a cancel), or
else a pull for a store — one with fresh orders most of the time, and the same store again
while the answer says ``iscontinue``. Orders in a pull are matched to the run's own orders by
order number, or (takeout orders, whose number the channel never learnt) by store and phone.
"""

from __future__ import annotations

from zhongtai.legacy.status import OrderStatus, PosSyncStatus
from zhongtai.workload.order_book import STEP_TARGET, LiveOrder, pos_step
from zhongtai.workload.traffic_context import Context

PROGRESS = {"making": "making", "ready": "ready", "pos_completed": "completed"}
PAGE_SIZES = (5, 10, 10, 20)


class PosClient:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.stores = {s.store_code: s for s in ctx.catalog.stores}
        self.more: list[str] = []  # stores whose last pull said iscontinue

    async def act(self, due: float) -> None:
        ctx = self.ctx
        queue = ctx.book.queue("pos")
        while (order := queue.pop_ready(ctx.clock())) is not None:
            try:
                step = pos_step(order, ctx.rng)
                if step is None:
                    continue  # finished, or taken over by another client
                await self._step(order, step, due)
                return
            finally:
                order.busy = False
        code = self.more.pop(0) if self.more else None
        if code is None and ctx.rng.random() < 0.8:
            code = ctx.book.take_fresh_store(ctx.rng)
        await self._pull(code or ctx.rng.choice(sorted(self.stores)), due)

    async def _pull(self, code: str, due: float) -> None:
        ctx = self.ctx
        body = {"store_code": code, "pos_id": f"POS-{code}-01", "page_size": _page(ctx)}
        reply = await ctx.caller.call(
            "pos.pull", "POST", "/api/pos/orders/pull", due=due, json=body
        )
        data = reply.data if reply.ok else None
        if not isinstance(data, dict):
            return
        if data.get("iscontinue"):
            self.more.append(code)
        store = self.stores[code]
        for item in data.get("orders") or []:
            number, phone = item.get("order_no"), item.get("recipient_phone")
            order = ctx.book.find_pulled(code, number, phone)
            if order is None:
                order = ctx.book.add(
                    LiveOrder(
                        origin="pos",
                        store=store,
                        channel=int(item.get("channel") or 0),
                        status=int(item.get("status", OrderStatus.NEW)),
                        order_no=number,
                    )
                )
                if int(item.get("create_time") or 0) >= ctx.started_unix - 1:
                    # Created during this run but not matched to what we sent: leave it alone
                    # rather than race the client that owns it.
                    ctx.counters["POS-pulled orders not matched to this run's orders"] += 1
                    order.dead = True
            ctx.ack("pos.pull", order, None, pos_sync_min=int(PosSyncStatus.PULLED))
            if order.dead or order.pos_pulled:
                continue
            order.pos_pulled = True
            ctx.later("pos", order)

    async def _step(self, order: LiveOrder, step: str, due: float) -> None:
        ctx = self.ctx
        body: dict = {"store_code": order.store.store_code, "order_no": order.order_no}
        expect: dict = {}
        if step == "ack":
            kind, path = "pos.ack", "/api/pos/orders/ack"
            body["ticket_no"] = ctx.ids.ticket()
            expect = {"pos_ticket_no": body["ticket_no"], "pos_sync_min": int(PosSyncStatus.ACKED)}
        elif step == "pos_cancel":
            kind, path = "pos.cancel", "/api/pos/orders/cancel"
            body["reason"] = ctx.rng.choice(("顾客要求取消", "门店缺货", "门店打烊"))
        else:
            kind, path = "pos.progress", "/api/pos/orders/progress"
            body["progress"] = PROGRESS[step]
            if step == "ready":
                body["pickup_code"] = ctx.ids.pickup_code()
                expect = {"pickup_code": body["pickup_code"]}
        reply = await ctx.caller.call(kind, "POST", path, due=due, json=body)
        if not reply.ok:
            order.dead = True
            return
        target = int(STEP_TARGET[step] or 0)
        answered = reply.data.get("status") if isinstance(reply.data, dict) else None
        if answered != target:
            ctx.caller.recorder.note_error(
                kind, f"{order.order_no} answered status {answered}, expected {target}"
            )
        order.status = target
        order.pos_acked = order.pos_acked or step == "ack"
        ctx.ack(kind, order, target, **expect)
        ctx.later("pos", order)


def _page(ctx: Context) -> int:
    return ctx.rng.choice(PAGE_SIZES)
