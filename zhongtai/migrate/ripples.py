"""Rows to re-sync because a whole-table fact changed, not the row itself.

A mapping's transform may consult facts built from whole tables (``Group`` merges, ``Lookup``
scans): a new order can link a phoneless member to another member (a person merge), which
changes the ``member`` rows of both although neither ``t_member`` row changed. Sync rebuilds
these facts before each batch that uses them, and compares each fact's old and new value here
to find the rows whose mapping output the difference touches:

* any ``Group``: ids whose group membership changed, for the mapping that owns the group;
* the reference system's ``people`` resolution (:data:`RULES`): members whose survivor or
  identities changed, the new platform members anchored on an order, and the orders that
  point at a member whose survivor changed.

Both compare a fact before and after a change, so they see only changes made after the
syncer first built it. Changes already waiting in the log then (a fresh ``migrate sync
--once`` after traffic, the changes captured during a backfill) are in that first value but
not yet in the centers; :data:`PENDING_RULES` find their rows from the changes themselves
(:func:`pending_ripple`): for the people resolution, every member and new platform member of
the persons the changed orders and members belong to now.

Facts without a rule (catalog survivors, store binding owners…) are refreshed for the rows
that change, and other rows pick up the new fact on their next change; ``zhongtai compare
data`` shows such drift and a backfill of that mapping repairs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy.schema import t_order
from zhongtai.migrate.changelog import Change
from zhongtai.migrate.mapping import Group, GroupIndex, Lookup, Mapping
from zhongtai.migrate.mappings.people import NEW_MEMBER_BASE, USER_KINDS, People

Keys = dict[str, set[int]]
IN_BATCH = 1_000


def group_ripple(index_old: GroupIndex, index_new: GroupIndex) -> set[Any]:
    """Ids whose group (key and member list) differs between two builds of a group (pure)."""

    def membership(index: GroupIndex, row_id: Any) -> tuple | None:
        key = index.key_of.get(row_id)
        return None if key is None else (key, index.members[key])

    ids = set(index_old.key_of) | set(index_new.key_of)
    return {i for i in ids if membership(index_old, i) != membership(index_new, i)}


def people_ripple(old: People, new: People) -> tuple[set[int], set[int], set[int]]:
    """(member ids, platform-customer anchor order ids, member ids whose survivor moved) (pure)."""
    members: set[int] = set()
    anchors: set[int] = set()
    moved = {
        m
        for m in set(old.survivor_of) | set(new.survivor_of)
        if old.survivor_of.get(m) != new.survivor_of.get(m)
    }
    for m in moved:
        members.add(m)
        for survivor in (old.survivor_of.get(m), new.survivor_of.get(m)):
            if survivor is not None and survivor < NEW_MEMBER_BASE:
                members.add(survivor)
    for survivor in set(old.identities) | set(new.identities):
        if old.identities.get(survivor) != new.identities.get(survivor):
            if survivor < NEW_MEMBER_BASE:
                members.add(survivor)
            else:
                anchors.add(survivor - NEW_MEMBER_BASE)
    old_anchors, new_anchors = set(old.new_member_anchor), set(new.new_member_anchor)
    anchors |= old_anchors ^ new_anchors
    return members, anchors, moved


def _orders_of_members(conn: Connection, member_ids: set[int]) -> set[int]:
    found: set[int] = set()
    ordered = sorted(member_ids)
    for i in range(0, len(ordered), IN_BATCH):
        batch = ordered[i : i + IN_BATCH]
        found.update(
            conn.execute(sa.select(t_order.c.id).where(t_order.c.member_id.in_(batch))).scalars()
        )
    return found


def _people(old: People, new: People, conn: Connection) -> Keys:
    members, anchors, moved = people_ripple(old, new)
    out: Keys = {"members": members, "platform_customers": anchors}
    if moved:
        out["orders"] = _orders_of_members(conn, moved)
    return out


# Lookup name → rule for the reference mappings (old value, new value, legacy connection).
RULES: dict[str, Callable[[Any, Any, Connection], Keys]] = {"people": _people}


def people_touched(
    people: People, members: set[int], users: set[tuple[int, str]]
) -> tuple[set[int], set[int], set[int]]:
    """The persons ``members`` and platform ``users`` (channel, user id) belong to in
    ``people``: (their member ids, their new platform members' anchor order ids, those of
    their members merged into another) (pure)."""
    survivors = {people.member(m) for m in members}
    survivors |= {people.user_member[u] for u in users if u in people.user_member}
    group = {m for s in survivors for m in people.members_of(s)}
    ids = group | {s for s in survivors if s < NEW_MEMBER_BASE}
    anchors = {s - NEW_MEMBER_BASE for s in survivors if s >= NEW_MEMBER_BASE}
    merged = {m for m in group if people.survivor_of[m] != m}
    return ids, anchors, merged


def _people_pending(people: People, changes: Sequence[Change], conn: Connection) -> Keys:
    o = t_order.c
    members = {c.key for c in changes if c.table == "t_member"}
    raw_users: set[tuple[int, str]] = set()
    ordered = sorted({c.key for c in changes if c.table == "t_order"})
    for i in range(0, len(ordered), IN_BATCH):
        query = sa.select(o.member_id, o.channel, o.platform_user_id).where(
            o.id.in_(ordered[i : i + IN_BATCH])
        )
        for member_id, channel, user in conn.execute(query):
            if member_id is not None:
                members.add(member_id)
            if user is not None and channel in USER_KINDS and str(user).strip():
                raw_users.add((channel, user))
    users = {(channel, str(user).strip()) for channel, user in raw_users}
    ids, anchors, merged = people_touched(people, members, users)
    # A user's first order anchors its own member only while no legacy member is the same
    # person: re-sync it whatever it anchors now.
    listed = sorted(raw_users)
    for i in range(0, len(listed), IN_BATCH):
        query = (
            sa.select(sa.func.min(o.id))
            .where(sa.tuple_(o.channel, o.platform_user_id).in_(listed[i : i + IN_BATCH]))
            .group_by(o.channel, o.platform_user_id)
        )
        anchors.update(conn.execute(query).scalars())
    out: Keys = {"members": ids, "platform_customers": anchors}
    if merged:
        out["orders"] = _orders_of_members(conn, merged)
    return out


# Fact name → rule for the changes already in the log when the syncer built the fact (its
# value, those changes of any origin, legacy connection).
PENDING_RULES: dict[str, Callable[[Any, Sequence[Change], Connection], Keys]] = {
    "people": _people_pending
}

# table → the columns a fact reads (None: any column), so that sync rebuilds a fact only when
# an insert, a delete or an update of one of those columns (op ``W``) reached its tables.
# Columns are listed only for the facts that are expensive to rebuild (whole-order scans);
# the cheap ones say "any column", which cannot go stale when their code changes.
Inputs = dict[str, tuple[str, ...] | None]
_PEOPLE_INPUTS: Inputs = {
    "t_member": ("openid", "unionid", "mobile", "is_deleted"),
    "t_order": ("member_id", "recipient_phone", "platform_user_id", "channel"),
}
INPUTS: dict[str, Inputs] = {
    "people": _PEOPLE_INPUTS,
    "member_people": _PEOPLE_INPUTS,
    "order_repush": {"t_order": ("channel", "channel_order_id")},
    "store_brands": {"t_store": None},
    "store_binding_owners": {"t_store": None},
    "catalog": {"t_product": None, "t_product_sku": None},
    "store_listed_skus": {"t_store_product": None},
    "refund_orders": {"t_refund": None, "t_order": ("order_no",), "t_payment": None},
}


def _member_rows(people: People) -> list[dict]:
    # The rows ``mappings.members._member_rows`` scans, from an already-resolved People (a
    # test holds the two equal), so the merge group costs no second whole-table resolution.
    return [{"id": mid, "person": survivor} for mid, survivor in people.survivor_of.items()]


# Fact name → (the fact it is computed from, how): built from that value, never rescanned.
DERIVED: dict[str, tuple[str, Callable[[Any], list[dict]]]] = {
    "member_people": ("people", _member_rows),
}


def fact_inputs(item: Group | Lookup) -> Inputs | None:
    """What a fact is built from; None when unknown (then it is rebuilt whenever used)."""
    if item.name in INPUTS:
        return INPUTS[item.name]
    if isinstance(item, Group) and item.scan is None and item.where is None:
        return {item.table.name: tuple(item.columns)}
    return None


def ripple(name: str, old: Any, new: Any, conn: Connection, mappings: list[Mapping]) -> Keys:
    """Keys per mapping to re-sync because fact ``name`` changed from ``old`` to ``new``."""
    if old is None or old == new:
        return {}
    if isinstance(old, GroupIndex) and isinstance(new, GroupIndex):
        ids = group_ripple(old, new)
        return {m.name: set(ids) for m in mappings if m.group and m.group.name == name and ids}
    rule = RULES.get(name)
    return {k: v for k, v in rule(old, new, conn).items() if v} if rule else {}


def pending_ripple(name: str, value: Any, changes: Sequence[Change], conn: Connection) -> Keys:
    """Keys per mapping to re-sync for ``changes`` that fact ``name``'s first build (``value``)
    already saw but the centers have not."""
    rule = PENDING_RULES.get(name)
    if rule is None or value is None or not changes:
        return {}
    return {k: v for k, v in rule(value, changes, conn).items() if v}
