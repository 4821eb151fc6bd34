"""What the outside world knows about the chain, read once from the legacy database.

Meituan and Eleme know each store's binding (``app_poi_code``, ``shopId``) and each dish's
channel code, and the mini-program knows its members; the legacy menu API exposes none of
that. So the traffic generator reads it here, read-only and once at start-up, and from then on
talks to its target over HTTP alone. This is the only module of the traffic side that touches
a database.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from zhongtai.config import mask_url
from zhongtai.db import create_engine
from zhongtai.errors import DatabaseError, ZhongtaiError
from zhongtai.legacy.schema import t_member, t_product, t_product_sku, t_store, t_store_product

logger = logging.getLogger(__name__)

MEMBER_LIMIT = 5_000  # enough distinct customers for any traffic run


@dataclass(frozen=True)
class StoreView:
    store_id: int
    store_code: str
    store_name: str
    city: str
    lng: float
    lat: float
    mt_poi_code: str | None  # Meituan app_poi_code; None: not on Meituan
    ele_shop_id: str | None  # Eleme shopId; None: not on Eleme
    ele_open_id: str | None


@dataclass(frozen=True)
class SkuView:
    sku_id: int
    sku_code: str
    name: str  # the product's name
    spec: str
    price: float  # the store's price in yuan (override applied)
    box_num: int
    box_price: float
    category_id: int
    sold_out: bool
    mt_food_code: str | None
    mt_sku_id: str | None
    ele_item_id: str | None
    ele_sku_id: str | None


@dataclass(frozen=True)
class MemberView:
    member_id: int
    openid: str
    mobile: str


@dataclass(frozen=True)
class Catalog:
    stores: tuple[StoreView, ...]
    menus: dict[int, tuple[SkuView, ...]]  # store_id -> what it sells
    members: tuple[MemberView, ...]

    def on_channel(self, channel: str) -> tuple[StoreView, ...]:
        """Open stores bound to ``meituan`` or ``eleme`` that sell something with its codes."""
        out = []
        for store in self.stores:
            bound = store.mt_poi_code if channel == "meituan" else store.ele_shop_id
            if bound and self.channel_skus(store.store_id, channel):
                out.append(store)
        return tuple(out)

    def channel_skus(self, store_id: int, channel: str) -> tuple[SkuView, ...]:
        pick = (lambda s: s.mt_food_code) if channel == "meituan" else (lambda s: s.ele_item_id)
        return tuple(s for s in self.menus.get(store_id, ()) if pick(s))


def _stores(conn: sa.Connection) -> list[StoreView]:
    s = t_store.c
    rows = conn.execute(
        sa.select(t_store)
        .where(s.status == 1, s.is_deleted == 0)  # what the mini-program lists as open
        .order_by(s.id)
    ).mappings()
    return [
        StoreView(
            store_id=int(r["id"]),
            store_code=r["store_code"],
            store_name=r["store_name"],
            city=r["city_name"] or "",
            lng=float(r["lng"] or 121.47),
            lat=float(r["lat"] or 31.23),
            mt_poi_code=(r["mt_app_poi_code"] or "").strip() or None,
            ele_shop_id=(r["ele_shop_id"] or "").strip() or None,
            ele_open_id=r["ele_open_id"],
        )
        for r in rows
    ]


def _menus(conn: sa.Connection) -> dict[int, tuple[SkuView, ...]]:
    sp, k, p = t_store_product.c, t_product_sku.c, t_product.c
    query = (
        sa.select(
            sp.store_id,
            sp.sold_out,
            sa.func.coalesce(sp.price, k.price).label("store_price"),
            k.id,
            k.sku_code,
            k.spec_name,
            k.box_num,
            k.box_price,
            k.mt_app_food_code,
            k.mt_sku_id,
            k.ele_item_id,
            k.ele_sku_id,
            p.name,
            p.category_id,
        )
        .select_from(
            t_store_product.join(t_product_sku, k.id == sp.sku_id).join(
                t_product, p.id == k.product_id
            )
        )
        .where(k.is_deleted == 0, p.is_deleted == 0, p.status == 1)
        .order_by(sp.store_id, k.id)
    )
    menus: dict[int, list[SkuView]] = defaultdict(list)
    for r in conn.execute(query).mappings():
        menus[int(r["store_id"])].append(
            SkuView(
                sku_id=int(r["id"]),
                sku_code=r["sku_code"],
                name=r["name"],
                spec=r["spec_name"] or "",
                price=round(float(r["store_price"]), 2),
                box_num=int(r["box_num"] or 0),
                box_price=round(float(r["box_price"] or 0), 2),
                category_id=int(r["category_id"] or 0),
                sold_out=bool(r["sold_out"]),
                mt_food_code=r["mt_app_food_code"] or None,
                mt_sku_id=r["mt_sku_id"] or None,
                ele_item_id=r["ele_item_id"] or None,
                ele_sku_id=r["ele_sku_id"] or None,
            )
        )
    return {store_id: tuple(skus) for store_id, skus in menus.items()}


def _members(conn: sa.Connection) -> list[MemberView]:
    m = t_member.c
    rows = conn.execute(
        sa.select(m.id, m.openid, m.mobile)
        .where(m.is_deleted == 0)
        .order_by(m.id)
        .limit(MEMBER_LIMIT)
    )
    return [MemberView(int(i), o or f"o{i:027d}", mobile or "") for i, o, mobile in rows]


def load_catalog(url: str) -> Catalog:
    """Read stores, menus with channel codes, and members from the legacy database (read-only)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            stores = _stores(conn)
            menus = _menus(conn)
            members = _members(conn)
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot read stores and menus from the legacy database: {type(exc).__name__}",
            url=mask_url(url),
            hint="seed it first: `zhongtai seed` (and check databases.legacy)",
        ) from exc
    finally:
        engine.dispose()
    stores = [s for s in stores if menus.get(s.store_id)]
    if not stores:
        raise ZhongtaiError(
            f"the legacy database {mask_url(url)} has no open store with a menu",
            hint="seed it first: `zhongtai seed`",
        )
    logger.info("catalog: %d stores, %d members", len(stores), len(members))
    return Catalog(stores=tuple(stores), menus=menus, members=tuple(members))
