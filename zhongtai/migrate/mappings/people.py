"""Who is who: legacy members and platform customers resolved into people (one scan each).

The legacy has one wide ``t_member`` row per identity it happened to create, and platform
customers only as a ``platform_user_id`` and a phone on their orders. The member center has
one member per person plus identities, each ``(kind, value)`` owned by one member. This
module decides, for the whole database at once, which rows are the same person:

* Nodes: every live member row, and every (channel, platform user id) seen on Meituan/Eleme
  orders. Soft-deleted members stand alone and keep no identities.
* Links: equal WeChat openid or unionid, or an equal *identifying* phone (E.164, neither
  masked nor a privacy number with an extension). A member row without a phone of its own
  is linked through the phones on its own orders (the openid-only mini-program row and the
  phone-only App row of one person meet that way). A platform user is linked through the
  phones on its orders.
* Each connected group is one person. Its member is the lowest legacy member id in it; a
  group with no legacy member (a platform customer only) becomes a new member with id
  :data:`NEW_MEMBER_BASE` + the legacy id of that customer's first order — deterministic, above
  legacy ids and below the platform's own id range.
* Its identities are all of the group's openids, unionids, identifying phones and platform
  user ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from zhongtai.legacy.schema import t_member, t_order
from zhongtai.migrate.transforms import TransformError, normalize_phone

NEW_MEMBER_BASE = 500_000_000_000  # < zhongtai.platform.ids.PLATFORM_ID_BASE (10**12)
USER_KINDS = {1: "MEITUAN_USER", 2: "ELEME_USER"}


def identifying_phone(raw: str | None) -> str | None:
    """The E.164 of a phone that can identify a person, else None (masked, extension, bad)."""
    try:
        phone = normalize_phone(raw)
    except TransformError:
        return None
    if phone is None or phone.masked or phone.extension:
        return None
    return phone.e164


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, node: Any) -> Any:
        parent = self.parent.setdefault(node, node)
        if parent != node:
            parent = self.parent[node] = self.find(parent)
        return parent

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # Deterministic: the smaller node becomes the root.
            small, big = (ra, rb) if repr(ra) < repr(rb) else (rb, ra)
            self.parent[big] = small


@dataclass
class People:
    """The resolution: member survivors, identities per survivor, new platform members."""

    survivor_of: dict[int, int] = field(default_factory=dict)  # live member id → member id
    identities: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    user_member: dict[tuple[int, str], int] = field(default_factory=dict)
    new_member_anchor: dict[int, int] = field(default_factory=dict)  # first order id → id
    # survivor → its member ids, built on first use (not part of the value)
    _groups: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def member(self, legacy_member_id: int) -> int:
        """The member a legacy member id ends up as (itself when not merged)."""
        return self.survivor_of.get(legacy_member_id, legacy_member_id)

    def members_of(self, survivor: int) -> list[int]:
        """The live legacy member ids whose person's member is ``survivor``."""
        if not self._groups and self.survivor_of:
            for mid, to in self.survivor_of.items():
                self._groups.setdefault(to, []).append(mid)
        return self._groups.get(survivor, [])


def resolve_people(conn: sa.Connection) -> People:
    uf = _UnionFind()
    m = t_member.c
    members = conn.execute(
        sa.select(m.id, m.openid, m.unionid, m.mobile).where(m.is_deleted == 0).order_by(m.id)
    ).all()
    keys: dict[Any, set] = {}  # node → identity keys it brings

    def link(node: Any, key: tuple[str, str]) -> None:
        uf.union(node, key)
        keys.setdefault(node, set()).add(key)

    phoneless = set()
    for mid, openid, unionid, mobile in members:
        node = ("m", mid)
        uf.find(node)
        if openid and openid.strip():
            link(node, ("WX_OPENID", openid.strip()))
        if unionid and unionid.strip():
            link(node, ("WX_UNIONID", unionid.strip()))
        phone = identifying_phone(mobile)
        if phone:
            link(node, ("PHONE", phone))
        else:
            phoneless.add(mid)
    o = t_order.c
    if phoneless:
        rows = conn.execute(
            sa.select(o.member_id, o.recipient_phone)
            .where(o.member_id.is_not(None), o.recipient_phone.is_not(None))
            .order_by(o.id)
        )
        for mid, raw in rows:
            phone = identifying_phone(raw) if mid in phoneless else None
            if phone:
                link(("m", mid), ("PHONE", phone))
    first_order: dict[tuple[int, str], int] = {}
    rows = conn.execute(
        sa.select(o.id, o.channel, o.platform_user_id, o.recipient_phone)
        .where(o.platform_user_id.is_not(None), o.channel.in_(tuple(USER_KINDS)))
        .order_by(o.id)
    )
    for oid, channel, user, raw in rows:
        user = str(user).strip()
        if not user:
            continue
        node = ("u", channel, user)
        first_order.setdefault((channel, user), oid)
        link(node, (USER_KINDS[channel], user))
        phone = identifying_phone(raw)
        if phone:
            link(node, ("PHONE", phone))
    return _people(uf, keys, [r[0] for r in members], first_order)


def _people(uf: _UnionFind, keys: dict, member_ids: list[int], first_order: dict) -> People:
    groups: dict[Any, dict[str, Any]] = {}
    for mid in member_ids:
        g = groups.setdefault(uf.find(("m", mid)), {"members": [], "orders": [], "keys": set()})
        g["members"].append(mid)
    for (channel, user), oid in first_order.items():
        g = groups.setdefault(
            uf.find(("u", channel, user)), {"members": [], "orders": [], "keys": set()}
        )
        g["orders"].append(oid)
    for node, found in keys.items():
        groups[uf.find(node)]["keys"] |= found
    people = People()
    for g in groups.values():
        if g["members"]:
            survivor = min(g["members"])
        else:
            anchor = min(g["orders"])
            survivor = NEW_MEMBER_BASE + anchor
            people.new_member_anchor[anchor] = survivor
        for mid in g["members"]:
            people.survivor_of[mid] = survivor
        people.identities[survivor] = tuple(sorted(g["keys"]))
    for (channel, user), _ in first_order.items():
        root = uf.find(("u", channel, user))
        g = groups[root]
        people.user_member[(channel, user)] = (
            min(g["members"]) if g["members"] else NEW_MEMBER_BASE + min(g["orders"])
        )
    return people
