"""The product center as the platform sees it (see :mod:`zhongtai.platform.center`)."""

from __future__ import annotations

from pathlib import Path

from zhongtai.platform.center import Center
from zhongtai.platform.product.tables import metadata
from zhongtai.platform.product.uow import SqlProductUnitOfWork


def _router():
    from zhongtai.platform.product.api import router

    return router


CENTER = Center(
    name="product",
    title="商品中心 product center",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    uow=SqlProductUnitOfWork,
    router=_router,
)
