"""What a seeded order bought and what was taken off: items and discount lines (pure).

Items carry the SKU and each channel's codes as the channel sends them (Meituan
``app_food_code``/``sku_id``, Eleme item/sku ids), the store's price, box counts the way each
channel counts them, and the item quirks: lines pointing at soft-deleted SKUs, unmapped
channel items (``sku_id`` NULL) and gift lines at zero or negative prices. Discounts split
into merchant and platform parts. Money is integer fen here, written as float yuan.
"""

from __future__ import annotations

import random
from itertools import accumulate

from zhongtai.legacy.status import OrderType
from zhongtai.workload import catalog
from zhongtai.workload.catalog import APP, BAIDU, ELE, MINI, MT, PLATFORMS, yuan
from zhongtai.workload.master import Master
from zhongtai.workload.menu import SkuRef
from zhongtai.workload.quirks import QuirkDice


class _Pool:
    """SKUs a channel can sell, with cumulative popularity weights for rng.choices."""

    def __init__(self, skus: list[SkuRef]) -> None:
        self.skus = skus
        self.cum = list(accumulate(s.weight for s in skus))


class LineMaker:
    """Builds ``t_order_item`` and ``t_order_activity`` rows, numbering them from ``ids``."""

    def __init__(self, rng: random.Random, dice: QuirkDice, master: Master, ids) -> None:
        self.rng, self.dice, self.master, self.ids = rng, dice, master, ids
        live = [s for s in master.skus if not s.deleted and s.on_sale]
        self.pools = {
            MT: _Pool(live),
            ELE: _Pool([s for s in live if s.ele_item_id]),
            MINI: _Pool(live),
            APP: _Pool(live),
            BAIDU: _Pool(live),
        }
        self.deleted = [s for s in master.skus if s.deleted]

    def items(self, oid, channel, store, order_type) -> tuple[list[dict], list[int], int]:
        """Item rows, each line's total in fen, and the package fee in fen."""
        rng, rand, dice = self.rng, self.rng.random, self.dice
        pool = self.pools[channel]
        picks = rng.choices(pool.skus, cum_weights=pool.cum, k=1 + int(rand() ** 1.6 * 4))
        lines, fens, package = [], [], 0
        # Platforms send a line's total box count; the mini-program stores boxes per unit
        # and charges them on delivery orders only (as the live app does).
        platform = channel in PLATFORMS
        boxed = order_type != OrderType.DINE_IN if platform else order_type == OrderType.DELIVERY
        for sku in picks:
            if self.deleted and dice.roll("deleted_sku_ref"):
                sku = self.deleted[int(rand() * len(self.deleted))]
            qty = 1 if rand() < 0.8 else 2 if rand() < 0.75 else 3
            price = self.master.store_price.get((store.id, sku.id), sku.price)
            if platform:
                box_num = sku.box_num * qty if boxed else 0
                package += box_num * sku.box_price
            else:
                box_num = sku.box_num
                package += box_num * sku.box_price * qty if boxed else 0
            prop = catalog.PROPERTIES[int(rand() * len(catalog.PROPERTIES))] if sku.spicy else ""
            lines.append(self._line(oid, channel, sku, qty, price, box_num, prop or None))
            fens.append(price * qty)
        if channel in (MT, ELE) and dice.roll("unmapped_item"):
            name, price = catalog.UNMAPPED_ITEMS[int(rand() * len(catalog.UNMAPPED_ITEMS))]
            line = self._line(oid, channel, None, 1, price, 0, None)
            code = f"X{int(rand() * 90_000) + 10_000}"
            line.update(
                name=name,
                channel_food_code=code if channel == MT else None,
                channel_item_id=code if channel == ELE else None,
            )
            lines.append(line)
            fens.append(price)
        if dice.roll("gift_line"):
            sku = pool.skus[int(rand() * len(pool.skus))]
            price = 0 if rand() < 0.8 else -100 * (1 + int(rand() * 3))
            line = self._line(oid, channel, sku, 1, price, 0, None)
            line.update(name=f"赠品 {sku.name}", is_gift=1)
            lines.append(line)
            fens.append(price)
        return lines, fens, package

    def _line(self, oid, channel, sku: SkuRef | None, qty, price, box_num, prop) -> dict:
        self.ids.item += 1
        mt, ele = channel == MT, channel == ELE
        return {
            "id": self.ids.item,
            "order_id": oid,
            "sku_id": sku.id if sku else None,
            "erp_code": sku.erp_code if sku else None,
            "channel_food_code": sku.mt_food_code if sku and mt else None,
            "channel_sku_id": (sku.mt_sku_id if mt else sku.ele_sku_id if ele else None)
            if sku
            else None,
            "channel_item_id": sku.ele_item_id if sku and ele else None,
            "name": sku.name if sku else None,
            "spec": sku.spec if sku else None,
            "property": prop,
            "quantity": qty,
            "price": yuan(price),
            "food_discount": 1.0,
            "box_num": box_num,
            "box_price": yuan(sku.box_price) if sku and box_num else 0.0,
            "total": yuan(price * qty),
            "cart_id": 0,
            "is_gift": 0,
        }

    def activities(self, oid, channel, goods, shipping) -> tuple[list[dict], int, int, int]:
        """Discount lines and their sums in fen: merchant part, platform part, red packet."""
        rand = self.rng.random
        found: list[tuple[str, str, int, int]] = []  # type, name, merchant, platform
        if channel in PLATFORMS:
            if goods >= 2000 and rand() < 0.6:
                tier = 3000 if goods >= 6000 else 2000 if goods >= 4000 else 1500
                cut = tier // 3 if goods >= 4000 else 400
                share = 1.0 if rand() < 0.6 else 0.7
                found.append(
                    (
                        "reduce",
                        f"满{tier // 100}减{cut // 100}",
                        round(cut * share),
                        cut - round(cut * share),
                    )
                )
            if shipping and rand() < 0.3:
                found.append(("delivery", "减配送费", min(shipping, 200), 0))
            if rand() < 0.08:
                found.append(("new_user", "新客立减", 0, 500))
            if channel == ELE and rand() < 0.1:
                found.append(("hongbao", "红包抵扣", 0, 300))
        elif goods >= 3000 and rand() < 0.15:
            found.append(("coupon", "满30减5代金券", 500, 0))
        rows, merchant, platform, hongbao, room = [], 0, 0, 0, goods - 1
        for act_type, name, m, p in found:
            if m + p > room:  # never discount below one fen of goods
                continue
            room -= m + p
            merchant, platform = merchant + m, platform + p
            hongbao += p if act_type == "hongbao" else 0
            self.ids.activity += 1
            rows.append(
                {
                    "id": self.ids.activity,
                    "order_id": oid,
                    "act_type": act_type,
                    "act_name": name,
                    "amount": yuan(m + p),
                    "merchant_part": yuan(m),
                    "platform_part": yuan(p),
                }
            )
        return rows, merchant, platform, hongbao
