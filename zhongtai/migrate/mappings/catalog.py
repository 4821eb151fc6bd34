"""Whole-catalog facts the product mappings share, from one scan of t_product/t_product_sku.

The legacy catalog breaks the keys the product center enforces, so these decisions are taken
once, for the whole table, and every chunk, worker and resume sees the same answer:

* **Products by ERP code.** A product re-created under the same ``erp_code`` left its old row
  soft-deleted beside the new one (UNIQUE broken). Per (brand, erp_code) the survivor is the
  live row, else the newest; the others are quarantined as ``duplicate_erp_code``.
* **Category names.** ``t_product.category_name`` is denormalised and sometimes stale. The
  legacy menu (:func:`zhongtai.legacy.catalog.menu`) names a category after its first product
  on the menu (live, on sale, with a live SKU; by ``sort``, then id), so that name is the
  category's name: clients keep seeing what they saw. A category with no product on the
  menu takes the name most of its products carry (ties: the newest product's).
* **SKUs by code.** Per ``sku_code`` the survivor is the live row, else the newest. A SKU whose
  product did not survive is moved to the surviving product of its ERP code; when that product
  was soft-deleted the SKU is *hidden* (migrated deleted): the legacy menu never showed it,
  and under the live twin it would appear on every menu.
* **Channel codes.** A channel code pair (channel, food code, sku id) belongs to the lowest
  live SKU that carries it; later claimants are quarantined (``duplicate_channel_code``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from zhongtai.legacy.catalog import ON_SALE
from zhongtai.legacy.schema import t_product, t_product_sku
from zhongtai.migrate.mapping import Lookup
from zhongtai.migrate.transforms import clean_code

# (channel, food-code column, channel-sku-id column) per channel inlined in t_product_sku
CHANNEL_CODES = (
    ("MEITUAN", "mt_app_food_code", "mt_sku_id"),
    ("ELEME", "ele_item_id", "ele_sku_id"),
)


def mapping_key(channel: str, store_id: int | None, food_code: str, sku_id: str | None) -> str:
    """The product center's portable key of a channel mapping (``ChannelSkuMapping.key``)."""
    store = "*" if store_id is None else str(store_id)
    return f"{channel}|{store}|{food_code}|{'*' if sku_id is None else sku_id}"


def sku_channel_codes(row: Any) -> list[tuple[str, str, str | None]]:
    """(channel, food code, channel sku id) for each channel a legacy SKU row is mapped on."""
    codes = []
    for channel, food_col, sku_col in CHANNEL_CODES:
        food = clean_code(row[food_col])
        if food:
            codes.append((channel, food, clean_code(row[sku_col])))
    return codes


@dataclass
class Catalog:
    product_survivor: dict[tuple, int] = field(default_factory=dict)  # (brand, erp) → id
    product_key: dict[int, tuple] = field(default_factory=dict)  # product id → (brand, erp)
    product_times: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    category_names: dict[int, str] = field(default_factory=dict)  # as the legacy menu shows
    category_times: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    sku_fate: dict[int, str | None] = field(default_factory=dict)  # None: migrates
    sku_spu: dict[int, int] = field(default_factory=dict)  # sku id → surviving product id
    sku_codes: dict[int, str] = field(default_factory=dict)  # every SKU id → its code
    code_owner: dict[str, int] = field(default_factory=dict)  # mapping key → sku id
    hidden_skus: set[int] = field(default_factory=set)  # live SKUs of a deleted twin product

    def product_of_sku(self, sku_id: int) -> int | None:
        return self.sku_spu.get(sku_id)


def _rank(is_deleted: int, row_id: int) -> tuple[int, int]:
    return (1 if is_deleted else 0, -row_id)  # live first, then the newest


def _valid(text: Any) -> str | None:
    return text if text and not str(text).startswith("0000") else None


def _span(span: tuple | None, created: Any, updated: Any) -> tuple:
    """(earliest create time, latest update time) as legacy local strings (they sort)."""
    first, last = span or (None, None)
    created, updated = _valid(created), _valid(updated) or _valid(created)
    if created and (first is None or created < first):
        first = created
    if updated and (last is None or updated > last):
        last = updated
    return first, last


def _menu_names(products: list, with_live_sku: set[int]) -> dict[int, str]:
    """category id → the name the legacy menu shows: its first product's on the menu."""
    first: dict[int, tuple] = {}
    for pid, _, _, cid, cname, deleted, _, _, status, sort in products:
        on_menu = not deleted and status == ON_SALE and pid in with_live_sku
        if cid is None or not on_menu or not (cname and cname.strip()):
            continue
        rank = (sort or 0, pid)
        if cid not in first or rank < first[cid][0]:
            first[cid] = (rank, cname)
    return {cid: name for cid, (_, name) in first.items()}


def build_catalog(conn: sa.Connection) -> Catalog:
    cat = Catalog()
    p = t_product.c
    products = conn.execute(
        sa.select(
            p.id, p.brand_id, p.erp_code, p.category_id, p.category_name, p.is_deleted,
            p.create_time, p.update_time, p.status, p.sort,
        ).order_by(p.id)
    ).all()  # fmt: skip
    best: dict[tuple, tuple] = {}
    deleted_products = set()
    names: dict[int, Counter] = {}
    newest_name: dict[int, str] = {}
    for pid, brand, erp, cid, cname, deleted, created, updated, _, _ in products:
        key = (brand, clean_code(erp))
        cat.product_key[pid] = key
        cat.product_times[pid] = (created, updated)
        if deleted:
            deleted_products.add(pid)
        if key not in best or _rank(deleted, pid) < best[key]:
            best[key] = _rank(deleted, pid)
            cat.product_survivor[key] = pid
        if cid is not None and cname:
            names.setdefault(cid, Counter())[cname.strip()] += 1
            newest_name[cid] = cname.strip()
            cat.category_times[cid] = _span(cat.category_times.get(cid), created, updated)
    for cid, counts in names.items():
        top = max(counts.values())
        tied = [n for n, c in counts.items() if c == top]
        cat.category_names[cid] = newest_name[cid] if newest_name[cid] in tied else min(tied)

    k = t_product_sku.c
    skus = conn.execute(sa.select(t_product_sku).order_by(k.id)).mappings().all()
    best_sku: dict[str, tuple] = {}
    sku_survivor: dict[str, int] = {}
    with_live_sku = {row["product_id"] for row in skus if not row["is_deleted"]}
    cat.category_names.update(_menu_names(products, with_live_sku))
    for row in skus:
        code = clean_code(row["sku_code"]) or ""
        cat.sku_codes[row["id"]] = code
        if code not in best_sku or _rank(row["is_deleted"], row["id"]) < best_sku[code]:
            best_sku[code] = _rank(row["is_deleted"], row["id"])
            sku_survivor[code] = row["id"]
    for row in skus:
        sid, code = row["id"], clean_code(row["sku_code"]) or ""
        key = cat.product_key.get(row["product_id"])
        if key is None:
            cat.sku_fate[sid] = "orphan_sku"
            continue
        if sku_survivor[code] != sid:
            cat.sku_fate[sid] = "duplicate_sku_code"
            continue
        cat.sku_fate[sid] = None
        cat.sku_spu[sid] = cat.product_survivor[key]
        moved = cat.sku_spu[sid] != row["product_id"]
        if moved and row["product_id"] in deleted_products and not row["is_deleted"]:
            cat.hidden_skus.add(sid)
        if not row["is_deleted"]:
            for channel, food, channel_sku in sku_channel_codes(row):
                cat.code_owner.setdefault(mapping_key(channel, None, food, channel_sku), sid)
    return cat


CATALOG = Lookup("catalog", build_catalog)
