"""What a shadow copy takes out of a flow: mitmproxy's own immutable parts, decoded later.

mitmproxy never changes a message's header fields (a tuple of byte pairs) or its raw body
(bytes) in place — setting a header replaces the tuple — so a copy can keep them as they are.
The proxy's event loop only collects these references for a copy and its primary's answer: no
header decoding, no ``Content-Encoding`` lookup, no decompression on the client's path. Turning
them into a :class:`~zhongtai.strangler.runtime.Copy` and a
:class:`~zhongtai.strangler.comparison.Reply` (:meth:`RequestParts.copy`,
:meth:`ReplyParts.reply`) happens where the copy is sent: in the shadow process.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from mitmproxy import http
from mitmproxy.net import encoding

from zhongtai.strangler.comparison import Reply
from zhongtai.strangler.runtime import Copy

Fields = tuple[tuple[bytes, bytes], ...]


def field_dict(fields: Fields) -> dict[str, str]:
    """Header fields as a plain dict (repeated names joined with ``", "``)."""
    out: dict[str, str] = {}
    for raw_name, raw_value in fields:
        name = raw_name.decode("utf-8", "surrogateescape")
        value = raw_value.decode("utf-8", "surrogateescape")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _lookup(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def decoded_body(headers: dict[str, str], raw: bytes) -> bytes:
    """``raw`` decoded by its ``Content-Encoding``; as it is when that fails or is absent
    (what mitmproxy's ``get_content(strict=False)`` gives)."""
    ce = _lookup(headers, "content-encoding")
    if not ce or not raw:
        return raw
    try:
        body = encoding.decode(raw, ce)
    except ValueError:
        return raw
    return body if isinstance(body, bytes) else raw


class RequestParts(NamedTuple):
    method: str
    path: str  # with the query string
    fields: Fields
    raw_body: bytes

    def copy(self) -> Copy:
        """The request to send again: headers decoded, the body decoded (the sender drops
        ``Content-Encoding`` with the other hop-by-hop headers)."""
        headers = field_dict(self.fields)
        body = decoded_body(headers, self.raw_body)
        return Copy(self.method, self.path, headers, body, _lookup(headers, "content-type"))


class ReplyParts(NamedTuple):
    status: int
    fields: Fields
    raw_body: bytes
    elapsed_ms: float

    def reply(self) -> tuple[Reply, float]:
        """The primary's answer as the comparison reads it, and how long legacy took (ms)."""
        headers = field_dict(self.fields)
        return Reply(self.status, headers, decoded_body(headers, self.raw_body)), self.elapsed_ms


def request_parts(flow: http.HTTPFlow) -> RequestParts:
    req = flow.request
    return RequestParts(req.method, req.path, req.headers.fields, req.raw_content or b"")


def reply_parts(flow: http.HTTPFlow) -> ReplyParts:
    resp = flow.response
    now = time.time()
    elapsed = (resp.timestamp_end or now) - (flow.request.timestamp_end or now)
    return ReplyParts(
        resp.status_code, resp.headers.fields, resp.raw_content or b"", elapsed * 1000
    )
