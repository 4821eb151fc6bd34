"""The legacy contract's error handlers, shared by the monolith and the platform's gateway.

Every failure is rendered in the format of the client family the path belongs to (envelope,
Meituan, Eleme, WeChat XML — :mod:`zhongtai.legacy.envelope`), so a client cannot tell from an
error which system answered it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

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

logger = logging.getLogger(__name__)
INTERNAL_MESSAGE = "internal error; the server log has the details"


def contract_error(request: Request, code: int, msg: str) -> Response:
    """The documented error body for ``code`` in the format of the request's client family."""
    return error_response(family_of(request.url.path), code, msg)


async def _on_legacy_error(request: Request, exc: LegacyError) -> Response:
    return contract_error(request, exc.code, exc.msg)


async def _on_illegal(request: Request, exc: IllegalTransition) -> Response:
    return contract_error(request, ILLEGAL_TRANSITION, str(exc))


async def _on_validation(request: Request, exc: RequestValidationError) -> Response:
    return contract_error(request, BAD_REQUEST, validation_message(list(exc.errors())))


async def _on_http(request: Request, exc: StarletteHTTPException) -> Response:
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return contract_error(request, UNKNOWN_ROUTE, f"no route {where}; see docs/legacy-api.md")
    if exc.status_code == 405:
        return contract_error(request, METHOD_NOT_ALLOWED, f"method not allowed: {where}")
    return contract_error(request, exc.status_code * 100, str(exc.detail))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return contract_error(request, INTERNAL, INTERNAL_MESSAGE)


def install_error_handlers(app: FastAPI) -> None:
    """Render every failure on ``app`` as the legacy contract documents it."""
    app.add_exception_handler(LegacyError, _on_legacy_error)
    app.add_exception_handler(IllegalTransition, _on_illegal)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
