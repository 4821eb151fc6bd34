"""Store center services: plain functions that take a unit of work (HTTP and tests alike).

Each write opens ``with uow:``, loads what it changes ``for_update``, applies the model's
rules, saves and commits; under a dry-run unit of work the same path runs and is rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.ids import IdAllocator
from zhongtai.platform.store.model import (
    Channel,
    ChannelBinding,
    PosBinding,
    Store,
    StoreStatus,
    normalize_code,
)
from zhongtai.platform.store.repository import StoreRepository


class StoreUnitOfWork(Protocol):
    stores: StoreRepository
    ids: IdAllocator

    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> None: ...
    def commit(self) -> None: ...
    def now(self) -> Any: ...


def _not_found(what: str) -> NotFound:
    return NotFound(
        f"no store with {what}", code="STORE_NOT_FOUND", hint="check the id or code; list stores"
    )


def _load(uow: StoreUnitOfWork, store_id: int, *, for_update: bool = False) -> Store:
    store = uow.stores.get(store_id, for_update=for_update)
    if store is None or store.is_deleted:
        raise _not_found(f"id {store_id}")
    return store


def _check_code_free(uow: StoreUnitOfWork, store: Store) -> None:
    others = [
        s for s in uow.stores.find_by_code(store.store_code, store.tenant_id) if s.id != store.id
    ]
    if others:
        raise Conflict(
            f"store_code {store.store_code!r} is already used by store {others[0].id}",
            code="STORE_CODE_TAKEN",
            hint="pick another code, or delete the other store first",
            details={"store_id": others[0].id},
        )


def _check_binding_free(uow: StoreUnitOfWork, store: Store, binding: ChannelBinding) -> None:
    other = uow.stores.get_by_channel_store(binding.channel, binding.channel_store_id)
    if other is not None and other.id != store.id:
        raise Conflict(
            f"{binding.channel} store id {binding.channel_store_id!r} is bound to store {other.id}",
            code="CHANNEL_STORE_TAKEN",
            hint="unbind it from that store first",
            details={"store_id": other.id},
        )


def create_store(
    uow: StoreUnitOfWork,
    *,
    store_code: str,
    name: str,
    legacy_id: int | None = None,
    channel_bindings: Sequence[ChannelBinding] = (),
    pos_binding: PosBinding | None = None,
    **profile: Any,
) -> Store:
    """Create a store; with ``legacy_id`` the store keeps that id (migration from legacy)."""
    with uow:
        now = uow.now()
        if legacy_id is not None:
            if legacy_id <= 0:
                raise InvalidInput(f"legacy_id {legacy_id} must be positive")
            if uow.stores.get(legacy_id) is not None:
                raise Conflict(
                    f"store {legacy_id} already exists",
                    code="STORE_EXISTS",
                    hint="update it instead (PATCH /stores/{id})",
                    details={"store_id": legacy_id},
                )
        store = Store(
            id=legacy_id if legacy_id is not None else uow.ids.next_id("store"),
            store_code=store_code,
            name=name,
            legacy_id=legacy_id,
            created_at=now,
            updated_at=now,
            pos_binding=pos_binding,
            **profile,
        )
        _check_code_free(uow, store)
        for binding in channel_bindings:
            _check_binding_free(uow, store, binding)
            store.channel_bindings[binding.channel] = binding
        uow.stores.add(store)
        uow.commit()
        return store


def update_store(uow: StoreUnitOfWork, store_id: int, **changes: Any) -> Store:
    """Change profile fields; a new ``store_code`` must be free."""
    with uow:
        store = _load(uow, store_id, for_update=True)
        store.update(uow.now(), **changes)
        if "store_code" in changes:
            _check_code_free(uow, store)
        uow.stores.save(store)
        uow.commit()
        return store


def bind_channel(uow: StoreUnitOfWork, store_id: int, binding: ChannelBinding) -> Store:
    """Bind (or re-bind) the store to a takeout channel's store id."""
    with uow:
        store = _load(uow, store_id, for_update=True)
        _check_binding_free(uow, store, binding)
        store.bind_channel(binding, uow.now())
        uow.stores.save(store)
        uow.commit()
        return store


def unbind_channel(uow: StoreUnitOfWork, store_id: int, channel: Channel) -> Store:
    """Remove the store's binding to ``channel``."""
    with uow:
        store = _load(uow, store_id, for_update=True)
        store.unbind_channel(channel, uow.now())
        uow.stores.save(store)
        uow.commit()
        return store


def set_pos_binding(uow: StoreUnitOfWork, store_id: int, binding: PosBinding | None) -> Store:
    """Set (or with None remove) the store's POS binding."""
    with uow:
        store = _load(uow, store_id, for_update=True)
        store.set_pos_binding(binding, uow.now())
        uow.stores.save(store)
        uow.commit()
        return store


def delete_store(uow: StoreUnitOfWork, store_id: int) -> Store:
    """Soft-delete the store (``deleted_at``) and release its channel bindings."""
    with uow:
        store = _load(uow, store_id, for_update=True)
        store.delete(uow.now())
        uow.stores.save(store)
        uow.commit()
        return store


def get_store(uow: StoreUnitOfWork, store_id: int, *, include_deleted: bool = False) -> Store:
    """One store by id; soft-deleted ones only with ``include_deleted``."""
    with uow:
        store = uow.stores.get(store_id)
        if store is None or (store.is_deleted and not include_deleted):
            raise _not_found(f"id {store_id}")
        return store


def find_store(
    uow: StoreUnitOfWork,
    *,
    legacy_id: int | None = None,
    store_code: str | None = None,
    channel: Channel | None = None,
    channel_store_id: str | None = None,
) -> Store:
    """Look a live store up by exactly one key: legacy id, store code, or channel store id."""
    keys = [legacy_id is not None, store_code is not None, channel_store_id is not None]
    if sum(keys) != 1 or (channel_store_id is not None) != (channel is not None):
        raise InvalidInput(
            "look a store up by exactly one of: legacy_id, store_code, channel + channel_store_id",
            code="INVALID_LOOKUP",
            hint="e.g. ?store_code=SH0012 or ?channel=MEITUAN&channel_store_id=<app_poi_code>",
        )
    with uow:
        if legacy_id is not None:
            store, what = uow.stores.get_by_legacy_id(legacy_id), f"legacy_id {legacy_id}"
        elif store_code is not None:
            code = normalize_code(store_code, "store_code")
            found = uow.stores.find_by_code(code)
            store, what = (found[0] if found else None), f"store_code {code!r}"
        else:
            store = uow.stores.get_by_channel_store(channel, channel_store_id.strip())
            what = f"{channel} store id {channel_store_id!r}"
        if store is None or store.is_deleted:
            raise _not_found(what)
        return store


def list_stores(
    uow: StoreUnitOfWork,
    *,
    city: str | None = None,
    status: StoreStatus | None = None,
    include_deleted: bool = False,
) -> list[Store]:
    """Stores by id, optionally by city and status."""
    with uow:
        return uow.stores.list(city=city, status=status, include_deleted=include_deleted)
