"""An ASGI middleware that refuses request bodies over ``legacy.max_body_bytes`` with 413.

It counts the bytes actually received, so a chunked body without Content-Length cannot slip
past. The body is buffered (it is small by construction) and replayed to the app; an
oversized body is drained up to a bound before answering, so that the client, still sending,
reads the 413 instead of a connection reset.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from zhongtai.legacy.envelope import TOO_LARGE, error_response, family_of

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# How much of an oversized body is read and thrown away before answering anyway.
DRAIN_FACTOR = 16


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header as an int, if there is a valid one."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Wrap ``app`` so that no handler ever sees a body larger than ``max_bytes``."""

    def __init__(self, app: Callable, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        drain_limit = self.max_bytes * DRAIN_FACTOR
        if declared is not None and declared > drain_limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away; nothing to answer
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._drain(receive, size, drain_limit, message.get("more_body", False))
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    @staticmethod
    async def _drain(receive: Receive, size: int, limit: int, more: bool) -> None:
        while more and size <= limit:
            message = await receive()
            if message["type"] != "http.request":
                return
            size += len(message.get("body", b""))
            more = message.get("more_body", False)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        msg = (
            f"request body is larger than {self.max_bytes} bytes (legacy.max_body_bytes); "
            "send a smaller body or raise the setting"
        )
        response = error_response(family_of(scope.get("path", "")), TOO_LARGE, msg)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as Starlette expects

    return replay
