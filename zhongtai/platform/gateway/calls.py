"""How the gateway calls the centers: one pooled aiohttp session, JSON in and out.

The centers are reached over HTTP only, at the base URLs the platform app knows
(``app.state.center_urls``: ``/centers/<name>`` on this very server in the default layout, or
each center's own process with ``--split``). One :class:`CenterPool` per process owns one
``aiohttp.ClientSession`` (keep-alive connections, created lazily on the serving event loop);
each request gets a :class:`CenterCalls` view of it that adds the shadow marker when the
request is a dry run, so every center call of a shadowed request is rolled back by its center.
In the default layout the platform app registers its mounted center apps
(:meth:`CenterPool.serve_locally`): calls to them are handed over in process as the same HTTP
request (:mod:`zhongtai.platform.clients_local`), without the loopback socket.

aiohttp rather than httpx: on this hot path (several center calls per gateway request) its
client costs a fraction of the CPU per call (see ``bench/platform_throughput.py``).

Errors: a center answering 4xx/5xx raises :class:`zhongtai.platform.clients.CenterCallError`
(status, code and details from the center's error body); a center that does not answer raises
``UpstreamError``. The gateway turns both into legacy error bodies at its edge.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from zhongtai.errors import UpstreamError
from zhongtai.platform.clients import CenterCallError
from zhongtai.platform.clients_local import NoAnswer, call_asgi
from zhongtai.platform.shadow import shadow_headers

JSON_HEADERS = {"Content-Type": "application/json"}
CONNECTIONS = 128  # keep-alive connections to the centers, shared by all requests
TIMEOUT = 15.0  # seconds per center call


class CenterPool:
    """The process-wide connection pool to the centers (built lazily, closed at shutdown)."""

    def __init__(self, urls: Mapping[str, str], *, connections: int = CONNECTIONS) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None
        # Centers mounted in this very process (default layout): name → its ASGI app, called
        # in process (zhongtai.platform.clients_local) instead of over loopback HTTP.
        self.local: dict[str, Any] = {}

    def serve_locally(self, apps: Mapping[str, Any]) -> None:
        """Call these centers' apps in process (the one-process layout), not over HTTP."""
        self.local = dict(apps)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.connections, limit_per_host=self.connections, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=TIMEOUT),
                json_serialize=json.dumps,
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    def calls(self, *, dry_run: bool = False) -> CenterCalls:
        """A per-request view: the same pool, every call marked dry-run when asked."""
        return CenterCalls(self, dry_run=dry_run)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class CenterCalls:
    """Calls to the centers on behalf of one gateway request."""

    def __init__(self, pool: CenterPool, *, dry_run: bool = False) -> None:
        self.pool = pool
        self.dry_run = dry_run
        self._headers = {**JSON_HEADERS, **shadow_headers(dry_run)}

    async def request(
        self,
        center: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Call ``center`` and return its decoded JSON; CenterCallError on 4xx/5xx."""
        base = self.pool.urls.get(center)
        if base is None:
            raise KeyError(f"no center {center!r}; known: {', '.join(self.pool.urls)}")
        data = None if json_body is None else json.dumps(json_body, ensure_ascii=False).encode()
        local = self.pool.local.get(center)
        if local is not None:
            status, raw = await self._in_process(local, center, base, method, path, params, data)
        else:
            status, raw = await self._over_http(center, base, method, path, params, data)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if status >= 400:
            raise CenterCallError(center, status, body)
        return body

    async def _in_process(self, app, center, base, method, path, params, data) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(TIMEOUT):
                return await call_asgi(
                    app, method, path, params=params, headers=self._headers, body=data
                )
        except (TimeoutError, NoAnswer) as exc:
            raise UpstreamError(
                f"{center} center did not answer ({type(exc).__name__})",
                target=base,
                hint="the platform logs say more",
            ) from exc

    async def _over_http(self, center, base, method, path, params, data) -> tuple[int, bytes]:
        try:
            async with self.pool.session().request(
                method, base + path, params=params, data=data, headers=self._headers
            ) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamError(
                f"{center} center did not answer ({type(exc).__name__})",
                target=base,
                hint="is the platform running? zhongtai serve platform",
            ) from exc
        return status, raw

    async def get(self, center: str, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return await self.request(center, "GET", path, params=clean or None)

    async def post(self, center: str, path: str, body: Any = None, **params: Any) -> Any:
        body = {} if body is None else body
        return await self.request(center, "POST", path, params=params or None, json_body=body)

    async def put(self, center: str, path: str, body: Any = None) -> Any:
        return await self.request(center, "PUT", path, json_body={} if body is None else body)
