"""Response bodies of the legacy API and the one error type its handlers raise.

Clients of the envelope family (mini-program/App, POS, admin, compensation pull) get
``{"code", "msg", "data"}``; the channel webhooks answer in their platform's own format
(Meituan, Eleme, WeChat Pay XML). The HTTP status of an error is its code's first three
digits (40001 → 400, 41301 → 413). Bodies are compact UTF-8 JSON with non-ASCII kept as is.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from starlette.responses import Response

BAD_REQUEST = 40001
UNKNOWN_ROUTE = 40400
UNKNOWN_STORE = 40401
UNKNOWN_SKU = 40402
UNKNOWN_ORDER = 40403
UNKNOWN_MEMBER = 40404
METHOD_NOT_ALLOWED = 40500
ILLEGAL_TRANSITION = 40901
SOLD_OUT = 40902
WRONG_STORE = 40903
TOO_LARGE = 41301
INTERNAL = 50000
CHANNEL_DOWN = 50201


class LegacyError(Exception):
    """A request the legacy refuses: a code from the table in docs/legacy-api.md and a message
    that names the bad value and what to do."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg

    @property
    def http_status(self) -> int:
        return self.code // 100


def bad_request(msg: str) -> LegacyError:
    """A 40001: the body or a field is malformed or invalid."""
    return LegacyError(BAD_REQUEST, msg)


class Family(Enum):
    """Which client family a path belongs to, which decides the error body's format."""

    ENVELOPE = "envelope"
    MEITUAN = "meituan"
    ELEME = "eleme"
    WECHAT = "wechat"


def family_of(path: str) -> Family:
    """The client family of a request path (see docs/legacy-api.md)."""
    if path.startswith("/api/channel/") and path.endswith("/pull"):
        return Family.ENVELOPE
    if path.startswith("/api/channel/meituan/"):
        return Family.MEITUAN
    if path.startswith("/api/channel/eleme/"):
        return Family.ELEME
    if path == "/api/mp/pay/notify":
        return Family.WECHAT
    return Family.ENVELOPE


def dumps(content: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class LegacyJSON(Response):
    """JSON with the exact serialisation the contract pins."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def ok(data: Any = None) -> LegacyJSON:
    """The success envelope around ``data``."""
    return LegacyJSON({"code": 0, "msg": "ok", "data": data})


def cdata(text: str) -> str:
    """``text`` as CDATA, a ``]]>`` inside split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wechat_body(success: bool, msg: str) -> str:
    """The XML WeChat Pay expects in answer to a notify."""
    code = "SUCCESS" if success else "FAIL"
    return (
        f"<xml><return_code>{cdata(code)}</return_code><return_msg>{cdata(msg)}</return_msg></xml>"
    )


def wechat_reply(success: bool = True, msg: str = "OK", status: int = 200) -> Response:
    """The WeChat answer as a response."""
    return Response(wechat_body(success, msg), status_code=status, media_type="application/xml")


MEITUAN_OK = {"data": "ok"}
ELEME_OK = {"message": "ok"}


def error_response(family: Family, code: int, msg: str) -> Response:
    """The error body ``family`` expects, with HTTP status ``code // 100``."""
    status = code // 100
    if family is Family.MEITUAN:
        return LegacyJSON({"data": "ng", "error": {"code": code, "msg": msg}}, status_code=status)
    if family is Family.ELEME:
        return LegacyJSON({"message": msg, "code": code}, status_code=status)
    if family is Family.WECHAT:
        return wechat_reply(False, msg, status)
    return LegacyJSON({"code": code, "msg": msg, "data": None}, status_code=status)
