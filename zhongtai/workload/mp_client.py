"""The brand's mini-program and App as a client: browse, order, pay, look, cancel, refund.

Each arrival is one request: a due step of an order it placed (the WeChat Pay notify,
sometimes twice; reading the order back; cancelling or refunding; the member's order list),
or else a new customer action — list stores, read a menu, place an order from a menu it read
(only SKUs the menu says are on sale). A few requests provoke a documented error on purpose
(an unknown order number or store) and count as fine when the documented code comes back.
"""

from __future__ import annotations

from zhongtai.legacy.clock import now_local, wechat_str
from zhongtai.legacy.status import Channel, OrderStatus, OrderType, PaymentStatus
from zhongtai.workload.order_book import MP_PLANS, LiveOrder, draw_plan, next_legal_step
from zhongtai.workload.payloads import wechat_notify_xml
from zhongtai.workload.traffic_context import Context

PROVOKED_SHARE = 0.03
UNKNOWN_ORDER, UNKNOWN_STORE = 40403, 40401
XML = {"Content-Type": "text/xml; charset=utf-8"}


class MiniProgramClient:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.menus: dict[int, list[dict]] = {}  # store_id -> SKUs on sale, from the menu API
        self.cities = sorted({s.city for s in ctx.catalog.stores if s.city})

    async def act(self, due: float) -> None:
        ctx = self.ctx
        queue = ctx.book.queue("mp")
        while (order := queue.pop_ready(ctx.clock())) is not None:
            try:
                step = next_legal_step(order)
                if step is None:
                    ctx.counters["steps overtaken by other clients"] += 1
                    continue
                await self._step(order, step, due)
                return
            finally:
                order.busy = False
        roll = ctx.rng.random()
        if roll < PROVOKED_SHARE:
            await self._provoke(due)
        elif roll < 0.15:
            await self._stores(due)
        elif roll < 0.35 or not self.menus or not ctx.catalog.members:
            await self._menu(due)
        elif roll < 0.85:
            await self._order(due)
        else:
            await self._member_orders(due, None)

    async def _stores(self, due: float) -> None:
        params = {"city": self.ctx.rng.choice(self.cities)} if self.cities else {}
        await self.ctx.caller.call("mp.stores", "GET", "/api/mp/stores", due=due, params=params)

    async def _menu(self, due: float) -> None:
        store = self.ctx.rng.choice(self.ctx.catalog.stores)
        path = f"/api/mp/stores/{store.store_id}/menu"
        reply = await self.ctx.caller.call("mp.menu", "GET", path, due=due)
        if reply.ok and isinstance(reply.data, dict):
            skus = [
                sku
                for category in reply.data.get("categories") or []
                for product in category.get("products") or []
                for sku in product.get("skus") or []
                if not sku.get("sold_out")
            ]
            if skus:
                self.menus[store.store_id] = skus

    def _order_body(self, store_id: int) -> tuple[dict, int, int]:
        ctx, rng = self.ctx, self.ctx.rng
        skus = self.menus[store_id]
        member = rng.choice(ctx.catalog.members)
        source = rng.choice((Channel.MINI_PROGRAM, Channel.MINI_PROGRAM, Channel.APP))
        order_type = rng.choice((OrderType.PICKUP, OrderType.PICKUP, OrderType.DINE_IN))
        if rng.random() < 0.25:
            order_type = OrderType.DELIVERY
        picks = rng.sample(skus, k=min(len(skus), rng.randint(1, 3)))
        body: dict = {
            "store_id": store_id,
            "member_id": member.member_id,
            "source": int(source),
            "order_type": int(order_type),
            "items": [{"sku_id": s["sku_id"], "quantity": rng.choice((1, 1, 2))} for s in picks],
        }
        if rng.random() < 0.3:
            body["remark"] = rng.choice(("少冰", "去辣", "打包", "多放葱🌶"))
        if order_type == OrderType.DINE_IN:
            body.update(table_no=f"A{rng.randint(1, 30):02d}", dine_people=rng.randint(1, 6))
        elif order_type == OrderType.DELIVERY:
            body.update(
                recipient_name=rng.choice(("王(先生)", "林(女士)")),
                recipient_phone=ctx.ids.mobile(),
                recipient_address="上海市徐汇区漕溪北路88号",
            )
        return body, member.member_id, int(source)

    async def _order(self, due: float) -> None:
        ctx = self.ctx
        store_id = ctx.rng.choice(sorted(self.menus))
        store = next(s for s in ctx.catalog.stores if s.store_id == store_id)
        body, member_id, source = self._order_body(store_id)
        reply = await ctx.caller.call("mp.order", "POST", "/api/mp/orders", due=due, json=body)
        data = reply.data if reply.ok and isinstance(reply.data, dict) else None
        if data is None or not data.get("order_no"):
            if reply.ok:
                ctx.caller.recorder.note_error("mp.order", f"no order_no in {reply.body!r:.200}")
            return
        member = next(m for m in ctx.catalog.members if m.member_id == member_id)
        order = ctx.book.add(
            LiveOrder(
                origin="mp",
                store=store,
                channel=source,
                status=int(data.get("status", OrderStatus.PENDING_PAYMENT)),
                order_no=data["order_no"],
                total=float(data.get("total_amount") or 0),
                out_trade_no=data.get("out_trade_no"),
                total_fee=int(data.get("total_fee") or 0),
                member=member,
            )
        )
        ctx.ack("mp.order", order, order.status, out_trade_no=order.out_trade_no)
        order.plan = draw_plan(MP_PLANS, ctx.rng)
        ctx.later("mp", order)

    def _notify(self, order: LiveOrder) -> str:
        ids = self.ctx.ids
        return wechat_notify_xml(
            out_trade_no=order.out_trade_no or "",
            total_fee=order.total_fee,
            transaction_id=ids.transaction_id(),
            openid=order.member.openid if order.member else "",
            time_end=wechat_str(now_local()),
            nonce_str=ids.nonce(),
        )

    async def _step(self, order: LiveOrder, step: str, due: float) -> None:
        ctx, call = self.ctx, self.ctx.caller.call
        no = order.order_no
        if step in ("pay", "pay_again"):
            kind = "mp.pay_notify" if step == "pay" else "mp.pay_notify_repeat"
            reply = await call(
                kind, "POST", "/api/mp/pay/notify", due=due, style="wechat",
                data=self._notify(order).encode(), headers=XML,
            )  # fmt: skip
            if reply.ok:
                order.paid = True
                if step == "pay":
                    order.status = OrderStatus.NEW
                    ctx.book.mark_fresh(order.store.store_code)
                status = OrderStatus.NEW if step == "pay" else None
                ctx.ack(kind, order, status, out_trade_no=order.out_trade_no,
                        payment_status=int(PaymentStatus.SUCCESS))  # fmt: skip
        elif step == "detail":
            reply = await call("mp.order_detail", "GET", f"/api/mp/orders/{no}", due=due)
            read = reply.data.get("status") if isinstance(reply.data, dict) else order.status
            if reply.ok and read != order.status:
                why = f"{no} reads status {read}, acknowledged {order.status}"
                ctx.caller.recorder.note_error("mp.order_detail", why)
        elif step == "member_orders":
            reply = await self._member_orders(due, order)
        else:  # cancel, refund
            body: dict = {"reason": "不想要了" if step == "cancel" else "餐品洒了"}
            if step == "refund" and ctx.rng.random() < 0.3:
                body["amount"] = round(order.total / 2, 2)
            path = f"/api/mp/orders/{no}/{step}"
            reply = await call(f"mp.{step}", "POST", path, due=due, json=body)
            if reply.ok:
                refund = step == "refund" or order.paid
                order.status = OrderStatus.CANCELLED if step == "cancel" else OrderStatus.REFUNDED
                ctx.ack(f"mp.{step}", order, order.status, **({"refund": True} if refund else {}))
        if not reply.ok:
            order.dead = True
            return
        order.plan.pop(0)
        if order.plan:
            ctx.later("mp", order)

    async def _member_orders(self, due: float, order: LiveOrder | None):
        ctx = self.ctx
        member = order.member if order and order.member else ctx.rng.choice(ctx.catalog.members)
        path = f"/api/mp/members/{member.member_id}/orders"
        params = {"page": 1, "size": 20}
        reply = await ctx.caller.call("mp.member_orders", "GET", path, due=due, params=params)
        data = reply.data if reply.ok else None
        if order is not None and isinstance(data, dict) and not data.get("total"):
            why = f"member {member.member_id} lists no order, yet {order.order_no} was acked"
            ctx.caller.recorder.note_error("mp.member_orders", why)
        return reply

    async def _provoke(self, due: float) -> None:
        ctx = self.ctx
        if ctx.rng.random() < 0.5:
            # Well formed, but store ZZ9999 does not exist.
            path = f"/api/mp/orders/3{now_local():%y%m%d}ZZ9999{ctx.rng.randint(1, 99999):05d}"
            await ctx.caller.call("mp.provoked", "GET", path, due=due, expect_code=UNKNOWN_ORDER)
        else:
            path = f"/api/mp/stores/{10**12 + ctx.rng.randint(1, 999)}/menu"
            await ctx.caller.call("mp.provoked", "GET", path, due=due, expect_code=UNKNOWN_STORE)
