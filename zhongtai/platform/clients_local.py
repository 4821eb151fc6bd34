"""Call a center's ASGI app in this process: the HTTP request without the socket.

In the default one-process layout every center's FastAPI app is mounted in the platform app.
A gateway call to it over loopback HTTP costs an aiohttp request, a TCP round trip, uvicorn's
parsing, the platform app's middleware and mount routing, and then the center app itself.
:func:`call_asgi` hands the center app the same request directly: an ASGI ``http`` scope with
the method, path, query string, headers (the shadow marker among them) and body, and collects
the status and body it sends back. The center app runs exactly as when it is reached over
HTTP (its middleware, validation, error handlers, dry-run flag, threadpool), so answers are the
same bytes; only the transport is gone. ``--split`` keeps real HTTP between processes.

Query strings and paths are encoded with :mod:`yarl`, as aiohttp encodes them, so a center
sees the same ``query_string`` and ``raw_path`` either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import yarl

logger = logging.getLogger(__name__)
ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
CLIENT = ("127.0.0.1", 0)


class NoAnswer(Exception):
    """The app ended (or failed) without sending a response start."""


async def call_asgi(
    app: Any,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    server: tuple[str, int] = ("127.0.0.1", 0),
) -> tuple[int, bytes]:
    """Send one HTTP request to ``app`` in process; returns ``(status, body bytes)``.

    An exception the app raises after it sent its response start (Starlette's server error
    middleware answers 500 and re-raises) is logged and the answer returned, as a server
    would; one raised before any answer raises :class:`NoAnswer`.
    """
    url = yarl.URL(path)
    if params:
        url = url.with_query(params)
    payload = body or b""
    raw_headers = [(b"host", f"{server[0]}:{server[1]}".encode())]
    for name, value in (headers or {}).items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    if payload or method not in ("GET", "HEAD"):
        raw_headers.append((b"content-length", str(len(payload)).encode()))
    scope = {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url.path,
        "raw_path": url.raw_path.encode("ascii"),
        "root_path": "",
        "query_string": url.raw_query_string.encode("ascii"),
        "headers": raw_headers,
        "client": CLIENT,
        "server": server,
        "state": {},
        "extensions": {},
    }
    done = asyncio.Event()
    request_sent = False
    status: int | None = None
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await done.wait()  # like a client that stays connected until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        kind = message["type"]
        if kind == "http.response.start":
            status = message["status"]
        elif kind == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception as exc:
        if status is None:
            raise NoAnswer(f"{method} {path} failed before answering: {exc!r}") from exc
        logger.exception("%s %s raised after answering %s", method, path, status)
    finally:
        done.set()
    if status is None:
        raise NoAnswer(f"{method} {path} ended without an answer")
    return status, b"".join(chunks)
