"""Product import from the ERP (ERP同步): upsert a product by ``erp_code`` and its SKUs by
``sku_code``, logging every call in ``t_erp_sync_log``.

SKUs the ERP does not mention are left as they are. Upserts of one brand are serialised on the
brand row so that two imports of a new code cannot both insert it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.clock import local_str, now_local
from zhongtai.legacy.envelope import bad_request
from zhongtai.legacy.money import round_yuan
from zhongtai.legacy.schema import t_brand, t_erp_sync_log, t_product, t_product_sku


@dataclass(frozen=True)
class SkuIn:
    sku_code: str
    spec_name: str | None
    price: float
    box_num: int = 0
    box_price: float = 0.0
    mt_app_food_code: str | None = None
    ele_item_id: str | None = None


@dataclass(frozen=True)
class ProductIn:
    erp_code: str
    name: str
    price: float
    skus: tuple[SkuIn, ...]
    category_id: int | None = None
    category_name: str | None = None
    status: int = 1
    brand_id: int | None = None
    batch_no: str | None = None


def _brand(conn: Connection, wanted: int | None, existing: int | None) -> int:
    """The product's brand, locked for the rest of the import."""
    brand_id = wanted if wanted is not None else existing
    if brand_id is None:
        ids = conn.execute(sa.select(t_brand.c.id).order_by(t_brand.c.id).limit(2)).scalars().all()
        if len(ids) != 1:
            raise bad_request(
                f"cannot tell the brand of a new product ({len(ids)} brands); pass brand_id"
            )
        brand_id = ids[0]
    # A no-op UPDATE locks the row on every engine (on SQLite it takes the write lock), so
    # the reads after it see every import of this brand committed before.
    locked = conn.execute(
        t_brand.update().where(t_brand.c.id == brand_id).values(status=t_brand.c.status)
    )
    if locked.rowcount == 0:
        raise bad_request(f"unknown brand_id {brand_id}; create the brand first")
    return brand_id


def _upsert_sku(conn: Connection, product_id: int, sku: SkuIn) -> None:
    values = {
        "spec_name": sku.spec_name,
        "price": round_yuan(sku.price),
        "box_num": sku.box_num,
        "box_price": round_yuan(sku.box_price),
        "mt_app_food_code": sku.mt_app_food_code,
        "ele_item_id": sku.ele_item_id,
    }
    where = sa.and_(
        t_product_sku.c.product_id == product_id,
        t_product_sku.c.sku_code == sku.sku_code,
        t_product_sku.c.is_deleted == 0,
    )
    sku_id = conn.execute(
        sa.select(t_product_sku.c.id).where(where).limit(1).with_for_update()
    ).scalar()
    if sku_id is None:
        conn.execute(
            t_product_sku.insert().values(product_id=product_id, sku_code=sku.sku_code, **values)
        )
    else:
        conn.execute(t_product_sku.update().where(t_product_sku.c.id == sku_id).values(**values))


def upsert_product(conn: Connection, p: ProductIn) -> dict[str, Any]:
    """Insert or update the product and its SKUs; returns ``{product_id, action, skus}``."""
    product_where = sa.and_(t_product.c.erp_code == p.erp_code, t_product.c.is_deleted == 0)
    find = sa.select(t_product.c.id, t_product.c.brand_id).where(product_where)
    existing = conn.execute(find.order_by(t_product.c.id).limit(1)).first()
    brand_id = _brand(conn, p.brand_id, existing.brand_id if existing else None)
    # Again after the lock, and locking: under MariaDB's REPEATABLE READ only a locking read
    # sees a product a concurrent import committed while this one waited.
    existing = conn.execute(find.order_by(t_product.c.id).limit(1).with_for_update()).first()
    now = local_str()
    values = {
        "name": p.name,
        "category_id": p.category_id,
        "category_name": p.category_name,
        "price": Decimal(repr(round_yuan(p.price))),
        "status": p.status,
        "update_time": now,
    }
    if existing is None:
        action = "INSERT"
        product_id = conn.execute(
            t_product.insert().values(
                brand_id=brand_id, erp_code=p.erp_code, is_deleted=0, create_time=now, **values
            )
        ).inserted_primary_key[0]
    else:
        action, product_id = "UPDATE", existing.id
        conn.execute(t_product.update().where(t_product.c.id == product_id).values(**values))
    for sku in p.skus:
        _upsert_sku(conn, product_id, sku)
    conn.execute(
        t_erp_sync_log.insert().values(
            batch_no=p.batch_no or f"B{now_local():%Y%m%d%H%M%S}",
            erp_code=p.erp_code,
            action=action,
            payload=json.dumps(asdict(p), ensure_ascii=False, separators=(",", ":")),
            result="OK",
            create_time=now,
        )
    )
    return {"product_id": product_id, "action": action, "skus": len(p.skus)}
