"""How the application layer calls centers: over HTTP, by base URL, shadow marker forwarded.

Centers never call each other; the gateway (application layer) composes them. It gets the
base URLs from the platform app (``app.state.center_urls``) or builds them:

* one process (default): :func:`center_urls` → ``http://host:port/centers/<name>``;
* ``--split``: each center's own ``http://host:<port>``.

:class:`CenterClients` holds one pooled ``httpx.AsyncClient`` for all centers::

    clients = CenterClients(app.state.center_urls)
    store = await clients["store"].get("/stores/lookup", params={"store_code": "SH0012"})
    shadow = clients.dry_run(True)          # same pool, every call marked dry-run
    await shadow["product"].post("/erp/upsert", json=batch)
    await clients.aclose()

A center error (4xx/5xx) raises :class:`CenterCallError` carrying the status and the center's
``{"error": {...}}`` body; a center that does not answer raises ``UpstreamError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from zhongtai.errors import UpstreamError, ZhongtaiError
from zhongtai.platform.shadow import shadow_headers


def center_urls(base_url: str, names: Iterable[str]) -> dict[str, str]:
    """Center base URLs when every center is mounted in the platform app at ``base_url``."""
    base = base_url.rstrip("/")
    return {name: f"{base}/centers/{name}" for name in names}


class CenterCallError(ZhongtaiError):
    """A center answered with an error status; ``code``/``details`` come from its body."""

    def __init__(self, center: str, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.center, self.status = center, status
        self.code = error.get("code", f"HTTP_{status}")
        self.details = error.get("details") or {}
        message = error.get("message") or f"HTTP {status}"
        super().__init__(f"{center} center: {message}", hint=error.get("hint"))


class CenterClient:
    """Calls to one center; paths are relative to its base URL (``/stores/12``)."""

    def __init__(
        self, name: str, base_url: str, http: httpx.AsyncClient, *, dry_run: bool = False
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._headers = shadow_headers(dry_run)

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**kwargs.pop("headers", {}), **self._headers}
        url = f"{self.base_url}{path}"
        try:
            response = await self._http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"{self.name} center did not answer ({type(exc).__name__})",
                target=self.base_url,
                hint="is the platform running? zhongtai serve platform",
            ) from exc
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if response.status_code >= 400:
            raise CenterCallError(self.name, response.status_code, body)
        return body

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Any:
        return await self.request("DELETE", path, **kwargs)


class CenterClients:
    """Clients for every center, sharing one connection pool."""

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
        dry_run: bool = False,
    ) -> None:
        self.urls = dict(urls)
        self._owned = http is None
        self._http = http or httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=100, max_keepalive_connections=50)
        )
        self._dry_run = dry_run

    def __getitem__(self, name: str) -> CenterClient:
        if name not in self.urls:
            raise KeyError(f"no center {name!r}; known: {', '.join(self.urls)}")
        return CenterClient(name, self.urls[name], self._http, dry_run=self._dry_run)

    def dry_run(self, flag: bool = True) -> CenterClients:
        """The same clients (same pool), every call marked ``X-Zhongtai-Shadow: dry-run``."""
        view = CenterClients(self.urls, http=self._http, dry_run=flag)
        view._owned = False
        return view

    async def aclose(self) -> None:
        if self._owned:
            await self._http.aclose()

    async def __aenter__(self) -> CenterClients:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
