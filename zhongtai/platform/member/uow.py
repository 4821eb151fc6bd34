"""The member center's unit of work over SQLAlchemy (the fake twin is in ``fakes.py``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from zhongtai.platform.ids import IdAllocator, SqlIdAllocator
from zhongtai.platform.member import tables as t
from zhongtai.platform.member.repository import (
    AccountRepository,
    MemberRepository,
    SqlAccountRepository,
    SqlMemberRepository,
)
from zhongtai.platform.uow import SqlUnitOfWork


class SqlMemberUnitOfWork(SqlUnitOfWork):
    members: MemberRepository
    accounts: AccountRepository
    ids: IdAllocator

    def _open(self, connection: Connection) -> None:
        self.members = SqlMemberRepository(connection)
        self.accounts = SqlAccountRepository(connection)
        self.ids = SqlIdAllocator(connection, t.id_counter, {"member": t.member.c.id})
