"""t_product / t_product_sku / t_store_product → product center.

Mappings (in order):

``products``        t_product → ``category`` (from the denormalised category columns, named
                    as the legacy menu shows it, see :mod:`.catalog`) + ``spu`` (id = legacy id;
                    status 1/0 → ON_SHELF/OFF_SHELF; ``is_deleted`` → ``deleted_at``;
                    ``category_name`` kept as the row has it: the legacy menu shows the
                    first product's).
                    Soft-deleted duplicates of an ERP code are quarantined.
``skus``            t_product_sku → ``sku`` (price DOUBLE yuan → ``list_price`` fen) +
                    ``channel_sku_mapping`` rows from the inlined Meituan/Eleme codes
                    (brand-wide, live SKUs only). A live SKU of a soft-deleted twin product
                    migrates deleted (the legacy menu hid it; see :mod:`.catalog`).
``store_prices``    t_store_product → ``store_sku_price`` (override price yuan → fen, NULL
                    kept = list price; ``sold_out``). ``stock`` belongs to an inventory center
                    and is not migrated.

Unlisted SKUs need no rows: the legacy menu (:mod:`zhongtai.legacy.catalog`, an OUTER JOIN)
sells a SKU without a ``t_store_product`` row in every store at the SKU price, and the product
center does the same for a SKU without a ``store_sku_price`` row (``on_sale`` defaults to
true). A test holds every store's migrated menu equal to its legacy menu.
"""

from __future__ import annotations

from zhongtai.legacy.schema import t_product, t_product_sku, t_store_product
from zhongtai.migrate.mapping import Mapped, Mapping, Quarantine, Record, Target
from zhongtai.migrate.mappings._common import UNKNOWN_TIME, first_time, text
from zhongtai.migrate.mappings.catalog import CATALOG, mapping_key, sku_channel_codes
from zhongtai.migrate.transforms import (
    TransformError,
    clean_code,
    deleted_at_from,
    deleted_flag,
    fen_to_yuan,
    yuan_to_fen,
)
from zhongtai.platform.product import tables as pt

_SPU_STATUS = {1: "ON_SHELF", 0: "OFF_SHELF"}


def product(record: Record) -> Mapped | Quarantine:
    row, cat = record.row, record.lookups[CATALOG.name]
    pid = row["id"]
    key = cat.product_key[pid]
    survivor = cat.product_survivor[key]
    if survivor != pid:
        return Quarantine("duplicate_erp_code", f"erp_code {key[1]} is kept by product {survivor}")
    try:
        status = _SPU_STATUS[row["status"]]
    except KeyError:
        raise TransformError(f"product status {row['status']!r} is not 1 on sale / 0 off") from None
    created = first_time(row["create_time"], row["update_time"])
    updated = first_time(row["update_time"], row["create_time"])
    categories = []
    cid = row["category_id"]
    if cid is not None and cid in cat.category_names:
        first, last = cat.category_times[cid]
        categories.append(
            {
                "id": cid,
                "name": cat.category_names[cid][:32],
                "sort": 0,
                "created_at": first_time(first),
                "updated_at": first_time(last, first),
                "deleted_at": None,
            }
        )
    elif cid is not None:
        cid = None  # a category id without a name: nothing to create, so do not refer to it
    spu = {
        "id": pid,
        "tenant_id": row["brand_id"],
        "erp_code": key[1],
        "name": text(row["name"], 64),
        "category_id": cid,
        "category_name": row["category_name"],
        "unit": text(row["unit"], 8),
        "pic_url": text(row["pic_url"], 255),
        "sort": row["sort"] or 0,
        "status": status,
        "last_batch_id": None,
        "created_at": created,
        "updated_at": updated,
        "deleted_at": deleted_at_from(row["is_deleted"], at=updated),
    }
    if not spu["erp_code"] or not spu["name"]:
        raise TransformError(f"product {pid} has no erp_code or no name")
    return {"category": categories, "spu": [spu]}


def product_inverse(rows: Mapped) -> Mapped:
    (spu,) = rows["spu"]
    names = {c["id"]: c["name"] for c in rows.get("category", [])}
    return {
        "t_product": [
            {
                "id": spu["id"],
                "brand_id": spu["tenant_id"],
                "erp_code": spu["erp_code"],
                "name": spu["name"],
                "category_id": spu["category_id"],
                "category_name": spu["category_name"]
                if "category_name" in spu
                else names.get(spu["category_id"]),
                "unit": spu["unit"],
                "pic_url": spu["pic_url"],
                "sort": spu["sort"],
                "status": 1 if spu["status"] == "ON_SHELF" else 0,
                "is_deleted": deleted_flag(spu["deleted_at"]),
            }
        ]
    }


def sku(record: Record) -> Mapped | Quarantine:
    row, cat = record.row, record.lookups[CATALOG.name]
    sid = row["id"]
    fate = cat.sku_fate.get(sid, "orphan_sku")
    if fate is not None:
        return Quarantine(fate, f"product {row['product_id']}, sku_code {row['sku_code']!r}")
    spu_id = cat.product_of_sku(sid)
    created, updated = (first_time(t) for t in cat.product_times.get(spu_id, (None, None)))
    updated = updated if updated != UNKNOWN_TIME else created
    code = clean_code(row["sku_code"])
    mappings = []
    if not row["is_deleted"]:
        for channel, food, channel_sku in sku_channel_codes(row):
            key = mapping_key(channel, None, food, channel_sku)
            owner = cat.code_owner.get(key)
            if owner != sid:
                return Quarantine("duplicate_channel_code", f"{key} already maps to SKU {owner}")
            mappings.append(
                {
                    "mapping_key": key,
                    "channel": channel,
                    "store_id": None,
                    "channel_food_code": food,
                    "channel_sku_id": channel_sku,
                    "sku_id": sid,
                    "updated_at": updated,
                }
            )
    return {
        "sku": [
            {
                "id": sid,
                "spu_id": spu_id,
                "sku_code": code,
                "spec": text(row["spec_name"], 32),
                "list_price": yuan_to_fen(row["price"]),
                "box_qty": row["box_num"] or 0,
                "box_price": yuan_to_fen(row["box_price"]) or 0,
                "created_at": created,
                "updated_at": updated,
                "deleted_at": deleted_at_from(
                    row["is_deleted"], sid in cat.hidden_skus, at=updated
                ),
            }
        ],
        "channel_sku_mapping": mappings,
    }


def sku_inverse(rows: Mapped) -> Mapped:
    (s,) = rows["sku"]
    fields = {
        "id": s["id"],
        "product_id": s["spu_id"],
        "sku_code": s["sku_code"],
        "spec_name": s["spec"],
        "price": fen_to_yuan(s["list_price"]),
        "box_num": s["box_qty"],
        "box_price": fen_to_yuan(s["box_price"]),
        "is_deleted": deleted_flag(s["deleted_at"]),
    }
    for m in rows.get("channel_sku_mapping", []):
        if m["channel"] == "MEITUAN":
            fields.update(mt_app_food_code=m["channel_food_code"], mt_sku_id=m["channel_sku_id"])
        elif m["channel"] == "ELEME":
            fields.update(ele_item_id=m["channel_food_code"], ele_sku_id=m["channel_sku_id"])
    return {"t_product_sku": [fields]}


def store_price(record: Record) -> Mapped | Quarantine:
    row, cat = record.row, record.lookups[CATALOG.name]
    if cat.sku_fate.get(row["sku_id"], "orphan_sku") is not None:
        return Quarantine("sku_not_migrated", f"SKU {row['sku_id']} of store {row['store_id']}")
    return {
        "store_sku_price": [
            {
                "store_id": row["store_id"],
                "sku_id": row["sku_id"],
                "price": yuan_to_fen(row["price"]),
                "on_sale": True,
                "sold_out": bool(row["sold_out"]),
                "updated_at": first_time(row["update_time"]),
            }
        ]
    }


def store_price_inverse(rows: Mapped) -> Mapped:
    (p,) = rows["store_sku_price"]
    fields = {
        "store_id": p["store_id"],
        "sku_id": p["sku_id"],
        "price": fen_to_yuan(p["price"]),
        "sold_out": int(bool(p["sold_out"])),
    }
    return {"t_store_product": [fields]}


PRODUCTS = Mapping(
    name="products",
    source=t_product,
    center="product",
    targets=(Target(pt.category, key=("id",)), Target(pt.spu, key=("id",), owner="id")),
    transform=product,
    uses=(CATALOG,),
    inverse=product_inverse,
    description="t_product → category + spu (ERP-code duplicates quarantined)",
)
SKUS = Mapping(
    name="skus",
    source=t_product_sku,
    center="product",
    targets=(
        Target(pt.sku, key=("id",), owner="id", money=("list_price", "box_price")),
        Target(pt.channel_sku_mapping, key=("mapping_key",), owner="sku_id"),
    ),
    transform=sku,
    uses=(CATALOG,),
    inverse=sku_inverse,
    depends_on=("products",),
    description="t_product_sku → sku + channel_sku_mapping",
)
STORE_PRICES = Mapping(
    name="store_prices",
    source=t_store_product,
    center="product",
    targets=(Target(pt.store_sku_price, key=("store_id", "sku_id"), money=("price",)),),
    transform=store_price,
    uses=(CATALOG,),
    inverse=store_price_inverse,
    depends_on=("skus",),
    description="t_store_product → store_sku_price (override price, sold out)",
)

MAPPINGS = (PRODUCTS, SKUS, STORE_PRICES)
