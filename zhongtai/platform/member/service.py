"""Member center services: plain functions over a unit of work (see ``zhongtai.platform``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.member.model import (
    Identity,
    Member,
    StoredValueAccount,
    StoredValueTxn,
    phone_identity,
)


def _not_found(member_id: int) -> NotFound:
    return NotFound(f"no member with id {member_id}", code="MEMBER_NOT_FOUND")


def _load(uow, member_id: int, *, for_update: bool = False) -> Member:
    member = uow.members.get(member_id, for_update=for_update)
    if member is None:
        raise _not_found(member_id)
    if member.merged_into_id is not None:
        raise NotFound(
            f"member {member_id} was merged into member {member.merged_into_id}",
            code="MEMBER_MERGED",
            hint=f"use member {member.merged_into_id}",
            details={"merged_into": member.merged_into_id},
        )
    if member.is_deleted:
        raise _not_found(member_id)
    return member


def _check_free(uow, member_id: int, identities: Sequence[Identity]) -> None:
    for identity in identities:
        owner = uow.members.owner_of(identity)
        if owner is not None and owner != member_id:
            raise Conflict(
                f"{identity.kind} {identity.value} already belongs to member {owner}",
                code="IDENTITY_TAKEN",
                hint=f"if it is the same person, merge: POST /members/{member_id}/merge",
                details={"member_id": owner, "kind": identity.kind.value, "value": identity.value},
            )


def create_member(
    uow, *, member_id: int | None = None, identities: Sequence[Identity] = (), **profile: Any
) -> Member:
    """Register a member; ``member_id`` keeps a legacy ``t_member.id`` (migration)."""
    with uow:
        now = uow.now()
        if member_id is not None:
            if member_id <= 0:
                raise InvalidInput(f"member id {member_id} must be positive")
            if uow.members.get(member_id) is not None:
                raise Conflict(
                    f"member {member_id} already exists",
                    code="MEMBER_EXISTS",
                    details={"member_id": member_id},
                )
        new_id = member_id if member_id is not None else uow.ids.next_id("member")
        member = Member(id=new_id, created_at=now, updated_at=now, **profile)
        member.identities |= set(identities)
        own = phone_identity(member.phone)
        if own:
            member.identities.add(own)
        _check_free(uow, member.id, sorted(member.identities))
        uow.members.add(member)
        uow.commit()
        return member


def get_member(uow, member_id: int) -> Member:
    """One live member by id (merged ids raise ``MEMBER_MERGED``)."""
    with uow:
        return _load(uow, member_id)


def find_member(uow, identity: Identity) -> Member:
    """The member holding this identity (phones in any format)."""
    with uow:
        owner = uow.members.owner_of(identity)
        if owner is None:
            raise NotFound(
                f"no member with {identity.kind} {identity.value}",
                code="MEMBER_NOT_FOUND",
                details={"kind": identity.kind.value, "value": identity.value},
            )
        return _load(uow, owner)


def update_member(uow, member_id: int, **changes: Any) -> Member:
    """Change profile fields; identities gained must be free."""
    with uow:
        member = _load(uow, member_id, for_update=True)
        member.update(uow.now(), **changes)
        _check_free(uow, member.id, sorted(member.identities))
        uow.members.save(member)
        uow.commit()
        return member


def attach_identities(uow, member_id: int, identities: Sequence[Identity]) -> Member:
    """Attach identities; one held by another member is refused (merge instead)."""
    with uow:
        member = _load(uow, member_id, for_update=True)
        _check_free(uow, member.id, identities)
        now = uow.now()
        for identity in identities:
            member.add_identity(identity, now)
        uow.members.save(member)
        uow.commit()
        return member


def resolve_member(uow, identities: Sequence[Identity], **profile: Any) -> tuple[Member, bool]:
    """Find the member behind these identities or register one; returns (member, created).

    Free identities are attached to the member found. Identities of two different members
    are refused with both ids, so the caller can decide to merge.
    """
    if not identities:
        raise InvalidInput("resolve needs at least one identity", hint="send identities: [...]")
    with uow:
        owners = sorted({o for i in identities if (o := uow.members.owner_of(i)) is not None})
        if len(owners) > 1:
            raise Conflict(
                f"these identities belong to different members: {', '.join(map(str, owners))}",
                code="MEMBERS_DIFFER",
                hint=f"merge them first: POST /members/{owners[0]}/merge",
                details={"member_ids": owners},
            )
        now = uow.now()
        if owners:
            member = _load(uow, owners[0], for_update=True)
            if any([member.add_identity(i, now) for i in identities]):
                uow.members.save(member)
                uow.commit()
            return member, False
        member = Member(id=uow.ids.next_id("member"), created_at=now, updated_at=now, **profile)
        member.identities |= set(identities)
        own = phone_identity(member.phone)
        if own:
            _check_free(uow, member.id, [own])
            member.identities.add(own)
        uow.members.add(member)
        uow.commit()
        return member, True


def merge_members(uow, target_id: int, source_id: int) -> Member:
    """Merge ``source`` into ``target``: identities, points and stored value move."""
    with uow:
        target = _load(uow, target_id, for_update=True)
        source = _load(uow, source_id, for_update=True)
        now = uow.now()
        target.absorb(source, now)
        uow.members.save(source)  # release its identities before the target takes them
        uow.members.save(target)
        moved = uow.accounts.get(source_id, for_update=True)
        if moved is not None and moved.balance:
            amount = moved.balance
            key = f"merge:{source_id}>{target_id}"
            _post(uow, source_id, f"{key}:out", -amount, f"merged into {target_id}", now)
            _post(uow, target_id, f"{key}:in", amount, f"merged from {source_id}", now)
        uow.commit()
        return target


def get_account(uow, member_id: int) -> StoredValueAccount:
    """The member's stored-value account (balance 0 when it never had one)."""
    with uow:
        _load(uow, member_id)
        return uow.accounts.get(member_id) or StoredValueAccount(member_id, uow.now())


def _post(uow, member_id: int, request_id: str, amount: int, reason: str, now) -> StoredValueTxn:
    account = uow.accounts.get(member_id, for_update=True) or StoredValueAccount(member_id, now)
    balance = account.post(amount, now)
    uow.accounts.put(account)
    txn = StoredValueTxn(request_id, member_id, amount, balance, reason, now)
    uow.accounts.add_txn(txn)
    return txn


def post_stored_value(
    uow, member_id: int, request_id: str, amount: int, reason: str
) -> tuple[StoredValueTxn, bool]:
    """Credit (+) or debit (−) fen, idempotent by ``request_id``; returns (txn, replayed)."""
    request_id = (request_id or "").strip()
    if not request_id or len(request_id) > 64:
        raise InvalidInput("request_id must be 1-64 characters", hint="one id per posting")
    with uow:
        known = uow.accounts.get_txn(request_id)
        if known is not None:
            if (known.member_id, known.amount) != (member_id, amount):
                raise Conflict(
                    f"request_id {request_id} was used for another posting",
                    code="REQUEST_ID_REUSED",
                    details={"member_id": known.member_id, "amount": known.amount},
                )
            return known, True
        _load(uow, member_id)
        txn = _post(uow, member_id, request_id, amount, reason or "", uow.now())
        uow.commit()
        return txn, False
