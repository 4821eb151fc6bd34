"""What every gateway handler needs, built once per process and handed out per request.

:class:`Gateway` holds the center connection pool, the reference-data caches and the
compensation-pull cursors; :func:`gateway` and :func:`center_calls` are the FastAPI
dependencies. ``center_calls`` marks every center call of a request as a dry run when the
request carried ``X-Zhongtai-Shadow: dry-run`` (the flag :mod:`.edge` put in the scope).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from zhongtai.config import Settings
from zhongtai.platform.gateway.cache import DEFAULT_TTL, TtlCache
from zhongtai.platform.gateway.calls import CenterCalls, CenterPool
from zhongtai.platform.gateway.stores import StoreDirectory

DRY_RUN_SCOPE_KEY = "zhongtai.gateway.dry_run"


@dataclass
class Gateway:
    settings: Settings
    pool: CenterPool
    stores: StoreDirectory
    skus: TtlCache[dict[str, Any]]  # (channel, code) → resolved SKU view, or {} when unmapped
    members: TtlCache[int]  # legacy member id → the live member it is (merges followed)

    async def aclose(self) -> None:
        await self.pool.aclose()


def build_gateway(
    settings: Settings, center_urls: Mapping[str, str], *, ttl: float = DEFAULT_TTL
) -> Gateway:
    """One gateway per process (the pool is opened lazily on the serving event loop)."""
    return Gateway(
        settings=settings,
        pool=CenterPool(center_urls),
        stores=StoreDirectory(TtlCache(ttl)),
        skus=TtlCache(ttl),
        members=TtlCache(ttl),
    )


async def gateway(request: Request) -> Gateway:
    """FastAPI dependency: this process's gateway (``async``: no threadpool hop)."""
    return request.app.state.gateway


def is_dry_run(request: Request) -> bool:
    return bool(request.scope.get(DRY_RUN_SCOPE_KEY, False))


async def center_calls(request: Request) -> CenterCalls:
    """FastAPI dependency: center calls for this request, dry-run marked when shadowed
    (``async``: no threadpool hop)."""
    return request.app.state.gateway.pool.calls(dry_run=is_dry_run(request))
