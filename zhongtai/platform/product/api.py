"""The product center's HTTP API (``/centers/product`` or its own port with --split).

What the application layer needs for the legacy contract: ``GET /stores/{id}/menu`` (the
mini-program menu), ``GET /stores/{id}/skus?ids=1,2`` (pricing an order), ``POST
/channel-mappings/resolve`` (SKUs of a channel order's lines), ``POST /erp/upsert`` (the admin
product upsert, idempotent by ``batch_id``). Money is integer fen.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.http import iso, unit_of_work
from zhongtai.platform.product import erp, service
from zhongtai.platform.product.menu import SkuView
from zhongtai.platform.product.model import (
    Channel,
    ChannelSkuMapping,
    Spu,
    SpuStatus,
    StoreSkuPrice,
)
from zhongtai.platform.product.uow import SqlProductUnitOfWork

router = APIRouter(tags=["product"])
Uow = Annotated[SqlProductUnitOfWork, Depends(unit_of_work)]
Fen = Annotated[int, Field(ge=0, le=100_000_000, description="integer fen")]


class ChannelCodeIn(BaseModel):
    channel: Channel
    food_code: str = Field(min_length=1, max_length=64)
    channel_sku_id: str | None = Field(None, max_length=64)


class ErpSkuIn(BaseModel):
    sku_code: str = Field(min_length=1, max_length=40)
    spec: str | None = Field(None, max_length=32)
    list_price: Fen
    box_qty: int = Field(0, ge=0)
    box_price: Fen = 0
    channel_codes: list[ChannelCodeIn] = []


class ErpItemIn(BaseModel):
    erp_code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    category_id: int | None = Field(None, ge=1)
    category_name: str | None = Field(None, max_length=32)
    status: SpuStatus = SpuStatus.ON_SHELF
    unit: str | None = Field(None, max_length=8)
    pic_url: str | None = Field(None, max_length=255)
    sort: int = 0
    skus: list[ErpSkuIn] = []

    def to_item(self) -> erp.ErpItem:
        skus = tuple(
            erp.ErpSku(
                s.sku_code,
                s.list_price,
                s.spec,
                s.box_qty,
                s.box_price,
                tuple(
                    erp.ChannelCode(c.channel, c.food_code, c.channel_sku_id)
                    for c in s.channel_codes
                ),
            )
            for s in self.skus
        )
        data = self.model_dump(exclude={"skus"})
        return erp.ErpItem(**data, skus=skus)


class ErpBatchIn(BaseModel):
    batch_id: str = Field(min_length=1, max_length=64, description="idempotency key")
    items: list[ErpItemIn]


class CategoryIn(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    sort: int = 0


class PriceIn(BaseModel):
    price: Fen | None = None
    on_sale: bool | None = None
    sold_out: bool | None = None


class MappingIn(BaseModel):
    channel: Channel
    channel_food_code: str = Field(min_length=1, max_length=64)
    channel_sku_id: str | None = Field(None, max_length=64)
    store_id: int | None = Field(None, ge=1)

    def mapping(self, sku_id: int) -> ChannelSkuMapping:
        return ChannelSkuMapping(
            self.channel, self.channel_food_code, sku_id, self.store_id, self.channel_sku_id
        )


class MappingPut(MappingIn):
    sku_id: int = Field(ge=1)


class ResolveItemIn(BaseModel):
    channel_food_code: str = Field(min_length=1, max_length=64)
    channel_sku_id: str | None = Field(None, max_length=64)


class ResolveIn(BaseModel):
    channel: Channel
    store_id: int | None = Field(None, ge=1)
    items: list[ResolveItemIn] = Field(min_length=1, max_length=200)


def spu_json(spu: Spu) -> dict:
    """An SPU with its SKUs as JSON (money in fen)."""
    return {
        "id": spu.id,
        "erp_code": spu.erp_code,
        "name": spu.name,
        "category_id": spu.category_id,
        "category_name": spu.category_name,
        "unit": spu.unit,
        "pic_url": spu.pic_url,
        "sort": spu.sort,
        "status": spu.status.value,
        "last_batch_id": spu.last_batch_id,
        "skus": [
            {
                "id": s.id,
                "sku_code": s.sku_code,
                "spec": s.spec,
                "list_price": s.list_price,
                "box_qty": s.box_qty,
                "box_price": s.box_price,
                "deleted_at": iso(s.deleted_at),
            }
            for s in sorted(spu.skus, key=lambda s: s.id)
        ],
        "created_at": iso(spu.created_at),
        "updated_at": iso(spu.updated_at),
        "deleted_at": iso(spu.deleted_at),
    }


def sku_view_json(view: SkuView) -> dict:
    """A store's view of a SKU as JSON, with ``available``."""
    return {**vars(view), "available": view.available}


def price_json(row: StoreSkuPrice) -> dict:
    """A store override as JSON."""
    return {**vars(row), "updated_at": iso(row.updated_at)}


@router.post("/erp/upsert")
def erp_upsert(body: ErpBatchIn, uow: Uow) -> dict:
    """Apply an ERP batch by ``erp_code``/``sku_code``; a replayed ``batch_id`` changes nothing."""
    batch = service.upsert_from_erp(uow, body.batch_id, [i.to_item() for i in body.items])
    return {
        "batch_id": batch.batch_id,
        "replayed": batch.replayed,
        "received_at": iso(batch.received_at),
        "items": [vars(r) for r in batch.results],
    }


@router.get("/categories")
def list_categories(uow: Uow) -> dict:
    """Live categories."""
    items = service.list_categories(uow)
    return {"items": [{"id": c.id, "name": c.name, "sort": c.sort} for c in items]}


@router.put("/categories/{category_id}")
def put_category(category_id: int, body: CategoryIn, uow: Uow) -> dict:
    """Create or rename a category (ERP ids)."""
    c = service.put_category(uow, category_id, body.name, body.sort)
    return {"id": c.id, "name": c.name, "sort": c.sort, "updated_at": iso(c.updated_at)}


@router.get("/spus/by-erp-code/{erp_code}")
def get_spu_by_erp_code(erp_code: str, uow: Uow) -> dict:
    """One product by its ERP code."""
    return spu_json(service.get_spu(uow, erp_code=erp_code))


@router.get("/spus/{spu_id}")
def get_spu(spu_id: int, uow: Uow) -> dict:
    """One product by id."""
    return spu_json(service.get_spu(uow, spu_id=spu_id))


@router.delete("/spus/{spu_id}")
def delete_spu(spu_id: int, uow: Uow) -> dict:
    """Soft-delete a product (an ERP upsert brings it back)."""
    return spu_json(service.delete_spu(uow, spu_id))


@router.get("/stores/{store_id}/menu")
def store_menu(store_id: int, uow: Uow) -> dict:
    """The store's menu: overrides applied, off-sale items left out, sold-out flagged."""
    menu = service.store_menu(uow, store_id)
    return {
        "store_id": store_id,
        "categories": [
            {
                "category_id": c.category_id,
                "name": c.name,
                "products": [
                    {
                        "spu_id": p.spu_id,
                        "erp_code": p.erp_code,
                        "name": p.name,
                        "category_name": p.category_name,
                        "unit": p.unit,
                        "pic_url": p.pic_url,
                        "skus": [sku_view_json(s) for s in p.skus],
                    }
                    for p in c.products
                ],
            }
            for c in menu
        ],
    }


@router.get("/stores/{store_id}/skus")
def store_skus(store_id: int, uow: Uow, ids: Annotated[str, Query(max_length=2000)]) -> dict:
    """These SKUs as the store sells them (``ids=1,2``), plus the ids that do not exist."""
    try:
        sku_ids = [int(part) for part in ids.split(",") if part.strip()]
    except ValueError:
        raise InvalidInput(f"ids {ids!r} is not a comma-separated list of SKU ids") from None
    if not sku_ids:
        raise InvalidInput("ids is empty", hint="send ids=101,102")
    views, missing = service.store_skus(uow, store_id, sku_ids)
    return {"store_id": store_id, "items": [sku_view_json(v) for v in views], "missing": missing}


@router.put("/stores/{store_id}/skus/{sku_id}")
def set_store_price(store_id: int, sku_id: int, body: PriceIn, uow: Uow) -> dict:
    """Set the store's price / on-sale / sold-out for one SKU (fields sent only)."""
    sent = body.model_fields_set
    for key in ("on_sale", "sold_out"):
        if key in sent and getattr(body, key) is None:
            raise InvalidInput(f"{key} cannot be null", hint="send true or false, or leave it out")
    row = service.set_store_price(
        uow,
        store_id,
        sku_id,
        **{k: getattr(body, k) for k in ("price", "on_sale", "sold_out") if k in sent},
    )
    return price_json(row)


@router.put("/channel-mappings")
def put_mapping(body: MappingPut, uow: Uow) -> dict:
    """Map a channel code to a SKU (brand-wide, or for one store)."""
    mapping = service.put_mapping(uow, body.mapping(body.sku_id))
    return {**body.model_dump(mode="json"), "key": mapping.key}


@router.post("/channel-mappings/delete")
def remove_mapping(body: MappingIn, uow: Uow) -> dict:
    """Remove a channel mapping (404 if there is none)."""
    mapping = body.mapping(0)
    service.remove_mapping(uow, mapping)
    return {"key": mapping.key, "removed": True}


@router.post("/channel-mappings/resolve")
def resolve(body: ResolveIn, uow: Uow) -> dict:
    """Resolve a channel order's item codes to SKUs, in order; unmapped ones say so."""
    pairs = [(i.channel_food_code, i.channel_sku_id) for i in body.items]
    found = service.resolve_channel_items(uow, body.channel, body.store_id, pairs)
    return {
        "channel": body.channel.value,
        "store_id": body.store_id,
        "items": [
            {
                "channel_food_code": r.channel_food_code,
                "channel_sku_id": r.channel_sku_id,
                "mapped": r.mapped,
                "sku": sku_view_json(r.sku) if r.sku else None,
            }
            for r in found
        ],
    }
