"""The order center as the platform sees it (see :mod:`zhongtai.platform.center`)."""

from __future__ import annotations

from pathlib import Path

from zhongtai.platform.center import Center
from zhongtai.platform.order.tables import metadata
from zhongtai.platform.order.uow import SqlOrderUnitOfWork


def _router():
    from zhongtai.platform.order.api import router

    return router


CENTER = Center(
    name="order",
    title="订单中心 order center",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    uow=SqlOrderUnitOfWork,
    router=_router,
)
