"""The shadow marker: ``X-Zhongtai-Shadow: dry-run`` runs a request fully and keeps nothing.

The strangler proxy sends shadowed writes with this header; the application layer forwards it
to every center it calls. In a center, :class:`ShadowMiddleware` reads the header once per
request and stores the flag in the ASGI scope; :func:`is_dry_run` hands it to the unit-of-work
dependency, which builds a unit of work with ``dry_run=True`` (it rolls back instead of
committing, see :mod:`zhongtai.platform.uow`). The response is the real one, plus the header
``X-Zhongtai-Dry-Run: rolled-back`` so a caller can tell. Any other header value is refused
with 400 and changes nothing (a typo must not turn a shadow write into a real one).

The marker is deliberately unsigned: it can only make a request *less* effective. The proxy
strips client-supplied control headers before adding its own.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SHADOW_HEADER = "X-Zhongtai-Shadow"
DRY_RUN = "dry-run"
DRY_RUN_RESPONSE_HEADER = "X-Zhongtai-Dry-Run"
_SCOPE_KEY = "zhongtai.dry_run"


def parse_shadow_header(value: str | None) -> bool:
    """``None``/empty → real run, ``dry-run`` → dry run; anything else → ``ValueError``."""
    if value is None or value.strip() == "":
        return False
    if value.strip().lower() == DRY_RUN:
        return True
    raise ValueError(
        f"header {SHADOW_HEADER}: {value!r} is not understood; the only value is {DRY_RUN!r}"
    )


def shadow_headers(dry_run: bool) -> dict[str, str]:
    """Headers to send to a center so it runs the call as a dry run (or not)."""
    return {SHADOW_HEADER: DRY_RUN} if dry_run else {}


def is_dry_run(request: Request) -> bool:
    """FastAPI dependency: was this request marked ``X-Zhongtai-Shadow: dry-run``?"""
    return bool(request.scope.get(_SCOPE_KEY, False))


class ShadowMiddleware:
    """Pure ASGI middleware: validate the marker, flag the scope, label dry-run responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = None
        wanted = SHADOW_HEADER.lower().encode()
        for name, value in scope.get("headers", ()):
            if name == wanted:
                raw = value.decode("latin-1")
                break
        try:
            dry_run = parse_shadow_header(raw)
        except ValueError as exc:
            await _refuse(send, str(exc))
            return
        scope[_SCOPE_KEY] = dry_run
        if not dry_run:
            await self.app(scope, receive, send)
            return

        async def labelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((DRY_RUN_RESPONSE_HEADER.lower().encode(), b"rolled-back"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, labelled)


async def _refuse(send: Send, message: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "INVALID_SHADOW_HEADER",
                "message": message,
                "hint": f"send {SHADOW_HEADER}: {DRY_RUN}, or no such header for a real call",
                "details": {},
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
