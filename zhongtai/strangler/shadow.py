"""Addon: send the platform a dry-run copy of legacy-served requests and compare the answers.

Shadows are fire-and-forget tasks on the proxy's loop (references kept, or the loop may drop
them), bounded by ``proxy.shadow_concurrency``: when the pool is full the copy is dropped and
counted, never queued behind client traffic. Reads are copied after legacy answered; writes
leave alongside the primary (see :mod:`zhongtai.strangler.decision`). A sampled share of reads
is also sent to legacy a second time (A/A) to learn which fields differ on their own.
"""

from __future__ import annotations

import asyncio
import logging
import time

from mitmproxy import http

from zhongtai.strangler.comparison import Difference, Reply, compare_replies
from zhongtai.strangler.decision import AFTER, ALONGSIDE, Decision
from zhongtai.strangler.masking import mask_body
from zhongtai.strangler.noise import signal_fields
from zhongtai.strangler.router import DECISION, copy_request
from zhongtai.strangler.runtime import Copy, Runtime, Upstream
from zhongtai.strangler.state import utcnow

logger = logging.getLogger(__name__)
PRIMARY_WAIT = 60.0  # seconds a write's shadow waits for legacy's answer before giving up


def primary_reply(flow: http.HTTPFlow) -> tuple[Reply, float]:
    resp = flow.response
    elapsed = (resp.timestamp_end or time.time()) - (flow.request.timestamp_end or time.time())
    headers = dict(resp.headers.items())
    return Reply(resp.status_code, headers, resp.get_content(strict=False) or b""), elapsed * 1000


class Shadow:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.tasks: set[asyncio.Task] = set()

    def request(self, flow: http.HTTPFlow) -> None:
        dec: Decision | None = flow.metadata.get(DECISION)
        if dec is None or dec.shadow != ALONGSIDE or flow.response is not None:
            return
        dec.primary = asyncio.get_running_loop().create_future()
        self._launch(dec, "shadow", self.rt.platform, copy_request(flow), dec.primary)

    def response(self, flow: http.HTTPFlow) -> None:
        dec: Decision | None = flow.metadata.get(DECISION)
        if dec is None or dec.shadow is None:
            return
        primary = primary_reply(flow)
        if dec.shadow == ALONGSIDE:
            if dec.primary is not None and not dec.primary.done():
                dec.primary.set_result(primary)
            return
        if dec.shadow == AFTER:
            req = copy_request(flow)
            self._launch(dec, "shadow", self.rt.platform, req, primary)
            if dec.aa:
                self._launch(dec, "aa", self.rt.legacy, req, primary)

    def error(self, flow: http.HTTPFlow) -> None:
        dec: Decision | None = flow.metadata.get(DECISION)
        if dec is not None and dec.primary is not None and not dec.primary.done():
            dec.primary.set_result(None)  # legacy failed: nothing to compare against

    async def done(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def _launch(self, dec: Decision, kind: str, upstream: Upstream, req: Copy, primary) -> None:
        if len(self.tasks) >= self.rt.settings.shadow_concurrency:
            self.rt.figures(dec.route).dropped += 1
            return
        task = asyncio.get_running_loop().create_task(self._run(dec, kind, upstream, req, primary))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, dec: Decision, kind: str, upstream: Upstream, req: Copy, primary) -> None:
        # Yield first: mitmproxy runs tasks eagerly on Python 3.12, and the client's answer
        # (or the primary's forwarding) must not wait for the copy's set-up.
        await asyncio.sleep(0)
        started = time.perf_counter()
        try:
            other: Reply | None = await self.rt.send(upstream, req, shadow=True)
        except Exception as exc:  # an unreachable or slow platform is a figure, not a crash
            logger.debug("%s copy of %s %s failed: %s", kind, req.method, req.path, exc)
            other = None
        other_ms = (time.perf_counter() - started) * 1000
        fig = self.rt.figures(dec.route)
        if kind == "shadow":
            failed = other is None or other.status >= 500
            fig.sides["platform"].observe(other_ms / 1000, error=failed)
        if isinstance(primary, asyncio.Future):
            try:
                primary = await asyncio.wait_for(primary, PRIMARY_WAIT)
            except TimeoutError:
                primary = None
        if primary is None:
            return
        first, first_ms = primary
        diffs = compare_replies(first, other, dec.route.compare) if other else []
        paths = sorted({d.path for d in diffs})
        fig = self.rt.figures(dec.route)  # the route may have been reloaded meanwhile
        mismatched = False
        if other is not None and kind == "aa":
            fig.aa_samples += 1
            fig.count_fields(paths, noise=True)
        elif other is not None:
            fig.compared += 1
            fig.count_fields(paths, noise=False)
            signal = signal_fields(
                paths, fig.raw_fields, fig.compared, fig.noise_fields, fig.aa_samples
            )
            mismatched = bool(signal)
            fig.mismatched += mismatched
        self.rt.pending.append(
            self._record(dec, kind, req, first, first_ms, other, other_ms, diffs, paths, mismatched)
        )

    def _record(self, dec, kind, req, first, first_ms, other, other_ms, diffs, paths, mismatched):
        example = None
        if diffs or other is None:
            example = {
                "request": {
                    "method": req.method,
                    "path": req.path,
                    "body": mask_body(req.body, req.content_type),
                },
                "legacy": _reply_example(first),
                "other": _reply_example(other) if other else None,
                "differences": [_diff_example(d) for d in diffs[:20]],
            }
        return {
            "at": utcnow(),
            "route": dec.route.name,
            "kind": kind,
            "method": req.method,
            "path": req.path[:512],
            "sticky_key": dec.key[:128] if dec.key else None,
            "legacy_status": first.status,
            "other_status": other.status if other else None,
            "legacy_ms": round(first_ms, 3),
            "other_ms": round(other_ms, 3),
            "mismatched": mismatched,
            "fields": paths,
            "example": example,
            "instance": self.rt.instance,
        }


def _reply_example(reply: Reply) -> dict:
    ctype = next((v for k, v in reply.headers.items() if k.lower() == "content-type"), "")
    return {"status": reply.status, "body": mask_body(reply.body, ctype)}


def _diff_example(d: Difference) -> dict:
    return {"path": d.path, "kind": d.kind, "legacy": d.left, "other": d.right}
