"""The takeout platforms as clients: Meituan form pushes and Eleme JSON pushes.

Each arrival is one push: a due follow-up of an order this channel created (confirmed,
completed, cancelled, refund apply/agree/reject — Eleme types 12/18/14/17/30/33/32), now and
then a deliberate re-push of something already acknowledged (which must change nothing), or
else a new order for a store bound to the channel, with dishes by their channel codes.
"""

from __future__ import annotations

from collections import deque

from zhongtai.legacy.status import Channel, OrderStatus
from zhongtai.workload.catalog_view import StoreView
from zhongtai.workload.order_book import (
    CHANNEL_PLANS,
    LiveOrder,
    draw_plan,
    next_legal_step,
    step_target,
)
from zhongtai.workload.payloads import (
    Line,
    Takeout,
    eleme_new_message,
    eleme_push_body,
    eleme_status_message,
    meituan_new_form,
    meituan_refund_form,
    meituan_status_form,
)
from zhongtai.workload.traffic_context import Context

CHANNEL_CODE = {"meituan": Channel.MEITUAN, "eleme": Channel.ELEME}
REPUSH_SHARE = 0.08
NAMES = ("张(先生)", "李(女士)", "王(先生)", "陈(女士)", "刘(先生)", "赵(女士)", "Li Wei")
STREETS = ("南京西路", "淮海中路", "漕溪北路", "世纪大道", "延安东路", "四川北路", "虹桥路")
CAUTIONS = ("", "", "少放辣", "不要香菜", "【如遇高峰期，请耐心等待】", "收餐人隐私号 184…_7333")
ELEME_STATUS = {"confirmed": 12, "completed": 18, "refund_apply": 30, "refund_agree": 33}
ELEME_REFUND = {"refund_reject": 32}


def build_takeout(ctx: Context, channel: str, store: StoreView) -> Takeout:
    """A plausible new order for ``store`` on ``channel``, dishes chosen by channel code."""
    rng, ids = ctx.rng, ctx.ids
    skus = ctx.catalog.channel_skus(store.store_id, channel)
    lines = []
    for sku in rng.sample(skus, k=min(len(skus), rng.randint(1, 4))):
        quantity = rng.choice((1, 1, 1, 2, 3))
        lines.append(
            Line(
                code=sku.mt_food_code if channel == "meituan" else sku.ele_item_id,
                sku_id=sku.mt_sku_id if channel == "meituan" else sku.ele_sku_id,
                name=sku.name,
                spec=sku.spec,
                price=sku.price,
                quantity=quantity,
                box_num=sku.box_num * quantity,
                box_price=sku.box_price,
                ext_code=sku.sku_code,
                category_id=sku.category_id,
            )
        )
    food = sum(line.price * line.quantity for line in lines)
    discount = rng.choice((0.0, 0.0, 3.0, 5.0)) if food >= 20 else 0.0
    order_id = ids.meituan_order_id() if channel == "meituan" else ids.eleme_order_id()
    now = ctx.now_unix()
    return Takeout(
        order_id=order_id,
        shop=(store.mt_poi_code if channel == "meituan" else store.ele_shop_id) or "",
        shop_name=store.store_name,
        recipient_name=rng.choice(NAMES),
        phone=ids.privacy_phone() if channel == "meituan" else ids.mobile(),
        address=f"{store.city}{rng.choice(STREETS)}{rng.randint(1, 1999)}号",
        lng=round(store.lng + rng.uniform(-0.02, 0.02), 6),
        lat=round(store.lat + rng.uniform(-0.02, 0.02), 6),
        lines=tuple(lines),
        created=now,
        shipping_fee=rng.choice((0.0, 3.0, 5.0, 6.5)),
        discount=discount,
        merchant_part=round(discount / 2, 2),
        day_seq=ids.day_seq(store.store_code),
        caution=rng.choice(CAUTIONS),
        delivery_time=0 if rng.random() < 0.8 else now + 3600,
        user_id=str(rng.randint(10**8, 10**9)),
        open_id=store.ele_open_id or "",
    )


def new_order_payload(channel: str, order: Takeout) -> dict:
    """What a "new" push carries: Meituan's form fields, or Eleme's message object."""
    return meituan_new_form(order) if channel == "meituan" else eleme_new_message(order)


def live_order(ctx: Context, channel: str, store: StoreView, order: Takeout) -> LiveOrder:
    return LiveOrder(
        origin=channel,
        store=store,
        channel=CHANNEL_CODE[channel],
        status=OrderStatus.NEW,
        channel_order_id=order.order_id,
        phone=order.phone,
        total=order.total,
    )


class ChannelClient:
    """One takeout platform pushing to the target."""

    def __init__(self, ctx: Context, channel: str) -> None:
        self.ctx, self.channel = ctx, channel
        self.stores = ctx.catalog.on_channel(channel)
        self.sent: deque[tuple[str, dict, LiveOrder]] = deque(maxlen=200)

    @property
    def style(self) -> str:
        return self.channel

    async def act(self, due: float) -> None:
        ctx = self.ctx
        queue = ctx.book.queue(self.channel)
        while (order := queue.pop_ready(ctx.clock())) is not None:
            try:
                step = next_legal_step(order)
                if step is None:
                    ctx.counters["steps overtaken by other clients"] += 1
                    continue
                await self._follow_up(order, step, due)
                return
            finally:
                order.busy = False
        if self.sent and ctx.rng.random() < REPUSH_SHARE:
            await self._repush(due)
        else:
            await self._new(due)

    async def _send(self, kind: str, path: str, kwargs: dict, due: float):
        return await self.ctx.caller.call(kind, "POST", path, due=due, style=self.style, **kwargs)

    def _new_request(self, order: Takeout) -> tuple[str, dict]:
        if self.channel == "meituan":
            return "/api/channel/meituan/new", {"data": meituan_new_form(order)}
        body = eleme_push_body(
            10,
            eleme_new_message(order),
            shop=order.shop,
            request_id=self.ctx.ids.request_id(),
            now_ms=order.created * 1000,
            user_id=order.user_id,
        )
        return "/api/channel/eleme/push", {"json": body}

    async def _new(self, due: float) -> None:
        ctx = self.ctx
        store = ctx.rng.choice(self.stores)
        takeout = build_takeout(ctx, self.channel, store)
        order = ctx.book.add(live_order(ctx, self.channel, store, takeout))
        path, kwargs = self._new_request(takeout)
        order.busy = True
        try:
            reply = await self._send(f"{self.channel}.new", path, kwargs, due)
        finally:
            order.busy = False
        if not reply.ok:
            order.dead = True  # it may or may not exist now; leave it alone
            return
        ctx.ack(f"{self.channel}.new", order, OrderStatus.NEW)
        ctx.book.mark_fresh(store.store_code)
        self.sent.append((path, kwargs, order))
        order.plan = draw_plan(CHANNEL_PLANS, ctx.rng)
        if order.plan:
            ctx.later(self.channel, order)

    def _step_request(self, order: LiveOrder, step: str) -> tuple[str, str, dict]:
        ctx, cid = self.ctx, order.channel_order_id or ""
        now = ctx.now_unix()
        refund = step.startswith("refund")
        kind = f"{self.channel}.{'refund' if refund else 'status'}"
        if self.channel == "meituan":
            shop = order.store.mt_poi_code or ""
            if refund:
                order.refund_id = order.refund_id or ctx.ids.refund_id()
                notify = step.removeprefix("refund_")
                form = meituan_refund_form(
                    cid, shop, notify, refund_id=order.refund_id, money=order.total, now=now
                )
                return kind, "/api/channel/meituan/refund", {"data": form}
            form = meituan_status_form(cid, shop, step, now=now)
            return kind, f"/api/channel/meituan/{step}", {"data": form}
        if step == "cancelled":
            push_type = 14 if order.status == OrderStatus.NEW else 17
        else:
            push_type = ELEME_STATUS.get(step) or ELEME_REFUND[step]
        message = eleme_status_message(cid, push_type, now=now, amount=order.total)
        body = eleme_push_body(
            push_type,
            message,
            shop=order.store.ele_shop_id or "",
            request_id=ctx.ids.request_id(),
            now_ms=now * 1000,
        )
        return kind, "/api/channel/eleme/push", {"json": body}

    async def _follow_up(self, order: LiveOrder, step: str, due: float) -> None:
        ctx = self.ctx
        kind, path, kwargs = self._step_request(order, step)
        reply = await self._send(kind, path, kwargs, due)
        if not reply.ok:
            order.dead = True
            return
        target = step_target(step, order)
        if step == "refund_apply":
            order.before_refund = order.status
        order.status = int(target) if target is not None else order.status
        refunded = step in ("refund_apply", "refund_agree")
        ctx.ack(kind, order, order.status, **({"refund": True} if refunded else {}))
        self.sent.append((path, kwargs, order))
        order.plan.pop(0)
        if order.plan:
            ctx.later(self.channel, order)

    async def _repush(self, due: float) -> None:
        path, kwargs, order = self.ctx.rng.choice(self.sent)
        reply = await self._send(f"{self.channel}.repush", path, kwargs, due)
        if reply.ok:
            self.ctx.ack(f"{self.channel}.repush", order, None)
