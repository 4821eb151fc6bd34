"""The gateway's edge: body size limit and the shadow marker, for the legacy API paths only.

One pure ASGI middleware in front of the whole platform app that leaves ``/centers/...`` to
the centers (each has its own shadow middleware and error format) and, for every other path:

* refuses bodies over ``legacy.max_body_bytes`` with 41301 in the path's error format — the
  legacy's own :class:`zhongtai.legacy.body_limit.BodyLimit`, so the bytes are the same;
* reads ``X-Zhongtai-Shadow``: ``dry-run`` flags the scope (every center call of the request is
  then a dry run, see :func:`.context.center_calls`) and labels the response
  ``X-Zhongtai-Dry-Run: rolled-back``; any other value is refused with 40001 and changes
  nothing (a typo must not turn a shadow write into a real one).
"""

from __future__ import annotations

from zhongtai.legacy.body_limit import BodyLimit
from zhongtai.legacy.envelope import BAD_REQUEST, error_response, family_of
from zhongtai.platform.gateway.context import DRY_RUN_SCOPE_KEY
from zhongtai.platform.shadow import DRY_RUN_RESPONSE_HEADER, SHADOW_HEADER, parse_shadow_header

CENTERS_PREFIX = "/centers/"
_HEADER = SHADOW_HEADER.lower().encode()
_LABEL = (DRY_RUN_RESPONSE_HEADER.lower().encode(), b"rolled-back")


class GatewayEdge:
    """Wrap the platform app: limit and shadow-flag the gateway's requests."""

    def __init__(self, app, max_body_bytes: int) -> None:
        self.app = app
        self.limited = BodyLimit(self._shadowed, max_bytes=max_body_bytes)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(CENTERS_PREFIX):
            await self.app(scope, receive, send)
            return
        await self.limited(scope, receive, send)

    async def _shadowed(self, scope, receive, send) -> None:
        raw = None
        for name, value in scope.get("headers", ()):
            if name == _HEADER:
                raw = value.decode("latin-1")
                break
        try:
            dry_run = parse_shadow_header(raw)
        except ValueError as exc:
            response = error_response(family_of(scope.get("path", "")), BAD_REQUEST, str(exc))
            await response(scope, receive, send)
            return
        scope[DRY_RUN_SCOPE_KEY] = dry_run
        if not dry_run:
            await self.app(scope, receive, send)
            return

        async def labelled(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), _LABEL]}
            await send(message)

        await self.app(scope, receive, labelled)
