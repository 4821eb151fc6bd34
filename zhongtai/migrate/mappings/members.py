"""t_member + platform customers seen on orders → member center.

``members`` (t_member → ``member``, ``member_identity``, ``stored_value_account``)
    Every legacy member keeps its id. Rows that are the same person (see
    :mod:`.people`) are merged the way the member center's own merge does it
    (``Member.absorb``): the survivor (lowest id) takes the others' identities and the sum of
    their points and stored value, keeps its own name/phone/birthday/gender or else the first
    of the others', and the highest level; each other row stays as a member with
    ``merged_into_id`` = the survivor, no phone, no points, and ``deleted_at`` = its create
    time. Gender 0/1/2 → UNKNOWN/MALE/FEMALE, ``birthday`` in any legacy format → DATE,
    ``source_channel`` 3/4 → MINI_PROGRAM/APP, ``balance`` (float yuan) → fen. The survivor
    writes every identity of the person, so each identity is written once, by one row.
    Nicknames whose emoji were lost as ``????`` are kept as stored (the loss is not reversible).

``platform_customers`` (t_order of Meituan/Eleme with a ``platform_user_id``)
    A platform customer linked to no legacy member becomes a new member (id
    ``NEW_MEMBER_BASE`` + its first order's id, ``source_channel`` MEITUAN/ELEME, name and
    gender from ``recipient_name`` like ``张(先生)``), written by its first order; a customer
    linked to a member only adds identities, which that member's row writes. The member is
    owned by that first order: once the customer turns out to be a legacy member (an order of
    the member carries the customer's phone), syncing the order again removes it.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.legacy.schema import t_member, t_order
from zhongtai.migrate.mapping import Group, Lookup, Mapped, Mapping, Record, Target
from zhongtai.migrate.mappings._common import STORE_BRANDS, first_time, phone_columns, text
from zhongtai.migrate.mappings.people import NEW_MEMBER_BASE, USER_KINDS, People, resolve_people
from zhongtai.migrate.transforms import (
    Phone,
    channel_name,
    deleted_at_from,
    deleted_flag,
    fen_to_yuan,
    parse_birthday,
    phone_to_legacy,
    utc_to_local,
    yuan_to_fen,
)
from zhongtai.platform.member import tables as mt

GENDERS = {0: "UNKNOWN", 1: "MALE", 2: "FEMALE"}
_LEGACY_GENDER = {name: code for code, name in GENDERS.items()}

PEOPLE = Lookup("people", resolve_people)


def _person_rows(people: People) -> list[dict]:
    return [{"id": mid, "person": survivor} for mid, survivor in people.survivor_of.items()]


def _member_rows(conn: sa.Connection) -> list[dict]:
    return _person_rows(resolve_people(conn))


# Live members grouped by person; the lowest id survives (as in People).
MEMBER_GROUP = Group(
    name="member_people",
    table=t_member,
    columns=(),
    key=lambda r: r["person"],
    rank=lambda r: r["id"],
    fetch_members=True,
    scan=_member_rows,
    derived_from=PEOPLE,  # a backfill resolves the people once for both
    derive=_person_rows,
)


def _identities(member_id: int, people, created) -> list[dict]:
    return [
        {"kind": kind, "value": value[:128], "member_id": member_id, "created_at": created}
        for kind, value in people.identities.get(member_id, ())
    ]


def _base(row, created) -> dict:
    return {
        "id": row["id"],
        "tenant_id": 1,
        "name": text(row["nickname"], 64),
        **phone_columns(row["mobile"]),
        "gender": GENDERS.get(row["gender"] or 0, "UNKNOWN"),
        "birthday": parse_birthday(row["birthday"]),
        "level": row["level"] if row["level"] is not None else 1,
        "points": row["points"] or 0,
        "register_store_id": row["register_store_id"],
        "source_channel": channel_name(row["source_channel"]) if row["source_channel"] else None,
        "merged_into_id": None,
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
    }


def member(record: Record) -> Mapped:
    row, people = record.row, record.lookups[PEOPLE.name]
    brands = record.lookups[STORE_BRANDS.name]
    created = first_time(row["create_time"])
    out = _base(row, created)
    out["tenant_id"] = brands.get(row["register_store_id"], 1)
    if row["is_deleted"]:
        out["deleted_at"] = deleted_at_from(1, at=created)
        return {"member": [out], "member_identity": [], "stored_value_account": []}
    group = record.group
    if group is not None and not group.is_survivor(row["id"]):
        out.update(
            merged_into_id=group.survivor,
            phone_e164=None,
            phone_ext=None,
            phone_masked=False,
            points=0,
            deleted_at=created,
        )
        return {"member": [out], "member_identity": [], "stored_value_account": []}
    balance = yuan_to_fen(row["balance"]) or 0
    for other in record.merged:  # Member.absorb, in id order
        o = _base(other, created)
        out["points"] += o["points"]
        for name in ("name", "birthday"):
            out[name] = out[name] or o[name]
        if not out["phone_e164"]:
            out.update({k: o[k] for k in ("phone_e164", "phone_ext", "phone_masked")})
        if out["gender"] == "UNKNOWN":
            out["gender"] = o["gender"]
        out["level"] = max(out["level"], o["level"])
        balance += yuan_to_fen(other["balance"]) or 0
    accounts = []
    if balance:
        accounts.append({"member_id": row["id"], "balance": balance, "updated_at": created})
    return {
        "member": [out],
        "member_identity": _identities(row["id"], people, created),
        "stored_value_account": accounts,
    }


def member_inverse(rows: Mapped) -> Mapped:
    (m,) = rows["member"]
    phone = (
        Phone(m["phone_e164"], m["phone_ext"], bool(m["phone_masked"])) if m["phone_e164"] else None
    )
    ids = {i["kind"]: i["value"] for i in rows.get("member_identity", [])}
    accounts = rows.get("stored_value_account", [])
    fields = {
        "id": m["id"],
        "nickname": m["name"],
        "mobile": phone_to_legacy(phone),
        "gender": _LEGACY_GENDER.get(m["gender"], 0),
        "birthday": m["birthday"].isoformat() if m["birthday"] else None,
        "level": m["level"],
        "points": m["points"],
        "register_store_id": m["register_store_id"],
        "is_deleted": deleted_flag(m["deleted_at"]),
        "create_time": utc_to_local(m["created_at"]),
        "openid": ids.get("WX_OPENID"),
        "unionid": ids.get("WX_UNIONID"),
    }
    if accounts:
        fields["balance"] = fen_to_yuan(accounts[0]["balance"])
    return {"t_member": [fields]}


def _gender_from_name(name: str | None) -> str:
    if name and ("先生" in name):
        return "MALE"
    if name and ("女士" in name or "小姐" in name):
        return "FEMALE"
    return "UNKNOWN"


def platform_customer(record: Record) -> Mapped:
    row, people = record.row, record.lookups[PEOPLE.name]
    member_id = people.new_member_anchor.get(row["id"])
    if member_id is None:
        return {}  # not this customer's first order, or the customer is a legacy member
    created = first_time(row["create_time"], row["order_time"])
    try:
        phone = phone_columns(row["recipient_phone"])
    except ValueError:
        phone = phone_columns(None)
    new = {
        "id": member_id,
        "tenant_id": record.lookups[STORE_BRANDS.name].get(row["store_id"], 1),
        "name": text(row["recipient_name"], 64),
        **phone,
        "gender": _gender_from_name(row["recipient_name"]),
        "birthday": None,
        "level": 1,
        "points": 0,
        "register_store_id": row["store_id"],
        "source_channel": channel_name(row["channel"]),
        "merged_into_id": None,
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
    }
    return {"member": [new], "member_identity": _identities(member_id, people, created)}


def _has_platform_user(table: sa.Table):
    return table.c.platform_user_id.is_not(None) & table.c.channel.in_(tuple(USER_KINDS))


MEMBERS = Mapping(
    name="members",
    source=t_member,
    center="member",
    targets=(
        Target(mt.member, key=("id",), owner="id"),
        Target(mt.member_identity, key=("kind", "value"), owner="member_id"),
        Target(mt.stored_value_account, key=("member_id",), owner="member_id", money=("balance",)),
    ),
    transform=member,
    group=MEMBER_GROUP,
    uses=(PEOPLE, STORE_BRANDS),
    inverse=member_inverse,
    description="t_member → member + identities (duplicates merged) + stored value",
)


def new_member_id(order_id: int) -> int:
    """The member a platform customer's first order ``order_id`` creates."""
    return NEW_MEMBER_BASE + order_id


PLATFORM_CUSTOMERS = Mapping(
    name="platform_customers",
    source=t_order,
    center="member",
    # Owned by the anchor order: when the customer turns out to be a legacy member, the next
    # sync of that order removes the member it had made (its identities move to the member).
    targets=(
        Target(mt.member, key=("id",), owner="id", owner_of=new_member_id),
        Target(
            mt.member_identity, key=("kind", "value"), owner="member_id", owner_of=new_member_id
        ),
    ),
    transform=platform_customer,
    uses=(PEOPLE, STORE_BRANDS),
    where=_has_platform_user,
    depends_on=("members",),
    description="Meituan/Eleme customers on orders → new members + platform identities",
)

MAPPINGS = (MEMBERS, PLATFORM_CUSTOMERS)
