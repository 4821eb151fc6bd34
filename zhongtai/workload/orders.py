"""One seeded order as the legacy app would have written it on arrival (pure).

``OrderBuilder.build`` makes the ``t_order`` row with its items and discount lines
(``lines``) and customer (``customers``); money is worked out in integer fen and written in
float yuan (the legacy's DOUBLE columns), with the total's float drift and the channel's own
order id (above 2^53 for most platform orders). What happens to the order afterwards
(status, POS, payments, refunds) is ``lifecycle``'s business.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate

from zhongtai.legacy.status import OrderType
from zhongtai.workload import quirks
from zhongtai.workload.catalog import BAIDU, ELE, MINI, MT, PLATFORMS, yuan
from zhongtai.workload.customers import fill_customer, raw_payload
from zhongtai.workload.lines import LineMaker
from zhongtai.workload.master import Master, StoreRef
from zhongtai.workload.members import MemberRef
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import local_times

# Unique, increasing platform ids: base + order id * 1000 + noise. Above 2^53 or not.
ID_BASE_BIG = {
    MT: 27_000_000_000_000_000,
    ELE: 3_000_000_000_000_000_000,
    BAIDU: 15_000_000_000_000_000,
}
ID_BASE_SMALL = 1_000_000_000_000_000
SERVICE_RATE = {MT: 0.2, ELE: 0.18, BAIDU: 0.15}


@dataclass
class Ids:
    """Next primary key per table; the seed assigns ids itself so rows can reference them."""

    order: int = 0
    item: int = 0
    activity: int = 0
    log: int = 0
    push: int = 0
    payment: int = 0
    refund: int = 0


@dataclass
class Draft:
    """An order just built: its rows plus what ``lifecycle`` needs to play it forward."""

    header: dict
    items: list[dict]
    activities: list[dict]
    store: StoreRef
    member: MemberRef | None
    created: int  # local epoch seconds
    total_fen: int  # as stored (drift included)
    line_fens: list[int] = field(default_factory=list)


class OrderBuilder:
    """Builds orders as first stored, numbering rows from the shared ``Ids``."""

    def __init__(
        self,
        rng: random.Random,
        dice: QuirkDice,
        master: Master,
        members: list[MemberRef],
        ids: Ids,
    ) -> None:
        self.rng, self.dice, self.master, self.ids = rng, dice, master, ids
        self.times = local_times()
        self.lines = LineMaker(rng, dice, master, ids)
        self.members = [m for m in members if not m.deleted]
        self.member_cum = list(accumulate(1 / (1 + i % 50) for i in range(len(self.members))))

    def build(
        self, channel: int, store: StoreRef, created: int, order_no: str, day_seq: int
    ) -> Draft:
        """The order as it was first stored (status filled in later by ``lifecycle``)."""
        rng, rand, dice = self.rng, self.rng.random, self.dice
        self.ids.order += 1
        oid = self.ids.order
        platform = channel in PLATFORMS
        order_type = _order_type(rand(), channel)
        member = None
        if not platform and self.members:
            member = rng.choices(self.members, cum_weights=self.member_cum)[0]
        items, line_fens, package = self.lines.items(oid, channel, store, order_type)
        goods = sum(line_fens)
        shipping = 0  # the mini-program/App never charged delivery
        if platform and order_type == OrderType.DELIVERY:
            shipping = (0, 200, 300, 400, 500, 600)[int(rand() * 6)]
        acts, merchant, platform_part, hongbao = self.lines.activities(
            oid, channel, goods, shipping
        )
        original = goods + package + shipping
        discount = merchant + platform_part
        total = original - discount
        if dice.roll("float_drift"):
            total = quirks.drift_fen(rng, total)
        service = round((goods + package - merchant) * SERVICE_RATE[channel]) if platform else 0
        stamp = self.times.local(created)
        income = goods + package - merchant - service if platform else total
        header = {
            "id": oid,
            "order_no": order_no,
            "channel": channel,
            "channel_order_id": self._channel_id(channel, oid) if platform else None,
            "day_seq": day_seq,
            "store_id": store.id,
            "store_code": store.code,
            "store_name": store.old_name
            if store.old_name and created < store.renamed_at
            else store.name,
            "member_id": member.id if member else None,
            "platform_user_id": str(100_000_000 + oid * 7 % 900_000_000)
            if channel == ELE
            else None,
            "order_type": int(order_type),
            "original_amount": quirks.float_sum([*line_fens, package, shipping])
            if dice.roll("float_sum")
            else yuan(original),
            "total_amount": yuan(total),
            "shipping_fee": yuan(shipping),
            "package_fee": yuan(package),
            "discount_amount": yuan(discount),
            "merchant_subsidy": yuan(merchant),
            "platform_subsidy": yuan(platform_part),
            "hongbao": yuan(hongbao),
            "service_fee": service,
            "income": income,
            "pay_type": 1 if platform and rand() < 0.01 else 2,
            "invoice_title": "上海某某信息科技有限公司" if rand() < 0.01 else None,
            "table_no": None,
            "dine_people": None,
            "pickup_code": None,
            "order_time": stamp,
            "create_time": stamp,
            "del_flag": 0,
        }
        fill_customer(rng, dice, header, channel, order_type, store, member, created)
        header["ext_json"] = raw_payload(dice, header, channel, store, created, day_seq)
        return Draft(header, items, acts, store, member, created, total, line_fens)

    def _channel_id(self, channel: int, oid: int) -> str:
        noise = int(self.rng.random() * 1000)
        if self.dice.roll("platform_id_above_2_53"):
            return str(ID_BASE_BIG[channel] + oid * 1000 + noise)
        return str(ID_BASE_SMALL + oid * 1000 + noise)


def _order_type(r: float, channel: int) -> OrderType:
    if channel in PLATFORMS:
        return OrderType.DELIVERY if r < 0.97 else OrderType.PICKUP
    if channel == MINI:
        return (
            OrderType.PICKUP if r < 0.6 else OrderType.DINE_IN if r < 0.85 else OrderType.DELIVERY
        )
    return OrderType.PICKUP if r < 0.5 else OrderType.DELIVERY if r < 0.9 else OrderType.DINE_IN


def duplicate(builder: OrderBuilder, d: Draft, order_no: str, day_seq: int, created: int) -> Draft:
    """The row a re-push created for an order already stored: same channel id, new keys."""
    ids, stamp = builder.ids, builder.times.local(created)
    ids.order += 1
    oid = ids.order
    header = dict(
        d.header, id=oid, order_no=order_no, day_seq=day_seq, order_time=stamp, create_time=stamp
    )
    items = []
    for item in d.items:
        ids.item += 1
        items.append(dict(item, id=ids.item, order_id=oid))
    acts = []
    for act in d.activities:
        ids.activity += 1
        acts.append(dict(act, id=ids.activity, order_id=oid))
    return Draft(header, items, acts, d.store, d.member, created, d.total_fen, d.line_fens)
