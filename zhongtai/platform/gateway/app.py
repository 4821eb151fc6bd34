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
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from zhongtai.config import Settings
from zhongtai.errors import UpstreamError
from zhongtai.legacy.envelope import (
    BAD_REQUEST,
    ILLEGAL_TRANSITION,
    INTERNAL,
    METHOD_NOT_ALLOWED,
    UNKNOWN_ROUTE,
    LegacyError,
    error_response,
    family_of,
)
from zhongtai.legacy.payloads import validation_message
from zhongtai.legacy.status import IllegalTransition
from zhongtai.platform.gateway import admin, channels, miniapp, pos, pull
from zhongtai.platform.gateway.context import Gateway, build_gateway
from zhongtai.platform.gateway.edge import GatewayEdge

logger = logging.getLogger(__name__)


def _error(request: Request, code: int, msg: str) -> Response:
    return error_response(family_of(request.url.path), code, msg)


async def _on_legacy_error(request: Request, exc: LegacyError) -> Response:
    return _error(request, exc.code, exc.msg)


async def _on_illegal(request: Request, exc: IllegalTransition) -> Response:
    return _error(request, ILLEGAL_TRANSITION, str(exc))


async def _on_validation(request: Request, exc: RequestValidationError) -> Response:
    return _error(request, BAD_REQUEST, validation_message(list(exc.errors())))


async def _on_http(request: Request, exc: StarletteHTTPException) -> Response:
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return _error(request, UNKNOWN_ROUTE, f"no route {where}; see docs/legacy-api.md")
    if exc.status_code == 405:
        return _error(request, METHOD_NOT_ALLOWED, f"method not allowed: {where}")
    return _error(request, exc.status_code * 100, str(exc.detail))


async def _on_upstream(request: Request, exc: UpstreamError) -> Response:
    logger.error("a center did not answer on %s %s: %s", request.method, request.url.path, exc)
    return _error(request, INTERNAL, "internal error; the server log has the details")


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error(request, INTERNAL, "internal error; the server log has the details")


def install_gateway(app: FastAPI, settings: Settings, center_urls: Mapping[str, str]) -> Gateway:
    """Add the legacy-compatible API to ``app`` (the platform app); returns the gateway."""
    gw = build_gateway(settings, center_urls)
    app.state.gateway = gw
    app.add_exception_handler(LegacyError, _on_legacy_error)
    app.add_exception_handler(IllegalTransition, _on_illegal)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(UpstreamError, _on_upstream)
    app.add_exception_handler(Exception, _on_unexpected)
    # The pull routes first: /api/channel/meituan/pull must not match the push route.
    for module in (pull, channels, miniapp, pos, admin):
        app.include_router(module.router)
    app.add_middleware(GatewayEdge, max_body_bytes=settings.legacy.max_body_bytes)
    return gw
