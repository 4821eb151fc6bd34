"""In-memory twins of the member repositories and unit of work, for unit tests."""

from __future__ import annotations

import copy

from zhongtai.platform.ids import IdAllocator, MemoryIdAllocator
from zhongtai.platform.member.model import Identity, Member, StoredValueAccount, StoredValueTxn
from zhongtai.platform.member.repository import AccountRepository, MemberRepository
from zhongtai.platform.uow import InMemoryUnitOfWork


class FakeMemberRepository(MemberRepository):
    def __init__(self, rows: dict[int, Member]) -> None:
        self.rows = rows

    def get(self, member_id: int, *, for_update: bool = False) -> Member | None:
        return copy.deepcopy(self.rows.get(member_id))

    def owner_of(self, identity: Identity) -> int | None:
        return next((m.id for m in self.rows.values() if identity in m.identities), None)

    def add(self, member: Member) -> None:
        if member.id in self.rows:
            raise KeyError(f"duplicate member {member.id}")
        self.save(member)

    def save(self, member: Member) -> None:
        for identity in member.identities:  # the (kind, value) primary key
            owner = self.owner_of(identity)
            if owner is not None and owner != member.id:
                raise KeyError(f"identity {identity} belongs to member {owner}")
        self.rows[member.id] = copy.deepcopy(member)


class FakeAccountRepository(AccountRepository):
    def __init__(self, accounts: dict[int, StoredValueAccount], txns: dict[str, StoredValueTxn]):
        self.accounts, self.txns = accounts, txns

    def get(self, member_id: int, *, for_update: bool = False) -> StoredValueAccount | None:
        return copy.deepcopy(self.accounts.get(member_id))

    def put(self, account: StoredValueAccount) -> None:
        self.accounts[account.member_id] = copy.deepcopy(account)

    def get_txn(self, request_id: str) -> StoredValueTxn | None:
        return self.txns.get(request_id)

    def add_txn(self, txn: StoredValueTxn) -> None:
        if txn.request_id in self.txns:
            raise KeyError(f"duplicate request_id {txn.request_id}")
        self.txns[txn.request_id] = txn


class FakeMemberUnitOfWork(InMemoryUnitOfWork):
    members: MemberRepository
    accounts: AccountRepository
    ids: IdAllocator

    def _open(self) -> None:
        rows = self.table("member")
        self.members = FakeMemberRepository(rows)
        self.accounts = FakeAccountRepository(
            self.table("stored_value_account"), self.table("stored_value_txn")
        )
        self.ids = MemoryIdAllocator(self.table("id_counter"), {"member": rows})
