"""Mount the gateway at the root of the platform app: the legacy API, its errors, its edge.

:func:`install_gateway` adds the legacy routes (same paths, methods and signatures as
``zhongtai.legacy.api``), the error handlers that render every failure in the client family's
format (envelope, Meituan, Eleme, WeChat XML — :mod:`zhongtai.legacy.envelope`), and the edge
middleware (body limit, shadow marker) for every path outside ``/centers/``. The returned
:class:`.context.Gateway` owns the pool of connections to the centers; the platform app closes
it at shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from starlette.responses import Response

from zhongtai.config import Settings
from zhongtai.errors import UpstreamError
from zhongtai.legacy.envelope import INTERNAL
from zhongtai.legacy.error_handlers import INTERNAL_MESSAGE, contract_error, install_error_handlers
from zhongtai.platform.gateway import admin, channels, miniapp, pos, pull
from zhongtai.platform.gateway.context import Gateway, build_gateway
from zhongtai.platform.gateway.edge import GatewayEdge

logger = logging.getLogger(__name__)


async def _on_upstream(request: Request, exc: UpstreamError) -> Response:
    logger.error("a center did not answer on %s %s: %s", request.method, request.url.path, exc)
    return contract_error(request, INTERNAL, INTERNAL_MESSAGE)


def install_gateway(app: FastAPI, settings: Settings, center_urls: Mapping[str, str]) -> Gateway:
    """Add the legacy-compatible API to ``app`` (the platform app); returns the gateway."""
    gw = build_gateway(settings, center_urls)
    app.state.gateway = gw
    install_error_handlers(app)
    app.add_exception_handler(UpstreamError, _on_upstream)
    # The pull routes first: /api/channel/meituan/pull must not match the push route.
    for module in (pull, channels, miniapp, pos, admin):
        app.include_router(module.router)
    app.add_middleware(GatewayEdge, max_body_bytes=settings.legacy.max_body_bytes)
    return gw
