"""One center as a FastAPI app: its router, ``/healthz``, errors as JSON, the dry-run flag.

:func:`create_center_app` is used both when every center is mounted in one process
(``/centers/<name>``) and when a center runs as its own process (``--split``). Endpoints get
their unit of work from :func:`unit_of_work`, which reads the engine from the app state, the
dry-run flag from :mod:`.shadow` and the HTTP method (safe methods open read-only units of
work, so SQLite readers do not take the write lock).

Error bodies are ``{"error": {"code", "message", "hint", "details"}}``: 400 for bad input
(including FastAPI's request validation, reworded to name the field), 404, 409.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from zhongtai.config import Settings
from zhongtai.db import create_engine
from zhongtai.platform.center import Center, load_center
from zhongtai.platform.errors import CenterError, InvalidInput
from zhongtai.platform.shadow import ShadowMiddleware, is_dry_run
from zhongtai.platform.uow import Clock, SqlUnitOfWork, utc_now

logger = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CenterRuntime:
    """Per-process state of one served center: its engine and clock."""

    def __init__(self, center: Center, engine: Engine, clock: Clock = utc_now) -> None:
        self.center, self.engine, self.clock = center, engine, clock

    def uow(self, *, write: bool, dry_run: bool) -> SqlUnitOfWork:
        return self.center.new_uow(self.engine, write=write, dry_run=dry_run, clock=self.clock)

    def dispose(self) -> None:
        self.engine.dispose()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (``2024-05-01T02:03:04.000005+00:00``), the centers' JSON time format."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def parse_or_invalid(parse: Callable[[Any], Any], value: Any, **kwargs: Any) -> Any:
    """Run a pure parser (``ValueError`` on bad input) and turn its error into InvalidInput."""
    try:
        return parse(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), **kwargs) from None


async def unit_of_work(request: Request) -> SqlUnitOfWork:
    """FastAPI dependency: a fresh (un-entered) unit of work for this request (``async`` only
    so FastAPI does not send it to the threadpool: it does no I/O)."""
    runtime: CenterRuntime = request.app.state.center_runtime
    return runtime.uow(write=request.method not in SAFE_METHODS, dry_run=is_dry_run(request))


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


# Deadlock / serialization failure / lock wait timeout / "database is locked".
_RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}
_RETRYABLE_MYSQL = {1205, 1213}


def _retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _RETRYABLE_MYSQL:
        return True
    return "database is locked" in str(orig)


def install_error_handlers(app: FastAPI) -> None:
    """Render CenterError and request-validation errors as the center error body.

    Two concurrent writes can still collide in the database (two inserts of one new key, a
    deadlock): the loser's transaction is rolled back whole and it gets 409 ``WRITE_CONFLICT``
    saying to retry, never a 500 with driver text.
    """

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        logger.info("write conflict: %s", type(exc.orig).__name__)
        err = CenterError(
            "the write collided with a concurrent write or a database constraint; "
            "nothing was changed",
            code="WRITE_CONFLICT",
            hint="retry the request; if it fails again, read the current state first",
        )
        return JSONResponse(err.as_dict(), status_code=409)

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        if _retryable(exc):
            err = CenterError(
                "the write lost a lock race with a concurrent write; nothing was changed",
                code="WRITE_CONFLICT",
                hint="retry the request",
            )
            return JSONResponse(err.as_dict(), status_code=409)
        logger.error("database error: %s", type(exc.orig).__name__)
        err = CenterError(
            f"the center's database failed ({type(exc.orig).__name__}); nothing was changed",
            code="DATABASE_ERROR",
            hint="check the database server; the platform logs say more",
        )
        return JSONResponse(err.as_dict(), status_code=503)

    @app.exception_handler(CenterError)
    async def _center_error(_request: Request, exc: CenterError) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        err = InvalidInput(
            _validation_message(exc),
            code="INVALID_REQUEST",
            hint="fix the named field(s) and send the request again",
        )
        return JSONResponse(err.as_dict(), status_code=400)


def on_the_loop(router: APIRouter) -> APIRouter:
    """The same routes, with each plain ``def`` endpoint run on the event loop.

    FastAPI runs a ``def`` endpoint in its threadpool. Over SQLite a center call is a few
    hundred microseconds of Python holding the GIL, so the thread buys no parallelism, and
    every hop (loop → worker → loop, plus the GIL handover) costs CPU and, on a busy machine,
    a scheduler wake-up per call. Over SQLite the centers run their endpoints on the loop;
    PostgreSQL and MariaDB (network round trips that release the GIL) keep the threadpool.
    The price: while a SQLite write waits for another *process's* write lock (busy timeout),
    this process's loop waits too.
    """
    inline = APIRouter(tags=list(router.tags))
    for route in router.routes:
        if not isinstance(route, APIRoute) or asyncio.iscoroutinefunction(route.endpoint):
            inline.routes.append(route)
            continue
        inline.add_api_route(
            route.path,
            _awaitable(route.endpoint),
            methods=sorted(route.methods),
            status_code=route.status_code,
            name=route.name,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            tags=list(route.tags),
            include_in_schema=route.include_in_schema,
        )
    return inline


def _awaitable(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters and return type through it
    async def run(*args: Any, **kwargs: Any) -> Any:
        return endpoint(*args, **kwargs)

    return run


def create_center_app(
    settings: Settings, name: str, *, clock: Clock = utc_now, engine: Engine | None = None
) -> FastAPI:
    """The FastAPI app of center ``name`` on its own database (``settings.database(name)``)."""
    center = load_center(name)
    runtime = CenterRuntime(center, engine or create_engine(settings.database(name)), clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # Runs only when this app is served on its own; a mounting app disposes instead.
        yield
        runtime.dispose()

    app = FastAPI(title=center.title, lifespan=lifespan, openapi_url="/openapi.json")
    app.state.center_runtime = runtime
    app.add_middleware(ShadowMiddleware)
    install_error_handlers(app)
    router = center.router()
    if runtime.engine.dialect.name == "sqlite":
        router = on_the_loop(router)
    app.include_router(router)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "center": name}

    return app
