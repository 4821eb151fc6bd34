"""Member repositories: abstract interfaces and SQLAlchemy Core implementations.

In-memory twins live in :mod:`zhongtai.platform.member.fakes`.
"""

from __future__ import annotations

import abc

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.platform.member import tables as t
from zhongtai.platform.member.model import (
    Gender,
    Identity,
    Member,
    StoredValueAccount,
    StoredValueTxn,
)
from zhongtai.platform.phone import Phone


class MemberRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, member_id: int, *, for_update: bool = False) -> Member | None:
        """The member, deleted or merged ones included."""

    @abc.abstractmethod
    def owner_of(self, identity: Identity) -> int | None:
        """Id of the member holding this identity."""

    @abc.abstractmethod
    def add(self, member: Member) -> None: ...

    @abc.abstractmethod
    def save(self, member: Member) -> None:
        """Write back a loaded member; identities are added or removed to match."""


class AccountRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, member_id: int, *, for_update: bool = False) -> StoredValueAccount | None: ...

    @abc.abstractmethod
    def put(self, account: StoredValueAccount) -> None: ...

    @abc.abstractmethod
    def get_txn(self, request_id: str) -> StoredValueTxn | None: ...

    @abc.abstractmethod
    def add_txn(self, txn: StoredValueTxn) -> None: ...


_MEMBER_COLUMNS = [c.name for c in t.member.columns]


class SqlMemberRepository(MemberRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def get(self, member_id: int, *, for_update: bool = False) -> Member | None:
        query = sa.select(t.member).where(t.member.c.id == member_id)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        if row is None:
            return None
        i = t.member_identity.c
        identities = {
            Identity(kind, value)
            for kind, value in self.conn.execute(
                sa.select(i.kind, i.value).where(i.member_id == member_id)
            )
        }
        return _to_member(row, identities)

    def owner_of(self, identity: Identity) -> int | None:
        i = t.member_identity.c
        return self.conn.execute(
            sa.select(i.member_id).where(
                (i.kind == identity.kind.value) & (i.value == identity.value)
            )
        ).scalar()

    def add(self, member: Member) -> None:
        self.conn.execute(sa.insert(t.member).values(**_row(member)))
        self._sync_identities(member, set())

    def save(self, member: Member) -> None:
        row = _row(member)
        del row["id"]
        self.conn.execute(sa.update(t.member).where(t.member.c.id == member.id).values(**row))
        i = t.member_identity.c
        stored = {
            Identity(kind, value)
            for kind, value in self.conn.execute(
                sa.select(i.kind, i.value).where(i.member_id == member.id)
            )
        }
        self._sync_identities(member, stored)

    def _sync_identities(self, member: Member, stored: set[Identity]) -> None:
        i = t.member_identity
        for gone in sorted(stored - member.identities):
            self.conn.execute(
                sa.delete(i).where((i.c.kind == gone.kind.value) & (i.c.value == gone.value))
            )
        new = sorted(member.identities - stored)
        if new:
            self.conn.execute(
                sa.insert(i),
                [
                    {
                        "kind": n.kind.value,
                        "value": n.value,
                        "member_id": member.id,
                        "created_at": member.updated_at,
                    }
                    for n in new
                ],
            )


class SqlAccountRepository(AccountRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def get(self, member_id: int, *, for_update: bool = False) -> StoredValueAccount | None:
        a = t.stored_value_account
        query = sa.select(a).where(a.c.member_id == member_id)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return StoredValueAccount(**row) if row else None

    def put(self, account: StoredValueAccount) -> None:
        a = t.stored_value_account
        values = vars(account).copy()
        done = self.conn.execute(
            sa.update(a).where(a.c.member_id == account.member_id).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(sa.insert(a).values(**values))

    def get_txn(self, request_id: str) -> StoredValueTxn | None:
        x = t.stored_value_txn
        row = self.conn.execute(sa.select(x).where(x.c.request_id == request_id)).mappings().first()
        return StoredValueTxn(**row) if row else None

    def add_txn(self, txn: StoredValueTxn) -> None:
        self.conn.execute(sa.insert(t.stored_value_txn).values(**vars(txn)))


def _row(member: Member) -> dict:
    row = {k: getattr(member, k) for k in _MEMBER_COLUMNS if hasattr(member, k)}
    row.update(
        gender=member.gender.value,
        phone_e164=member.phone.e164 if member.phone else None,
        phone_ext=member.phone.extension if member.phone else None,
        phone_masked=bool(member.phone and member.phone.masked),
    )
    return row


def _to_member(row, identities: set[Identity]) -> Member:
    values = {k: row[k] for k in _MEMBER_COLUMNS if not k.startswith("phone_")}
    phone = None
    if row["phone_e164"]:
        phone = Phone(row["phone_e164"], row["phone_ext"], bool(row["phone_masked"]))
    values["gender"] = Gender(values["gender"])
    return Member(**values, phone=phone, identities=identities)
