"""The shadow process: dry-run copies sent, compared and recorded off the proxy's event loop.

Every proxy process starts one (``multiprocessing`` spawn) and talks to it through a bounded
queue (:class:`ShadowLink`): ``offer`` never waits, a full queue means the copy is dropped and
counted. The shadow process runs at niceness :data:`NICE`, so on a busy machine the kernel
gives the client's path (proxy, legacy) the CPU first. It keeps its own figures and shadow
records and writes them to the state database about once a second under its own instance
name (``<proxy instance>/shadow``); ``zhongtai status``, the metrics endpoint and the gates sum
every instance's figures, so nothing else changes for them.

Messages (all picklable): ``("after", route, key, aa, copy, primary)`` for a read legacy has
answered; ``("alongside", token, route, key, copy)`` for a write's copy that leaves before
legacy answered, then ``("primary", token, primary_or_None)`` once it did; ``None`` to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import time

from zhongtai.config import Settings

logger = logging.getLogger(__name__)
NICE = 10  # the shadow process yields the CPU to the client's path
FLUSH_EVERY = 1.0


class ShadowLink:
    """The proxy's end: start the shadow process, offer it copies, stop it."""

    def __init__(self, settings: Settings, instance: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        capacity = max(settings.proxy.shadow_concurrency, 1)
        self.queue = ctx.Queue(maxsize=capacity)
        self.instance = f"{instance}/shadow"
        self.proc = ctx.Process(
            target=run,
            args=(settings, self.instance, self.queue),
            name="zhongtai-proxy-shadow",
            daemon=True,
        )

    def start(self) -> ShadowLink:
        self.proc.start()
        return self

    def alive(self) -> bool:
        return self.proc.exitcode is None

    def offer(self, message: tuple) -> bool:
        """Queue ``message`` unless the queue is full (then False: drop it and count it)."""
        try:
            self.queue.put_nowait(message)
        except queue.Full:
            return False
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the process to finish its copies and write its figures; kill it if it hangs."""
        if self.proc.exitcode is None and self.proc.pid is not None:
            with contextlib.suppress(queue.Full):
                self.queue.put(None, timeout=timeout / 2)
            self.proc.join(timeout)
            if self.proc.exitcode is None:
                self.proc.kill()
                self.proc.join(5)
        self.queue.close()
        self.queue.cancel_join_thread()  # whatever is still buffered goes with the process


def run(settings: Settings, instance: str, messages) -> None:
    """Entry point of the shadow process.

    SIGINT and SIGTERM sent to the whole process group (Ctrl-C, a service manager) are left
    to the proxy, which finishes this process through the queue after its last copies; a proxy
    that died without doing so (SIGKILL) is noticed within a second, and this process ends.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # not allowed here: run at the proxy's priority
        os.nice(NICE)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    asyncio.run(_serve(settings, instance, messages))


async def _serve(settings: Settings, instance: str, messages) -> None:
    from zhongtai.db import create_engine
    from zhongtai.strangler.records import Records
    from zhongtai.strangler.routes import RouteTable
    from zhongtai.strangler.runtime import Runtime, Upstream
    from zhongtai.strangler.shadow import ShadowRunner

    engine = create_engine(settings.database("state"))
    records = Records(engine)
    rt = Runtime(
        settings=settings.proxy,
        legacy=Upstream.from_url("legacy", settings.url_for("legacy")),
        platform=Upstream.from_url("platform", settings.url_for("platform")),
        operator_key=settings.operator_key.reveal(),
        table=RouteTable([], version=0),
        instance=instance,
    )
    await rt.start()
    runner = ShadowRunner(rt)
    loop = asyncio.get_running_loop()
    waiting: dict[int, asyncio.Future] = {}  # write copies waiting for legacy's answer
    flusher = loop.create_task(_flush_loop(rt, records))
    try:
        while True:
            message = await loop.run_in_executor(None, messages.get)
            if message is None:
                break
            kind = message[0]
            if kind == "after":
                _, route, key, aa, req, primary = message
                runner.launch(route, key, "shadow", rt.platform, req, primary)
                if aa:
                    runner.launch(route, key, "aa", rt.legacy, req, primary)
            elif kind == "alongside":
                _, token, route, key, req = message
                future = waiting[token] = loop.create_future()
                future.add_done_callback(lambda _f, t=token: waiting.pop(t, None))
                runner.launch(route, key, "shadow", rt.platform, req, future)
                loop.call_later(PRIMARY_GRACE, _give_up, future)
            elif kind == "primary":
                _, token, primary = message
                future = waiting.get(token)
                if future is not None and not future.done():
                    future.set_result(primary)
        deadline = time.monotonic() + 5
        while runner.tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        flusher.cancel()
        await asyncio.gather(flusher, return_exceptions=True)
        await runner.done()
        try:
            await asyncio.to_thread(_write, rt, records)
        except Exception:
            logger.exception("final write of the shadow process's figures failed")
        await rt.close()
        engine.dispose()


PRIMARY_GRACE = 65.0  # a write's copy whose primary never came (dropped message) is let go


def _give_up(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


async def _flush_loop(rt, records) -> None:
    parent = os.getppid()
    while True:
        await asyncio.sleep(FLUSH_EVERY)
        try:
            await asyncio.to_thread(_write, rt, records)
        except Exception:  # the database may be briefly unavailable: keep going
            logger.exception("shadow process flush")
        if os.getppid() != parent:  # the proxy is gone without stopping us
            logger.warning("the proxy process is gone; the shadow process ends")
            os._exit(0)


def _write(rt, records) -> None:
    pending, rt.pending = rt.pending, []
    book = rt.book.to_dict()
    try:
        if pending:
            records.add_shadow_records(pending)
        records.save_snapshot(rt.instance, book)
    except Exception:
        rt.pending = (pending + rt.pending)[-50_000:]
        raise
