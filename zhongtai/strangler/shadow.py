"""Addon part: send the platform a dry-run copy of legacy-served requests and compare answers.

The copies leave the proxy's event loop altogether: each proxy process starts one **shadow
process** (:mod:`zhongtai.strangler.shadow_worker`, at a lower CPU priority) and hands it each
copy over a Unix socket written from the loop — a send that never waits. The shadow process
sends the copy, compares the pair, counts and records it (its figures are summed with the
proxy's like any other process's), so the client's answer never waits for a copy's set-up, its
upstream round trip or its comparison, and the proxy's loop does not spend CPU on them. When
``proxy.shadow_concurrency`` copies are waiting or in flight the copy is dropped and counted,
never queued behind client traffic; without a shadow process (it died, or none was started)
copies run as tasks on the proxy's own loop, bounded the same way.

Reads are copied after legacy answered; writes leave alongside the primary (see
:mod:`zhongtai.strangler.decision`): the copy goes to the shadow process in the request hook
and the primary's answer follows it once legacy answered. A sampled share of reads is also sent
to legacy a second time (A/A) to learn which fields differ on their own.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

from mitmproxy import http

from zhongtai.strangler.comparison import Difference, Reply, compare_replies
from zhongtai.strangler.decision import AFTER, ALONGSIDE, Decision
from zhongtai.strangler.handover import ReplyParts, reply_parts, request_parts
from zhongtai.strangler.masking import mask_body
from zhongtai.strangler.noise import signal_fields
from zhongtai.strangler.router import DECISION
from zhongtai.strangler.routes import Route
from zhongtai.strangler.runtime import Copy, Runtime, Upstream
from zhongtai.strangler.state import utcnow

logger = logging.getLogger(__name__)
PRIMARY_WAIT = 60.0  # seconds a write's shadow waits for legacy's answer before giving up


class Shadow:
    """The mitmproxy side: decide what to copy, hand it to the shadow process (or run it)."""

    def __init__(self, rt: Runtime, link=None) -> None:
        self.rt = rt
        self.link = link  # shadow_worker.ShadowLink, or None: copies run on this loop
        self.runner = ShadowRunner(rt)
        self.tokens = itertools.count(1)
        self._warned = False

    def _linked(self) -> bool:
        if self.link is None:
            return False
        if self.link.alive():
            return True
        if not self._warned:
            self._warned = True
            logger.error("the shadow process is gone; copies now run in the proxy process")
        return False

    def request(self, flow: http.HTTPFlow) -> None:
        dec: Decision | None = flow.metadata.get(DECISION)
        if dec is None or dec.shadow != ALONGSIDE or flow.response is not None:
            return
        req = request_parts(flow)
        if self._linked():
            token = next(self.tokens)
            if self.link.offer(("alongside", token, dec.route, dec.key, req)):
                dec.primary = token
            else:
                self.rt.figures(dec.route).dropped += 1
            return
        dec.primary = asyncio.get_running_loop().create_future()
        self.runner.launch(dec.route, dec.key, "shadow", self.rt.platform, req.copy(), dec.primary)

    def response(self, flow: http.HTTPFlow) -> None:
        dec: Decision | None = flow.metadata.get(DECISION)
        if dec is None or dec.shadow is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # driven without a loop (tests): hand over at once
            self._hand_over(flow, dec)
            return
        # mitmproxy writes the answer to the client as soon as the response hooks return, in
        # the same loop step: copying and sending in the next step keeps that work behind the
        # client's answer.
        loop.call_soon(self._hand_over, flow, dec)

    def _hand_over(self, flow: http.HTTPFlow, dec: Decision) -> None:
        # Only references to what mitmproxy holds (header tuples, body bytes): the shadow
        # process decodes them (see handover).
        if dec.shadow == ALONGSIDE:
            self._primary(dec, reply_parts(flow))
        elif dec.shadow == AFTER:
            parts, primary = request_parts(flow), reply_parts(flow)
            if self._linked():
                if not self.link.offer(("after", dec.route, dec.key, dec.aa, parts, primary)):
                    self.rt.figures(dec.route).dropped += 1 + dec.aa
                return
            req, primary = parts.copy(), primary.reply()
            self.runner.launch(dec.route, dec.key, "shadow", self.rt.platform, req, primary)
            if dec.aa:
                self.runner.launch(dec.route, dec.key, "aa", self.rt.legacy, req, primary)

    def error(self, flow: http.HTTPFlow) -> None:
        dec: Decision | None = flow.metadata.get(DECISION)
        if dec is not None and dec.primary is not None:
            self._primary(dec, None)  # legacy failed: nothing to compare against

    def _primary(self, dec: Decision, primary: ReplyParts | None) -> None:
        if isinstance(dec.primary, asyncio.Future):
            if not dec.primary.done():
                dec.primary.set_result(primary.reply() if primary is not None else None)
        elif dec.primary is not None and self.link is not None:
            self.link.offer(("primary", dec.primary, primary))  # if full: the copy times out
        dec.primary = None

    async def done(self) -> None:
        await self.runner.done()
        if self.link is not None:
            await self.link.stop()


class ShadowRunner:
    """Copies as bounded tasks on the running loop: send, compare, count, keep the record.

    The shadow process runs one of these; the proxy process too, for when it has none."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.tasks: set[asyncio.Task] = set()

    def launch(
        self, route: Route, key: str | None, kind: str, upstream: Upstream, req: Copy, primary
    ) -> asyncio.Task | None:
        """Start the copy as a task (None: too many in flight, dropped and counted)."""
        if len(self.tasks) >= self.rt.settings.shadow_concurrency:
            self.rt.figures(route).dropped += 1
            return None
        coro = self._run(route, key, kind, upstream, req, primary)
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def done(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _run(self, route, key, kind: str, upstream: Upstream, req: Copy, primary) -> None:
        # Yield first: tasks may run eagerly (mitmproxy on Python 3.12), and whatever launched
        # the copy must not wait for its set-up.
        await asyncio.sleep(0)
        started = time.perf_counter()
        try:
            other: Reply | None = await self.rt.send(upstream, req, shadow=True)
        except Exception as exc:  # an unreachable or slow platform is a figure, not a crash
            logger.debug("%s copy of %s %s failed: %s", kind, req.method, req.path, exc)
            other = None
        other_ms = (time.perf_counter() - started) * 1000
        if kind == "shadow":
            failed = other is None or other.status >= 500
            self.rt.figures(route).sides["platform"].observe(other_ms / 1000, error=failed)
        if isinstance(primary, asyncio.Future):
            try:
                primary = await asyncio.wait_for(primary, PRIMARY_WAIT)
            except TimeoutError:
                primary = None
        if primary is None:
            return
        first, first_ms = primary
        diffs = compare_replies(first, other, route.compare) if other else []
        paths = sorted({d.path for d in diffs})
        fig = self.rt.figures(route)
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
            self._record(
                route, key, kind, req, first, first_ms, other, other_ms, diffs, paths, mismatched
            )
        )

    def _record(
        self, route, key, kind, req, first, first_ms, other, other_ms, diffs, paths, mismatched
    ):
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
            "route": route.name,
            "kind": kind,
            "method": req.method,
            "path": req.path[:512],
            "sticky_key": key[:128] if key else None,
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
