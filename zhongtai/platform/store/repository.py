"""Store repositories: the abstract interface and its SQLAlchemy Core implementation.

The in-memory twin is :class:`zhongtai.platform.store.fakes.FakeStoreRepository`.
"""

from __future__ import annotations

import abc

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.platform.phone import Phone
from zhongtai.platform.store import tables as t
from zhongtai.platform.store.model import (
    BusinessHours,
    Channel,
    ChannelBinding,
    Geo,
    PosBinding,
    Store,
    StoreStatus,
)


class StoreRepository(abc.ABC):
    """Load and save :class:`Store` aggregates."""

    @abc.abstractmethod
    def get(self, store_id: int, *, for_update: bool = False) -> Store | None:
        """The store with this id, deleted or not."""

    @abc.abstractmethod
    def find_by_code(self, store_code: str, tenant_id: int = 1) -> list[Store]:
        """Live stores with this code (a healthy center has at most one)."""

    @abc.abstractmethod
    def get_by_legacy_id(self, legacy_id: int) -> Store | None: ...

    @abc.abstractmethod
    def get_by_channel_store(self, channel: Channel, channel_store_id: str) -> Store | None: ...

    @abc.abstractmethod
    def list(
        self, *, city: str | None, status: StoreStatus | None, include_deleted: bool
    ) -> list[Store]:
        """Stores ordered by id."""

    @abc.abstractmethod
    def add(self, store: Store) -> None: ...

    @abc.abstractmethod
    def save(self, store: Store) -> None:
        """Write back a loaded store, replacing its bindings."""


class SqlStoreRepository(StoreRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def _load(self, where, *, for_update: bool = False, order: bool = False) -> list[Store]:
        query = sa.select(t.store).where(where)
        if for_update:
            query = query.with_for_update()
        if order:
            query = query.order_by(t.store.c.id)
        rows = self.conn.execute(query).mappings().all()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        bindings: dict[int, dict[Channel, ChannelBinding]] = {i: {} for i in ids}
        for b in self.conn.execute(
            sa.select(t.store_channel_binding).where(t.store_channel_binding.c.store_id.in_(ids))
        ).mappings():
            channel = Channel(b["channel"])
            bindings[b["store_id"]][channel] = ChannelBinding(
                channel, b["channel_store_id"], b["credential_ref"], b["external_ref"]
            )
        pos = {
            p["store_id"]: PosBinding(p["pos_store_code"], p["pos_vendor"])
            for p in self.conn.execute(
                sa.select(t.store_pos_binding).where(t.store_pos_binding.c.store_id.in_(ids))
            ).mappings()
        }
        return [_to_store(r, bindings[r["id"]], pos.get(r["id"])) for r in rows]

    def get(self, store_id: int, *, for_update: bool = False) -> Store | None:
        found = self._load(t.store.c.id == store_id, for_update=for_update)
        return found[0] if found else None

    def find_by_code(self, store_code: str, tenant_id: int = 1) -> list[Store]:
        c = t.store.c
        return self._load(
            (c.store_code == store_code) & (c.tenant_id == tenant_id) & c.deleted_at.is_(None),
            order=True,
        )

    def get_by_legacy_id(self, legacy_id: int) -> Store | None:
        found = self._load(t.store.c.legacy_id == legacy_id)
        return found[0] if found else None

    def get_by_channel_store(self, channel: Channel, channel_store_id: str) -> Store | None:
        b = t.store_channel_binding.c
        store_id = self.conn.execute(
            sa.select(b.store_id).where(
                (b.channel == channel.value) & (b.channel_store_id == channel_store_id)
            )
        ).scalar()
        return None if store_id is None else self.get(store_id)

    def list(
        self, *, city: str | None, status: StoreStatus | None, include_deleted: bool
    ) -> list[Store]:
        c = t.store.c
        where = sa.true()
        if city is not None:
            where &= c.city == city
        if status is not None:
            where &= c.status == status.value
        if not include_deleted:
            where &= c.deleted_at.is_(None)
        return self._load(where, order=True)

    def add(self, store: Store) -> None:
        self.conn.execute(sa.insert(t.store).values(**_row(store)))
        self._write_children(store)

    def save(self, store: Store) -> None:
        row = _row(store)
        del row["id"]
        self.conn.execute(sa.update(t.store).where(t.store.c.id == store.id).values(**row))
        for table in (t.store_channel_binding, t.store_pos_binding):
            self.conn.execute(sa.delete(table).where(table.c.store_id == store.id))
        self._write_children(store)

    def _write_children(self, store: Store) -> None:
        if store.channel_bindings:
            self.conn.execute(
                sa.insert(t.store_channel_binding),
                [
                    {
                        "store_id": store.id,
                        "channel": b.channel.value,
                        "channel_store_id": b.channel_store_id,
                        "external_ref": b.external_ref,
                        "credential_ref": b.credential_ref,
                    }
                    for b in sorted(store.channel_bindings.values(), key=lambda b: b.channel)
                ],
            )
        if store.pos_binding:
            self.conn.execute(
                sa.insert(t.store_pos_binding).values(
                    store_id=store.id,
                    pos_store_code=store.pos_binding.pos_store_code,
                    pos_vendor=store.pos_binding.pos_vendor,
                )
            )


def _row(store: Store) -> dict:
    return {
        "id": store.id,
        "tenant_id": store.tenant_id,
        "store_code": store.store_code,
        "name": store.name,
        "city": store.city,
        "address": store.address,
        "phone_e164": store.phone.e164 if store.phone else None,
        "phone_ext": store.phone.extension if store.phone else None,
        "phone_masked": bool(store.phone and store.phone.masked),
        "phone_text": store.phone_text,
        "lng": store.geo.lng if store.geo else None,
        "lat": store.geo.lat if store.geo else None,
        "status": store.status.value,
        "business_hours": store.business_hours.to_json(),
        "legacy_id": store.legacy_id,
        "created_at": store.created_at,
        "updated_at": store.updated_at,
        "deleted_at": store.deleted_at,
    }


def _to_store(r, bindings: dict[Channel, ChannelBinding], pos: PosBinding | None) -> Store:
    phone = None
    if r["phone_e164"]:
        phone = Phone(r["phone_e164"], r["phone_ext"], bool(r["phone_masked"]))
    geo = Geo(r["lng"], r["lat"]) if r["lng"] is not None and r["lat"] is not None else None
    return Store(
        id=r["id"],
        tenant_id=r["tenant_id"],
        store_code=r["store_code"],
        name=r["name"],
        city=r["city"],
        address=r["address"],
        phone=phone,
        phone_text=r["phone_text"],
        geo=geo,
        status=StoreStatus(r["status"]),
        business_hours=BusinessHours.from_json(r["business_hours"]),
        legacy_id=r["legacy_id"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        deleted_at=r["deleted_at"],
        channel_bindings=bindings,
        pos_binding=pos,
    )
