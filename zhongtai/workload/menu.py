"""The seeded menu: products, SKUs with inlined channel codes, store prices (pure).

Products come from ``catalog.MENU`` with ERP codes ``P1001``…; each has one or two SKUs
(大份/小份, 大杯/中杯) carrying the Meituan and Eleme codes inline, as the legacy did. Some
products are off sale or soft-deleted, some SKUs soft-deleted (old orders still point at
them), some product rows keep a category's old name or a soft-deleted twin under the same ERP
code. ``store_products`` gives each store its sellable SKUs, price overrides and 沽清 flags.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from decimal import Decimal

from zhongtai.workload import catalog
from zhongtai.workload.catalog import yuan
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import DAY, local_times


@dataclass
class SkuRef:
    id: int
    erp_code: str
    sku_code: str
    name: str
    spec: str
    price: int  # fen
    box_num: int
    box_price: int  # fen
    mt_food_code: str
    mt_sku_id: str
    ele_item_id: str | None
    ele_sku_id: str | None
    deleted: bool
    on_sale: bool
    weight: float
    spicy: bool


@dataclass
class Menu:
    rows: dict[str, list[dict]] = field(default_factory=dict)  # t_product, t_product_sku, ERP log
    skus: list[SkuRef] = field(default_factory=list)


def build_menu(rng: random.Random, dice: QuirkDice, now: int) -> Menu:
    """Every product, SKU and the ERP import log that created them."""
    rand = rng.random
    times = local_times()
    menu = Menu()
    products, skus, erp_log = [], [], []
    created = times.local(now - 700 * DAY)
    for category_id, category, old_category, dishes in catalog.MENU:
        for dish, price, kind in dishes:
            pid = len(products) + 1
            erp = f"P{1000 + pid}"
            on_sale = rand() >= 0.04
            deleted = rand() < 0.03
            cat_name = old_category if dice.roll("stale_category_name") else category
            if dice.roll("soft_deleted_duplicate"):
                # The product was re-created under the same ERP code; the old row stays.
                products.append(
                    _product(
                        pid, erp, dish, category_id, cat_name, price, 0, 1, created, len(products)
                    )
                )
                pid = len(products) + 1
            products.append(
                _product(
                    pid,
                    erp,
                    dish,
                    category_id,
                    cat_name,
                    price,
                    int(on_sale),
                    int(deleted),
                    created,
                    len(products),
                )
            )
            sku_specs = []
            for spec, suffix, factor, box in catalog.SPECS[kind]:
                sid = len(skus) + 1
                # SKU 2 (the first dish's small size) is always gone, so every seed has one.
                multi = len(catalog.SPECS[kind]) > 1
                sku_deleted = deleted or (multi and (rand() < 0.06 or sid == 2))
                ele_item = str(500_000_000_000 + int(rand() * 4e11)) if rand() < 0.95 else None
                ref = SkuRef(
                    id=sid,
                    erp_code=erp,
                    sku_code=f"{erp}-{suffix}",
                    name=dish,
                    spec=spec,
                    price=price * factor // 100 // 10 * 10,
                    box_num=box,
                    box_price=0 if box == 0 else (100 if price < 3000 else 200),
                    mt_food_code=f"{erp}-{suffix}",
                    mt_sku_id=f"{erp}{suffix}",
                    ele_item_id=ele_item,
                    ele_sku_id=f"{ele_item}1" if ele_item else None,
                    deleted=sku_deleted,
                    on_sale=on_sale and not deleted,
                    weight=0.2 + rand() * (3.0 if category_id in (11, 13) else 1.5),
                    spicy=kind == "dish",
                )
                menu.skus.append(ref)
                skus.append(_sku_row(ref, pid))
                sku_specs.append(
                    {"sku_code": ref.sku_code, "spec_name": spec, "price": yuan(ref.price)}
                )
            payload = {
                "erp_code": erp,
                "name": dish,
                "category_id": category_id,
                "price": yuan(price),
                "skus": sku_specs,
            }
            erp_log.append(
                {
                    "id": len(erp_log) + 1,
                    "batch_no": f"ERP{created[:10].replace('-', '')}01",
                    "erp_code": erp,
                    "action": "INSERT",
                    "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                    "result": "OK",
                    "create_time": created,
                }
            )
    menu.rows = {"t_product": products, "t_product_sku": skus, "t_erp_sync_log": erp_log}
    return menu


def _product(pid, erp, dish, category_id, cat_name, price, status, deleted, created, sort):
    return {
        "id": pid,
        "brand_id": 1,
        "erp_code": erp,
        "name": dish,
        "category_id": category_id,
        "category_name": cat_name,
        "price": Decimal(price) / 100,
        "pic_url": f"https://img.example.cn/menu/{erp.lower()}.jpg",
        "unit": "份",
        "status": status,
        "is_deleted": deleted,
        "sort": sort,
        "create_time": created,
        "update_time": created,
    }


def _sku_row(ref: SkuRef, product_id: int) -> dict:
    return {
        "id": ref.id,
        "product_id": product_id,
        "sku_code": ref.sku_code,
        "spec_name": ref.spec,
        "price": yuan(ref.price),
        "box_num": ref.box_num,
        "box_price": yuan(ref.box_price),
        "mt_app_food_code": ref.mt_food_code,
        "mt_sku_id": ref.mt_sku_id,
        "ele_item_id": ref.ele_item_id,
        "ele_sku_id": ref.ele_sku_id,
        "is_deleted": int(ref.deleted),
    }


def store_products(
    rng: random.Random, stores: list, skus: list[SkuRef], now: int
) -> tuple[list[dict], dict[tuple[int, int], int]]:
    """``t_store_product`` rows and the price overrides in fen by (store id, SKU id)."""
    rand = rng.random
    times = local_times()
    overrides: dict[tuple[int, int], int] = {}
    rows = []
    for store in stores:
        if store.status == -1:
            continue
        airport = rand() < 0.1  # a few stores charge more across the menu
        for sku in skus:
            if sku.deleted or rand() < 0.03:  # not sold in this store
                continue
            price = None
            if airport or rand() < 0.05:
                price = sku.price + 100 * (1 + int(rand() * 3))
                overrides[(store.id, sku.id)] = price
            rows.append(
                {
                    "id": len(rows) + 1,
                    "store_id": store.id,
                    "sku_id": sku.id,
                    "price": None if price is None else yuan(price),
                    "sold_out": 1 if rand() < 0.03 else 0,
                    "stock": None if rand() < 0.7 else int(rand() * 200),
                    "update_time": times.local(now - int(rand() * 20 * DAY)),
                }
            )
    return rows, overrides
