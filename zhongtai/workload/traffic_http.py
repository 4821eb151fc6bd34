"""Sending one request of a traffic run and judging its answer.

``judge`` is pure: each client kind has its own idea of success (the envelope's ``code`` for
the mini-program, POS and admin; Meituan's ``{"data": "ok"}``; Eleme's ``{"message": "ok"}``;
WeChat's ``return_code`` SUCCESS). A deliberately provoked error is fine when the envelope
carries exactly the code that was provoked. ``Caller`` times every request from its scheduled
arrival and records it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from zhongtai.workload.payloads import parse_wechat_reply
from zhongtai.workload.traffic_stats import StatsRecorder

STYLES = ("envelope", "meituan", "eleme", "wechat", "plain")


@dataclass(frozen=True)
class Reply:
    status: int  # HTTP status; 0 when no answer came
    body: Any  # parsed JSON, or the text
    ok: bool
    code: int | None = None  # envelope or channel error code
    error: str | None = None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None


def judge(style: str, status: int, body: Any, expect_code: int = 0) -> tuple[bool, int | None, str]:
    """``(ok, code, why_not)`` for an answer of a given style."""
    if style not in STYLES:
        raise ValueError(f"unknown reply style {style!r}; one of {', '.join(STYLES)}")
    if style == "wechat":
        try:
            rc, msg = parse_wechat_reply(body)
        except ValueError as exc:
            return False, None, f"HTTP {status}: {exc}"
        ok = status == 200 and rc == "SUCCESS"
        return ok, None, "" if ok else f"HTTP {status}: return_code {rc} {msg}"
    if not isinstance(body, dict):
        return False, None, f"HTTP {status}: not a JSON object: {str(body)[:120]}"
    if style == "envelope":
        code = body.get("code")
        if expect_code:
            ok = code == expect_code
            return ok, code, "" if ok else f"HTTP {status}: code {code}, provoked {expect_code}"
        ok = status == 200 and code == 0
        return ok, code, "" if ok else f"HTTP {status}: code {code} {body.get('msg')}"
    if style == "meituan":
        ok = status == 200 and body.get("data") == "ok"
        error = body.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        return ok, code, "" if ok else f"HTTP {status}: {json.dumps(body, ensure_ascii=False)}"
    if style == "eleme":
        ok = status == 200 and body.get("message") == "ok"
        code = body.get("code")
        return ok, code, "" if ok else f"HTTP {status}: {json.dumps(body, ensure_ascii=False)}"
    ok = 200 <= status < 300
    return ok, None, "" if ok else f"HTTP {status}: {str(body)[:200]}"


class Caller:
    """Issues requests on one keep-alive session and records each one's outcome."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        recorder: StatsRecorder,
        clock: Callable[[], float],
    ) -> None:
        self.session = session
        self.base = base_url.rstrip("/")
        self.recorder = recorder
        self.clock = clock

    async def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        due: float,
        style: str = "envelope",
        expect_code: int = 0,
        base: str | None = None,
        record: bool = True,
        **kwargs,
    ) -> Reply:
        """Send, read and judge one request; latency counts from ``due`` (the schedule)."""
        url = (base.rstrip("/") if base else self.base) + path
        try:
            async with self.session.request(method, url, **kwargs) as resp:
                text = await resp.text()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            reply = Reply(0, None, False, error=f"no answer: {type(exc).__name__} {exc}")
        else:
            body: Any = text
            if style != "wechat":
                try:
                    body = json.loads(text)
                except ValueError:
                    body = text
            ok, code, why = judge(style, status, body, expect_code)
            reply = Reply(status, body, ok, code, None if ok else why)
        if record:
            error = None if reply.ok else f"{method} {path}: {reply.error}"
            self.recorder.record(kind, self.clock() - due, error=error)
        return reply
