"""The payment center as the platform sees it (see :mod:`zhongtai.platform.center`)."""

from __future__ import annotations

from pathlib import Path

from zhongtai.platform.center import Center
from zhongtai.platform.payment.tables import metadata
from zhongtai.platform.payment.uow import SqlPaymentUnitOfWork


def _router():
    from zhongtai.platform.payment.api import router

    return router


CENTER = Center(
    name="payment",
    title="支付中心 payment center",
    metadata=metadata,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    uow=SqlPaymentUnitOfWork,
    router=_router,
)
