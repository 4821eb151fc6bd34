"""Forward ``/centers/<name>/...`` to a center running as its own process (``--split``).

A small ASGI app per center: it sends the method, path, query, headers (the shadow marker
included) and body to the center's base URL with one pooled ``httpx.AsyncClient`` and relays
the answer. A center that does not answer becomes 502 with the center error body.
"""

from __future__ import annotations

import json

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

# Hop-by-hop headers (RFC 9110 §7.6.1) and the ones httpx recomputes.
_DROP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}
_OWN = {"date", "server"}  # this server sets its own


class CenterForwarder:
    """ASGI app relaying every request to ``base_url`` (mounted at ``/centers/<name>``)."""

    def __init__(self, name: str, base_url: str, *, timeout: float = 30.0) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:  # created on the serving event loop, on first use
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        url = f"{self.base_url}{path}"
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP]
        try:
            upstream = await self._http().request(
                request.method, url, headers=headers, content=await request.body()
            )
        except httpx.HTTPError as exc:
            body = {
                "error": {
                    "code": "CENTER_UNAVAILABLE",
                    "message": f"center {self.name} at {self.base_url} did not answer: "
                    f"{type(exc).__name__}",
                    "hint": "check that its process runs (zhongtai serve platform --split)",
                    "details": {},
                }
            }
            response = Response(json.dumps(body), 502, media_type="application/json")
        else:
            relayed = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP | _OWN}
            relayed.pop("content-encoding", None)  # httpx already decoded the body
            response = Response(upstream.content, upstream.status_code, headers=relayed)
        await response(scope, receive, send)
