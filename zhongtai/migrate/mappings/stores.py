"""t_store → store center: ``store``, ``store_channel_binding``, ``store_pos_binding``.

* The store keeps its legacy id as ``id`` and ``legacy_id`` (the gateway keeps serving legacy
  store ids); ``brand_id`` becomes ``tenant_id``.
* ``status`` 0/1/2 → CLOSED/OPEN/PREPARING; ``status = -1`` and ``is_deleted = 1`` both mean
  deleted → ``deleted_at`` (update time, else create time).
* Channel bindings come from the inlined ``mt_app_poi_code`` and ``ele_shop_id``/``ele_open_id``.
  Tokens (``mt_token``, ``ele_token``) are **never copied**: the binding gets
  ``credential_ref = legacy://t_store/<id>/<column>``, a reference telling operators where the
  secret still lives until it moves to a secret store. A deleted store has no bindings (as the
  store center's own delete releases them), so its channel ids can belong to its successor.
  A live store claiming a channel store id that a lower-id live store already holds is
  quarantined (``duplicate_channel_binding``): the center allows one store per channel id.
* ``phone`` → E.164 + extension + masked flag, and ``phone_text``: the field as written
  (``021-12345678转8``, two numbers, spaces), which the legacy store list shows verbatim.
* The POS binding is the store code under vendor ``LEGACY_POS``.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.legacy.schema import t_store
from zhongtai.migrate.mapping import Lookup, Mapped, Mapping, Quarantine, Record, Target
from zhongtai.migrate.mappings._common import first_time, local_or_none, phone_columns, text
from zhongtai.migrate.transforms import (
    Phone,
    TransformError,
    business_hours_from_legacy,
    business_hours_to_legacy,
    clean_code,
    deleted_at_from,
    deleted_flag,
    fix_geo,
    phone_to_legacy,
    store_status,
    store_status_to_legacy,
)
from zhongtai.platform.store import tables as st

POS_VENDOR = "LEGACY_POS"
_CHANNEL_COLUMNS = {"MEITUAN": ("mt_app_poi_code", None, "mt_token"),
                    "ELEME": ("ele_shop_id", "ele_open_id", "ele_token")}  # fmt: skip


def _binding_owners(conn: sa.Connection) -> dict[tuple[str, str], int]:
    """(channel, channel store id) → the lowest live store id that claims it."""
    c = t_store.c
    query = (
        sa.select(c.id, c.mt_app_poi_code, c.ele_shop_id)
        .where(c.is_deleted == 0, c.status != -1)
        .order_by(c.id)
    )
    owners: dict[tuple[str, str], int] = {}
    for row in conn.execute(query):
        for channel, code in (("MEITUAN", row[1]), ("ELEME", row[2])):
            code = clean_code(code)
            if code:
                owners.setdefault((channel, code), row[0])
    return owners


BINDING_OWNERS = Lookup("store_binding_owners", _binding_owners)


def transform(record: Record) -> Mapped | Quarantine:
    row = record.row
    store_id = row["id"]
    status, deleted_by_status = store_status(row["status"])
    created = first_time(row["create_time"], row["update_time"])
    updated = first_time(row["update_time"], row["create_time"])
    deleted_at = deleted_at_from(row["is_deleted"], deleted_by_status, at=updated)
    lng, lat, _ = fix_geo(row["lng"], row["lat"])
    code = clean_code(row["store_code"])
    name = text(row["store_name"], 64)
    if not code or not name:
        raise TransformError(f"store {store_id} has no store code or no name")
    store = {
        "id": store_id,
        "tenant_id": row["brand_id"],
        "store_code": code,
        "name": name,
        "city": text(row["city_name"], 32),
        "address": text(row["address"], 255),
        **phone_columns(row["phone"]),
        "phone_text": row["phone"] if row["phone"] and row["phone"].strip() else None,
        "lng": lng,
        "lat": lat,
        "status": status,
        "business_hours": business_hours_from_legacy(row["business_hours"]),
        "legacy_id": store_id,
        "created_at": created,
        "updated_at": updated,
        "deleted_at": deleted_at,
    }
    bindings = []
    if deleted_at is None:
        owners = record.lookups[BINDING_OWNERS.name]
        for channel, (id_col, ext_col, token_col) in _CHANNEL_COLUMNS.items():
            channel_store_id = clean_code(row[id_col])
            if not channel_store_id:
                continue
            owner = owners.get((channel, channel_store_id))
            if owner is not None and owner != store_id:
                return Quarantine(
                    "duplicate_channel_binding",
                    f"{channel} store id {channel_store_id} is already bound to store {owner}",
                )
            bindings.append(
                {
                    "store_id": store_id,
                    "channel": channel,
                    "channel_store_id": channel_store_id,
                    "external_ref": clean_code(row[ext_col]) if ext_col else None,
                    "credential_ref": (
                        f"legacy://t_store/{store_id}/{token_col}" if row[token_col] else None
                    ),
                }
            )
    return {
        "store": [store],
        "store_channel_binding": bindings,
        "store_pos_binding": [
            {"store_id": store_id, "pos_store_code": code, "pos_vendor": POS_VENDOR}
        ],
    }


def inverse(rows: Mapped) -> Mapped:
    """Store center rows → the t_store columns the platform owns (tokens stay in legacy)."""
    (store,) = rows["store"]
    phone = None
    if store["phone_e164"]:
        phone = Phone(store["phone_e164"], store["phone_ext"], bool(store["phone_masked"]))
    fields = {
        "id": store["legacy_id"] or store["id"],
        "brand_id": store["tenant_id"],
        "store_code": store["store_code"],
        "store_name": store["name"],
        "city_name": store["city"],
        "address": store["address"],
        "phone": (store.get("phone_text") or phone_to_legacy(phone)) if phone else None,
        "lng": store["lng"],
        "lat": store["lat"],
        "business_hours": business_hours_to_legacy(store["business_hours"]),
        "status": store_status_to_legacy(store["status"]),
        "is_deleted": deleted_flag(store["deleted_at"]),
        "create_time": local_or_none(store["created_at"]),
        "mt_app_poi_code": None,
        "ele_shop_id": None,
        "ele_open_id": None,
    }
    for b in rows.get("store_channel_binding", []):
        if b["channel"] == "MEITUAN":
            fields["mt_app_poi_code"] = b["channel_store_id"]
        elif b["channel"] == "ELEME":
            fields["ele_shop_id"] = b["channel_store_id"]
            fields["ele_open_id"] = b["external_ref"]
    return {"t_store": [fields]}


STORES = Mapping(
    name="stores",
    source=t_store,
    center="store",
    targets=(
        Target(st.store, key=("id",), owner="id"),
        Target(st.store_channel_binding, key=("store_id", "channel"), owner="store_id"),
        Target(st.store_pos_binding, key=("store_id",), owner="store_id"),
    ),
    transform=transform,
    uses=(BINDING_OWNERS,),
    inverse=inverse,
    description="t_store → store + channel bindings (no tokens) + POS binding",
)

MAPPINGS = (STORES,)
