"""Read projections of the product center (pure): a store's menu, SKU views, code resolution.

``build_menu`` applies the store's overrides: SKUs with ``on_sale = False`` and SPUs off the
shelf or deleted are left out; the store price replaces the list price; ``sold_out`` is
reported, not hidden (clients grey the item out). ``pick_mapping`` chooses the most specific
channel mapping: this store and this channel SKU id, then this store, then brand-wide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zhongtai.platform.product.model import (
    Category,
    ChannelSkuMapping,
    Sku,
    Spu,
    SpuStatus,
    StoreSkuPrice,
)


@dataclass(frozen=True)
class SkuView:
    """A SKU as one store sells it."""

    sku_id: int
    sku_code: str
    spu_id: int
    erp_code: str
    name: str
    spec: str | None
    price: int  # fen, the store's override or the list price
    list_price: int
    box_qty: int
    box_price: int
    on_sale: bool
    sold_out: bool
    category_id: int | None

    @property
    def available(self) -> bool:
        return self.on_sale and not self.sold_out


def sku_view(spu: Spu, sku: Sku, override: StoreSkuPrice | None) -> SkuView:
    """The store view of one SKU; an SPU off the shelf or deleted is not on sale anywhere."""
    sellable = spu.status == SpuStatus.ON_SHELF and not spu.is_deleted and sku.deleted_at is None
    return SkuView(
        sku_id=sku.id,
        sku_code=sku.sku_code,
        spu_id=spu.id,
        erp_code=spu.erp_code,
        name=spu.name,
        spec=sku.spec,
        price=override.effective_price(sku) if override else sku.list_price,
        list_price=sku.list_price,
        box_qty=sku.box_qty,
        box_price=sku.box_price,
        on_sale=sellable and (override.on_sale if override else True),
        sold_out=bool(override and override.sold_out),
        category_id=spu.category_id,
    )


@dataclass(frozen=True)
class MenuProduct:
    spu_id: int
    erp_code: str
    name: str
    unit: str | None
    pic_url: str | None
    skus: tuple[SkuView, ...]
    category_name: str | None = None  # as imported with the product (Spu.category_name)


@dataclass(frozen=True)
class MenuCategory:
    category_id: int | None
    name: str | None  # None when the SPU names a category the center does not know
    products: tuple[MenuProduct, ...]


def build_menu(
    categories: Mapping[int, Category],
    spus: Iterable[Spu],
    overrides: Mapping[int, StoreSkuPrice],
) -> list[MenuCategory]:
    """Categories by (sort, id), products by (sort, id), SKUs by id; empty ones dropped."""
    grouped: dict[int | None, list[MenuProduct]] = {}
    for spu in sorted(spus, key=lambda s: (s.sort, s.id)):
        if spu.is_deleted or spu.status != SpuStatus.ON_SHELF:
            continue
        views = tuple(
            v for v in (sku_view(spu, s, overrides.get(s.id)) for s in spu.live_skus()) if v.on_sale
        )
        if views:
            product = MenuProduct(
                spu.id, spu.erp_code, spu.name, spu.unit, spu.pic_url, views, spu.category_name
            )
            grouped.setdefault(spu.category_id, []).append(product)

    def order(category_id: int | None) -> tuple:
        category = categories.get(category_id) if category_id is not None else None
        return (category is None, category.sort if category else 0, category_id or 0)

    menu = []
    for category_id in sorted(grouped, key=order):
        category = categories.get(category_id) if category_id is not None else None
        live = category if category and category.deleted_at is None else None
        menu.append(
            MenuCategory(category_id, live.name if live else None, tuple(grouped[category_id]))
        )
    return menu


def pick_mapping(
    candidates: Iterable[ChannelSkuMapping], store_id: int | None, channel_sku_id: str | None
) -> ChannelSkuMapping | None:
    """The most specific mapping that applies to this store and channel SKU id."""
    best, best_rank = None, None
    for m in candidates:
        if m.store_id is not None and m.store_id != store_id:
            continue
        if m.channel_sku_id is not None and m.channel_sku_id != channel_sku_id:
            continue
        rank = (m.store_id is not None, m.channel_sku_id is not None)
        if best_rank is None or rank > best_rank:
            best, best_rank = m, rank
    return best
