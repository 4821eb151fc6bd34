"""Product center services: plain functions over a unit of work (see ``zhongtai.platform``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.product import erp
from zhongtai.platform.product.menu import MenuCategory, SkuView, build_menu, pick_mapping, sku_view
from zhongtai.platform.product.model import (
    Category,
    Channel,
    ChannelSkuMapping,
    Spu,
    StoreSkuPrice,
    check_fen,
    clean_code,
)

UNSET: Any = object()  # "field not sent" for partial updates


def _sku_not_found(sku_id: int) -> NotFound:
    return NotFound(f"no SKU with id {sku_id}", code="SKU_NOT_FOUND", hint="check the SKU id")


def upsert_from_erp(uow, batch_id: str, items: Sequence[erp.ErpItem]) -> erp.ErpBatch:
    """Apply an ERP batch idempotently (replay by ``batch_id``), see :mod:`.erp`."""
    batch_id = erp.check_batch(batch_id, list(items))
    fingerprint = erp.fingerprint(list(items))
    with uow:
        known = uow.batches.get(batch_id)
        if known is not None:
            if known.fingerprint != fingerprint:
                raise Conflict(
                    f"batch {batch_id} was already applied with different items",
                    code="BATCH_ID_REUSED",
                    hint="send new content under a new batch_id",
                    details={"received_at": known.received_at.isoformat()},
                )
            known.replayed = True
            return known
        now = uow.now()
        batch = erp.ErpBatch(batch_id, fingerprint, now)
        for item in items:
            _ensure_category(uow, item, now)
            code = clean_code(item.erp_code, "erp_code", 32)
            current = uow.spus.get_by_erp_code(code, for_update=True)
            for erp_sku in item.skus:
                owner = uow.spus.sku_owner(clean_code(erp_sku.sku_code, "sku_code"))
                if owner is not None and (current is None or owner != current.id):
                    raise Conflict(
                        f"sku_code {erp_sku.sku_code} belongs to another product (SPU {owner})",
                        code="SKU_CODE_TAKEN",
                        details={"spu_id": owner},
                    )
            spu, action = erp.apply_item(
                current,
                item,
                batch_id=batch_id,
                now=now,
                new_spu_id=lambda: uow.ids.next_id("spu"),
                new_sku_id=lambda: uow.ids.next_id("sku"),
            )
            uow.spus.put(spu, new=current is None)
            for mapping in erp.channel_mappings(spu, item):
                uow.mappings.put(mapping, now)
            batch.results.append(erp.ErpItemResult(spu.erp_code, spu.id, action, len(item.skus)))
        uow.batches.add(batch)
        uow.commit()
        return batch


def _ensure_category(uow, item: erp.ErpItem, now) -> None:
    if item.category_id is None:
        return
    category = uow.categories.get(item.category_id)
    if category is None and not item.category_name:
        raise InvalidInput(
            f"category {item.category_id} of {item.erp_code} is unknown",
            code="CATEGORY_NOT_FOUND",
            hint="send category_name with it to create the category",
        )
    if category is None:
        category = Category(item.category_id, item.category_name, now, now)
    elif item.category_name and category.name != item.category_name:
        category.name, category.updated_at = item.category_name, now
    else:
        return
    uow.categories.put(category)


def put_category(uow, category_id: int, name: str, sort: int = 0) -> Category:
    """Create or rename a category (ids come from the ERP, as in legacy)."""
    if not name or not name.strip():
        raise InvalidInput("category name is empty")
    with uow:
        now = uow.now()
        category = uow.categories.get(category_id) or Category(category_id, name, now, now)
        category.name, category.sort, category.updated_at = name.strip(), sort, now
        category.deleted_at = None
        uow.categories.put(category)
        uow.commit()
        return category


def list_categories(uow) -> list[Category]:
    """Live categories by id."""
    with uow:
        return [c for c in uow.categories.list() if c.deleted_at is None]


def get_spu(uow, *, spu_id: int | None = None, erp_code: str | None = None) -> Spu:
    """One live product by id or ERP code."""
    with uow:
        if spu_id is not None:
            spu, what = uow.spus.get(spu_id), f"id {spu_id}"
        else:
            code = clean_code(erp_code, "erp_code", 32)
            spu, what = uow.spus.get_by_erp_code(code), f"erp_code {code}"
        if spu is None or spu.is_deleted:
            raise NotFound(f"no product with {what}", code="SPU_NOT_FOUND")
        return spu


def delete_spu(uow, spu_id: int) -> Spu:
    """Soft-delete a product; it leaves every menu (the ERP can bring it back by upsert)."""
    with uow:
        spu = uow.spus.get(spu_id, for_update=True)
        if spu is None or spu.is_deleted:
            raise NotFound(f"no product with id {spu_id}", code="SPU_NOT_FOUND")
        spu.deleted_at = spu.updated_at = uow.now()
        uow.spus.put(spu, new=False)
        uow.commit()
        return spu


def set_store_price(
    uow, store_id: int, sku_id: int, *, price=UNSET, on_sale=UNSET, sold_out=UNSET
) -> StoreSkuPrice:
    """Set a store's override for one SKU; fields not given keep their value."""
    if price is not UNSET:
        check_fen(price, f"price of SKU {sku_id}", allow_none=True)
    with uow:
        if not uow.spus.get_by_sku_ids([sku_id]):
            raise _sku_not_found(sku_id)
        now = uow.now()
        row = uow.prices.get(store_id, sku_id, for_update=True) or StoreSkuPrice(
            store_id, sku_id, now
        )
        if price is not UNSET:
            row.price = price
        if on_sale is not UNSET:
            row.on_sale = bool(on_sale)
        if sold_out is not UNSET:
            row.sold_out = bool(sold_out)
        row.updated_at = now
        uow.prices.put(row)
        uow.commit()
        return row


def store_menu(uow, store_id: int) -> list[MenuCategory]:
    """The store's menu with its price overrides, on-sale and sold-out flags applied."""
    with uow:
        categories = {c.id: c for c in uow.categories.list()}
        return build_menu(categories, uow.spus.list_sellable(), uow.prices.for_store(store_id))


def store_skus(uow, store_id: int, sku_ids: Sequence[int]) -> tuple[list[SkuView], list[int]]:
    """Views of these SKUs as the store sells them, and the ids that do not exist."""
    with uow:
        overrides = uow.prices.for_store(store_id)
        found = {}
        for spu in uow.spus.get_by_sku_ids(sku_ids):
            for sku in spu.skus:
                if sku.id in sku_ids:
                    found[sku.id] = sku_view(spu, sku, overrides.get(sku.id))
        missing = [i for i in dict.fromkeys(sku_ids) if i not in found]
        return [found[i] for i in dict.fromkeys(sku_ids) if i in found], missing


def put_mapping(uow, mapping: ChannelSkuMapping) -> ChannelSkuMapping:
    """Create or replace a channel mapping for an existing SKU."""
    with uow:
        if not uow.spus.get_by_sku_ids([mapping.sku_id]):
            raise _sku_not_found(mapping.sku_id)
        uow.mappings.put(mapping, uow.now())
        uow.commit()
        return mapping


def remove_mapping(uow, mapping: ChannelSkuMapping) -> None:
    """Remove the mapping with this key; NotFound if absent."""
    with uow:
        if not uow.mappings.remove(mapping.key):
            raise NotFound(f"no channel mapping {mapping.key}", code="MAPPING_NOT_FOUND")
        uow.commit()


@dataclass(frozen=True)
class Resolution:
    channel_food_code: str
    channel_sku_id: str | None
    sku: SkuView | None  # None: unmapped, keep the channel code on the order line

    @property
    def mapped(self) -> bool:
        return self.sku is not None


def resolve_channel_items(
    uow, channel: Channel, store_id: int | None, items: Sequence[tuple[str, str | None]]
) -> list[Resolution]:
    """Resolve ``(channel_food_code, channel_sku_id)`` pairs to SKUs, in order."""
    with uow:
        overrides = uow.prices.for_store(store_id) if store_id is not None else {}
        out = []
        for food_code, channel_sku_id in items:
            code = clean_code(food_code, "channel_food_code", 64)
            mapping = pick_mapping(uow.mappings.candidates(channel, code), store_id, channel_sku_id)
            view = None
            if mapping is not None:
                for spu in uow.spus.get_by_sku_ids([mapping.sku_id]):
                    sku = next(s for s in spu.skus if s.id == mapping.sku_id)
                    view = sku_view(spu, sku, overrides.get(sku.id))
            out.append(Resolution(code, channel_sku_id, view))
        return out
