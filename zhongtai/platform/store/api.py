"""The store center's HTTP API (mounted at ``/centers/store`` or served alone with --split).

Lookups the application layer needs to keep the legacy contract:
``GET /stores/lookup?legacy_id=12`` · ``?store_code=SH0012`` ·
``?channel=MEITUAN&channel_store_id=<app_poi_code>`` · ``?channel=ELEME&channel_store_id=<shopId>``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.http import iso, parse_or_invalid, unit_of_work
from zhongtai.platform.phone import parse_phone
from zhongtai.platform.store import service
from zhongtai.platform.store.model import (
    BusinessHours,
    Channel,
    ChannelBinding,
    Geo,
    PosBinding,
    Store,
    StoreStatus,
)
from zhongtai.platform.store.uow import SqlStoreUnitOfWork

router = APIRouter(tags=["store"])
PROFILE = ("city", "address", "phone", "phone_text", "geo", "status", "business_hours")
REQUIRED = ("store_code", "name", "status")
PHONE_HINT = "send e.g. 021-12345678, 13800138000 or +8613800138000"
Uow = Annotated[SqlStoreUnitOfWork, Depends(unit_of_work)]


class GeoIn(BaseModel):
    lng: float
    lat: float


class IntervalIn(BaseModel):
    open: str = Field(examples=["10:00"])
    close: str = Field(examples=["14:00"])


class BindingIn(BaseModel):
    channel_store_id: str = Field(min_length=1, max_length=32)
    credential_ref: str | None = Field(None, max_length=255)
    external_ref: str | None = Field(None, max_length=64)


class ChannelBindingIn(BindingIn):
    channel: Channel


class PosBindingIn(BaseModel):
    pos_store_code: str = Field(min_length=1, max_length=32)
    pos_vendor: str = Field(min_length=1, max_length=32)


class StorePatch(BaseModel):
    store_code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=64)
    city: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=255)
    phone: str | None = Field(
        None, max_length=64, description="any format; stored as E.164 and as written"
    )
    geo: GeoIn | None = None
    status: StoreStatus | None = None
    business_hours: list[IntervalIn] | str | None = Field(
        None, description='[{"open": "10:00", "close": "14:00"}] or "10:00-14:00,17:00-22:00"'
    )

    def changes(self) -> dict:
        """The fields sent, converted to model values (an explicit null clears a field)."""
        out = {}
        for key in self.model_fields_set:
            value = getattr(self, key)
            if value is None and key in REQUIRED:
                raise InvalidInput(f"{key} cannot be null", hint=f"send a {key} or leave it out")
            if key == "phone" and value is not None:
                out["phone_text"] = value  # shown as written on store lists
                value = parse_or_invalid(parse_phone, value, code="INVALID_PHONE", hint=PHONE_HINT)
            elif key == "geo" and value is not None:
                value = Geo(value.lng, value.lat)
            elif key == "business_hours":
                if isinstance(value, str):
                    value = BusinessHours.parse(value)
                else:
                    value = BusinessHours.from_json([i.model_dump() for i in value or []])
            out[key] = value
        return out


class StoreIn(StorePatch):
    store_code: str = Field(max_length=32)
    name: str = Field(max_length=64)
    tenant_id: int = Field(1, ge=1)
    legacy_id: int | None = Field(None, ge=1, description="keep the legacy t_store.id as id")
    channel_bindings: list[ChannelBindingIn] = []
    pos_binding: PosBindingIn | None = None


def store_json(store: Store) -> dict:
    """The store as JSON (bindings sorted by channel, timestamps in UTC ISO 8601)."""
    phone = store.phone
    return {
        "id": store.id,
        "tenant_id": store.tenant_id,
        "store_code": store.store_code,
        "name": store.name,
        "city": store.city,
        "address": store.address,
        "phone": {
            "e164": phone.e164,
            "extension": phone.extension,
            "masked": phone.masked,
            "text": store.phone_text,
        }
        if phone
        else None,
        "geo": {"lng": store.geo.lng, "lat": store.geo.lat} if store.geo else None,
        "status": store.status.value,
        "business_hours": store.business_hours.to_json(),
        "legacy_id": store.legacy_id,
        "channel_bindings": [
            {
                "channel": b.channel.value,
                "channel_store_id": b.channel_store_id,
                "external_ref": b.external_ref,
                "credential_ref": b.credential_ref,
            }
            for b in sorted(store.channel_bindings.values(), key=lambda b: b.channel)
        ],
        "pos_binding": {
            "pos_store_code": store.pos_binding.pos_store_code,
            "pos_vendor": store.pos_binding.pos_vendor,
        }
        if store.pos_binding
        else None,
        "created_at": iso(store.created_at),
        "updated_at": iso(store.updated_at),
        "deleted_at": iso(store.deleted_at),
    }


@router.post("/stores", status_code=201)
def create_store(body: StoreIn, uow: Uow) -> dict:
    """Create a store; ``legacy_id`` keeps the legacy id as the store id."""
    profile = {k: v for k, v in body.changes().items() if k in PROFILE and v is not None}
    store = service.create_store(
        uow,
        store_code=body.store_code,
        name=body.name,
        tenant_id=body.tenant_id,
        legacy_id=body.legacy_id,
        channel_bindings=[
            ChannelBinding(b.channel, b.channel_store_id, b.credential_ref, b.external_ref)
            for b in body.channel_bindings
        ],
        pos_binding=PosBinding(body.pos_binding.pos_store_code, body.pos_binding.pos_vendor)
        if body.pos_binding
        else None,
        **profile,
    )
    return store_json(store)


@router.get("/stores")
def list_stores(
    uow: Uow,
    city: str | None = None,
    status: StoreStatus | None = None,
    include_deleted: bool = False,
) -> dict:
    """Stores by id, filtered by city and status."""
    stores = service.list_stores(uow, city=city, status=status, include_deleted=include_deleted)
    return {"items": [store_json(s) for s in stores], "total": len(stores)}


@router.get("/stores/lookup")
def lookup_store(
    uow: Uow,
    legacy_id: Annotated[int | None, Query(ge=1)] = None,
    store_code: str | None = None,
    channel: Channel | None = None,
    channel_store_id: str | None = None,
) -> dict:
    """One live store by legacy id, store code, or channel + channel store id."""
    store = service.find_store(
        uow,
        legacy_id=legacy_id,
        store_code=store_code,
        channel=channel,
        channel_store_id=channel_store_id,
    )
    return store_json(store)


@router.get("/stores/{store_id}")
def get_store(store_id: int, uow: Uow, include_deleted: bool = False) -> dict:
    """One store by id (``include_deleted`` shows soft-deleted ones)."""
    return store_json(service.get_store(uow, store_id, include_deleted=include_deleted))


@router.patch("/stores/{store_id}")
def update_store(store_id: int, body: StorePatch, uow: Uow) -> dict:
    """Change profile fields; fields not sent are kept, null clears optional ones."""
    return store_json(service.update_store(uow, store_id, **body.changes()))


@router.delete("/stores/{store_id}")
def delete_store(store_id: int, uow: Uow) -> dict:
    """Soft-delete the store and release its channel bindings."""
    return store_json(service.delete_store(uow, store_id))


@router.put("/stores/{store_id}/channels/{channel}")
def bind_channel(store_id: int, channel: Channel, body: BindingIn, uow: Uow) -> dict:
    """Bind the store to a channel store id (409 if another store holds it)."""
    binding = ChannelBinding(channel, body.channel_store_id, body.credential_ref, body.external_ref)
    return store_json(service.bind_channel(uow, store_id, binding))


@router.delete("/stores/{store_id}/channels/{channel}")
def unbind_channel(store_id: int, channel: Channel, uow: Uow) -> dict:
    """Remove the store's binding to this channel."""
    return store_json(service.unbind_channel(uow, store_id, channel))


@router.put("/stores/{store_id}/pos")
def set_pos_binding(store_id: int, body: PosBindingIn, uow: Uow) -> dict:
    """Set the store's POS binding."""
    binding = PosBinding(body.pos_store_code, body.pos_vendor)
    return store_json(service.set_pos_binding(uow, store_id, binding))


@router.delete("/stores/{store_id}/pos")
def remove_pos_binding(store_id: int, uow: Uow) -> dict:
    """Remove the store's POS binding."""
    return store_json(service.set_pos_binding(uow, store_id, None))
