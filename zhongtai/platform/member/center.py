"""The member center as the platform sees it (see :mod:`zhongtai.platform.center`)."""

from __future__ import annotations

from pathlib import Path

from zhongtai.platform.center import Center
from zhongtai.platform.member.tables import metadata
from zhongtai.platform.member.uow import SqlMemberUnitOfWork


def _router():
    from zhongtai.platform.member.api import router

    return router


CENTER = Center(
    name="member",
    title="会员中心 member center",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    uow=SqlMemberUnitOfWork,
    router=_router,
)
