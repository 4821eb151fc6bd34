"""What every legacy request handler needs: the settings, the one engine, the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.engine import Engine
from starlette.requests import Request

from zhongtai.config import Settings


@dataclass(frozen=True)
class LegacyContext:
    settings: Settings
    engine: Engine
    http: httpx.Client  # for the channel API (compensation pull)


def context(request: Request) -> LegacyContext:
    """The app's LegacyContext."""
    return request.app.state.legacy


async def raw_body(request: Request) -> bytes:
    """The request body, for endpoints that parse it themselves (form, XML, channel JSON)."""
    return await request.body()
