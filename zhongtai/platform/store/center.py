"""The store center as the platform sees it (see :mod:`zhongtai.platform.center`)."""

from __future__ import annotations

from pathlib import Path

from zhongtai.platform.center import Center
from zhongtai.platform.store.tables import metadata
from zhongtai.platform.store.uow import SqlStoreUnitOfWork


def _router():
    from zhongtai.platform.store.api import router

    return router


CENTER = Center(
    name="store",
    title="门店中心 store center",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    uow=SqlStoreUnitOfWork,
    router=_router,
)
