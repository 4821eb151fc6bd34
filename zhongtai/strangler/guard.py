"""Addon: strip client-sent control headers unless signed, and refuse oversized bodies.

Runs first. Every ``X-Zhongtai-*`` request header is removed before anything else sees the
request; correctly signed control headers are kept aside in ``flow.metadata`` for the router.
A body over ``proxy.max_body_bytes`` gets a 413 in the legacy envelope (code 41301).
"""

from __future__ import annotations

import json
import logging

from mitmproxy import http

from zhongtai.strangler import signing
from zhongtai.strangler.runtime import Runtime

logger = logging.getLogger(__name__)
CONTROL = "zhongtai.control"


def proxy_reply(status: int, code: int, msg: str) -> http.Response:
    """An answer from the proxy itself, in the legacy JSON envelope."""
    body = json.dumps({"code": code, "msg": msg, "data": None}, ensure_ascii=False).encode()
    headers = {"content-type": "application/json; charset=utf-8"}
    return http.Response.make(status, body, headers)


_PREFIX = signing.PREFIX.encode()


def has_control_headers(headers: http.Headers) -> bool:
    """Does any header name start with ``X-Zhongtai-`` (any case)? Raw fields, no decoding."""
    n = len(_PREFIX)
    return any(name[:n].lower() == _PREFIX for name, _ in headers.fields)


class Guard:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        req = flow.request
        if not has_control_headers(req.headers):  # nearly every request: nothing to strip
            flow.metadata[CONTROL] = {}
            length = req.headers.get("content-length", "")
            if length.isdigit() and int(length) > self.rt.settings.max_body_bytes:
                flow.response = self._too_large(int(length))
            return
        verdict = signing.verify(self.rt.operator_key, req.method, req.path, req.headers)
        for name in verdict.stripped:
            req.headers.pop(name, None)
        if verdict.reason:
            logger.info(
                "ignored control headers on %s %s: %s", req.method, req.path, verdict.reason
            )
        flow.metadata[CONTROL] = verdict.control
        length = req.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.rt.settings.max_body_bytes:
            flow.response = self._too_large(int(length))

    def request(self, flow: http.HTTPFlow) -> None:
        # Chunked bodies carry no length up front: check once they are in.
        if (
            flow.response is None
            and len(flow.request.raw_content or b"") > self.rt.settings.max_body_bytes
        ):
            flow.response = self._too_large(len(flow.request.raw_content or b""))

    def _too_large(self, size: int) -> http.Response:
        limit = self.rt.settings.max_body_bytes
        return proxy_reply(
            413,
            41301,
            f"request body of {size} bytes is larger than the proxy limit of {limit} bytes "
            "(proxy.max_body_bytes); send a smaller body",
        )
