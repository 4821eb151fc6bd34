"""The legacy O2O monolith as one FastAPI app over one database.

``create_app(settings)`` builds the engine (creating the database and the schema when
missing), the HTTP client for compensation pulls, the routers of every client kind, the body
size limit and the error handlers that turn every failure into the documented body of the
client's family (envelope, Meituan, Eleme, WeChat XML). See docs/legacy-api.md.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.responses import JSONResponse

from zhongtai import __version__
from zhongtai.config import Settings
from zhongtai.db import check_connection, create_engine, ensure_database
from zhongtai.legacy.api import admin, channels, miniapp, pos, pull
from zhongtai.legacy.body_limit import BodyLimit
from zhongtai.legacy.context import LegacyContext
from zhongtai.legacy.error_handlers import install_error_handlers
from zhongtai.legacy.schema import create_schema

logger = logging.getLogger(__name__)
CHANNEL_API_TIMEOUT = 5.0  # seconds; a pull that waits longer answers 50201


def healthz() -> JSONResponse:
    """Liveness for ServiceProcess and the proxy."""
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The legacy app; pass ``engine`` to share one (tests), else it is built from settings."""
    owns_engine = engine is None
    if engine is None:
        url = settings.database("legacy")
        ensure_database(url)
        engine = create_engine(url)
    check_connection(engine)
    create_schema(engine)
    http = httpx.Client(timeout=CHANNEL_API_TIMEOUT)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:
            http.close()
            if owns_engine:
                engine.dispose()

    app = FastAPI(
        title="zhongtai legacy O2O monolith",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,  # the contract is docs/legacy-api.md, not a generated schema
        docs_url=None,
        redoc_url=None,
    )
    app.state.legacy = LegacyContext(settings=settings, engine=engine, http=http)
    install_error_handlers(app)
    # The pull routes first: /api/channel/meituan/pull must not match the push route.
    for module in (pull, channels, miniapp, pos, admin):
        app.include_router(module.router)
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_middleware(BodyLimit, max_bytes=settings.legacy.max_body_bytes)
    return app
