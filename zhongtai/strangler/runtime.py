"""What one proxy process shares between its addons: upstreams, table, figures, HTTP client.

Built once per process, inside the running event loop, by :mod:`zhongtai.strangler.proxy`.
The addons read ``table`` on every request; the control loop swaps it for a new one when the
state database's version moves, which is a single attribute assignment on the loop thread.
``store_keys`` (the store key directory) is swapped the same way by ``storekeys_sync``.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from zhongtai.config import ProxySettings
from zhongtai.strangler import signing
from zhongtai.strangler.comparison import Reply
from zhongtai.strangler.figures import FigureBook, RouteFigures
from zhongtai.strangler.routes import Route, RouteTable
from zhongtai.strangler.storekeys import StoreKeys

HOP_BY_HOP = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "content-encoding",
    }
)


@dataclass(frozen=True)
class Upstream:
    name: str
    scheme: str
    host: str
    port: int

    @classmethod
    def from_url(cls, name: str, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{name} upstream {url!r} must be an http(s) URL with a host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(name, parts.scheme, parts.hostname, port)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass(frozen=True)
class Copy:
    """A request detached from its flow, to send again (shadow, A/A, fallback)."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes
    content_type: str = ""


@dataclass
class Runtime:
    settings: ProxySettings
    legacy: Upstream
    platform: Upstream
    operator_key: str
    table: RouteTable
    instance: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"
    )
    book: FigureBook = field(default_factory=FigureBook)
    pending: list[dict] = field(default_factory=list)  # shadow records not yet written
    store_keys: StoreKeys = field(default_factory=StoreKeys)  # store aliases → store code
    http: aiohttp.ClientSession | None = None

    def figures(self, route: Route) -> RouteFigures:
        return self.book.route(route.name, route.revision, route.label)

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.settings.upstream_timeout_ms / 1000)

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=max(self.settings.shadow_concurrency * 2, 16))
        # No cookie jar: each shadow copy carries exactly the client's headers.
        self.http = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True
        )

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
            self.http = None

    async def send(self, upstream: Upstream, req: Copy, *, shadow: bool = False) -> Reply:
        """Send ``req`` to ``upstream``; shadow copies carry the (signed) dry-run marker."""
        assert self.http is not None, "Runtime.start() was not awaited"
        headers = {k: v for k, v in req.headers.items() if k.lower() not in HOP_BY_HOP}
        if shadow:
            control = {signing.SHADOW: signing.DRY_RUN}
            if self.operator_key:
                control = signing.sign(self.operator_key, req.method, req.path, control)
            headers.update(control)
        async with self.http.request(
            req.method,
            upstream.url + req.path,
            headers=headers,
            data=req.body or None,
            allow_redirects=False,
            timeout=self.timeout,
        ) as resp:
            body = await resp.read()
            return Reply(resp.status, {k: v for k, v in resp.headers.items()}, body)
