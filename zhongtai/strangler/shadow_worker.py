"""The shadow process: dry-run copies sent, compared and recorded off the proxy's event loop.

Every proxy process starts one (``multiprocessing`` spawn) and talks to it over a Unix socket
pair (:class:`ShadowLink`). The proxy's end is non-blocking and written from its event loop:
``offer`` pickles the message and sends it in the same call — no feeder thread, no lock, no
wake-up of another thread per copy. A route is sent once (then named), not with every copy,
and a copy carries mitmproxy's immutable header tuples and body bytes
(:mod:`zhongtai.strangler.handover`), decoded here rather than on the proxy's loop.
The shadow process answers each copy message with one byte once the copy is done (the bytes
of one loop step in one write), so the proxy knows how many are waiting or in flight. The
proxy reads those answers only when its count reaches ``proxy.shadow_concurrency``: no
wake-up of its loop per answer. If the answers read then still leave it at the bound, the
``offer`` returns False and the copy is dropped and counted in the proxy at once, never
queued behind client traffic. The shadow process runs at niceness :data:`NICE`, so on a busy
machine the kernel gives the client's path (proxy, legacy) the CPU first. It keeps its own
figures and shadow records and writes them to the state database about once a second under its
own instance name (``<proxy instance>/shadow``); ``zhongtai status``, the metrics endpoint and the
gates sum every instance's figures, so nothing else changes for them.

Messages (all picklable; ``parts`` a :class:`~zhongtai.strangler.handover.RequestParts`,
``primary`` a :class:`~zhongtai.strangler.handover.ReplyParts`):
``("after", route, key, aa, parts, primary)`` for a read legacy has answered;
``("alongside", token, route, key, parts)`` for a write's copy that leaves before legacy
answered, then ``("primary", token, primary_or_None)`` once it did. On the wire a route
is replaced by its name after one ``("route", route)`` message. The proxy closing its end
(or dying) ends the shadow process once its copies are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import time

from zhongtai.config import Settings

logger = logging.getLogger(__name__)
NICE = 10  # the shadow process yields the CPU to the client's path
FLUSH_EVERY = 1.0
HEADER = 4  # bytes of a frame's length prefix (big-endian)
COPIES = ("after", "alongside")  # messages that carry a route and are answered with one byte
ROUTE_AT = {"after": 1, "alongside": 2}  # where a copy message carries its route


def frame(message: tuple) -> bytes:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(HEADER, "big") + data


class ShadowPipe:
    """The proxy's end of the socket: frames written from the event loop, never waiting.

    ``offer`` sends at once; what the kernel does not take now is kept and written when the
    socket is writable again. Copies are bounded by ``capacity`` messages not yet answered;
    answers are read when that bound is reached, and a gone shadow process shows then or
    when a send fails."""

    def __init__(self, sock: socket.socket, capacity: int) -> None:
        self.sock = sock
        self.sock.setblocking(False)
        self.capacity = max(capacity, 1)
        self.outstanding = 0  # copy messages sent and not yet answered by the shadow process
        self.broken = False
        self._routes: dict[str, object] = {}  # name -> the Route object last sent
        self._rest = bytearray()  # written when the socket drains
        self._loop: asyncio.AbstractEventLoop | None = None  # set while waiting to drain

    def offer(self, message: tuple) -> bool:
        """Send ``message`` unless too many copies are outstanding (then False: drop it)."""
        if self.broken:
            return False
        kind = message[0]
        route = None
        if kind in COPIES:
            if self.outstanding >= self.capacity:
                self._read_answers()
                if self.broken or self.outstanding >= self.capacity:
                    return False
            at = ROUTE_AT[kind]
            route = message[at]
            data = frame((*message[:at], route.name, *message[at + 1 :]))
            if self._routes.get(route.name) is not route:
                data = frame(("route", route)) + data
        else:
            data = frame(message)
        self._write(data)
        if self.broken:
            return False
        if route is not None:
            self.outstanding += 1
            self._routes[route.name] = route
        return True

    def _write(self, data: bytes) -> None:
        if self._rest:
            self._rest += data
            return
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._break()
            return
        if sent < len(data):
            self._rest += data[sent:]
            self._loop = asyncio.get_running_loop()
            self._loop.add_writer(self.sock.fileno(), self._drain)

    def _drain(self) -> None:
        try:
            sent = self.sock.send(self._rest)
        except BlockingIOError:
            return
        except OSError:
            self._break()
            return
        del self._rest[:sent]
        if not self._rest:
            self._detach()

    def _read_answers(self) -> None:
        """Count every answer the shadow process has sent so far (never waits)."""
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:  # the shadow process is gone
                self._break()
                return
            self.outstanding = max(self.outstanding - len(data), 0)

    def _break(self) -> None:
        if not self.broken:
            self.broken = True
            self._detach()

    def _detach(self) -> None:
        if self._loop is not None:
            self._loop.remove_writer(self.sock.fileno())
            self._loop = None

    def finish(self, timeout: float) -> None:
        """Write what is left (blocking, up to ``timeout``) and close the writing side, which
        tells the shadow process to finish. Call on the loop thread, or once the loop is gone."""
        self._detach()
        if not self.broken:
            with contextlib.suppress(OSError):
                self.sock.settimeout(timeout)
                if self._rest:
                    self.sock.sendall(self._rest)
                self.sock.shutdown(socket.SHUT_WR)
        self._rest.clear()


class ShadowLink:
    """The proxy's end: start the shadow process, offer it copies, stop it."""

    def __init__(self, settings: Settings, instance: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.pipe = ShadowPipe(mine, settings.proxy.shadow_concurrency)
        self._theirs = theirs
        self.instance = f"{instance}/shadow"
        self.proc = ctx.Process(
            target=run,
            args=(settings, self.instance, theirs),
            name="zhongtai-proxy-shadow",
            daemon=True,
        )

    def start(self) -> ShadowLink:
        self.proc.start()
        self._theirs.close()  # the child has its own copy: EOF reaches each side when one ends
        return self

    def alive(self) -> bool:
        # The socket tells: a gone process fails the next send or the next read of answers
        # (no waitpid per copy).
        return not self.pipe.broken

    def offer(self, message: tuple) -> bool:
        """Send ``message`` unless too many copies are outstanding (then False: drop, count)."""
        return self.pipe.offer(message)

    async def stop(self, timeout: float = 10.0) -> None:
        """Ask the process to finish its copies and write its figures; kill it if it hangs."""
        self.pipe.finish(timeout / 2)
        await asyncio.to_thread(self._join, timeout)

    def _join(self, timeout: float) -> None:
        if self.proc.pid is not None:
            self.proc.join(timeout)
            if self.proc.exitcode is None:
                self.proc.kill()
                self.proc.join(5)
        self.pipe.sock.close()


def run(settings: Settings, instance: str, sock: socket.socket) -> None:
    """Entry point of the shadow process.

    SIGINT and SIGTERM sent to the whole process group (Ctrl-C, a service manager) are left
    to the proxy, which finishes this process by closing its end of the socket after its last
    copies; a proxy that died without doing so (SIGKILL) closes it too, and this process ends.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # not allowed here: run at the proxy's priority
        os.nice(NICE)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    profile = os.environ.get("ZHONGTAI_PROXY_PROFILE")  # a file: cProfile this process too
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # CPU time: waits for a core excluded
        profiler.enable()
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_serve(settings, instance, sock))
    finally:
        if profile:
            profiler.disable()
            profiler.dump_stats(f"{profile}.shadow.{os.getpid()}")


def _loop_factory():
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(settings: Settings, instance: str, sock: socket.socket) -> None:
    from zhongtai.db import open_state_engine
    from zhongtai.strangler.records import Records
    from zhongtai.strangler.routes import RouteTable
    from zhongtai.strangler.runtime import Runtime, Upstream
    from zhongtai.strangler.shadow import ShadowRunner

    engine = open_state_engine(settings)
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
    routes: dict[str, object] = {}  # name -> Route, as the proxy last sent it
    flusher = loop.create_task(_flush_loop(rt, records))
    reader, writer = await asyncio.open_unix_connection(sock=sock)

    unsent = [0]  # answers of this loop step, written together at its end

    def send_answers() -> None:
        count, unsent[0] = unsent[0], 0
        if count and not writer.is_closing():
            writer.write(b"\x01" * count)

    def one_answer() -> None:
        if not unsent[0]:
            loop.call_soon(send_answers)
        unsent[0] += 1

    def answer(tasks: list) -> None:
        """One byte back once every task of a copy message is done: the proxy's count."""
        live = [t for t in tasks if t is not None]
        if not live:
            one_answer()
            return
        left = [len(live)]

        def one_done(_task) -> None:
            left[0] -= 1
            if not left[0]:
                one_answer()

        for task in live:
            task.add_done_callback(one_done)

    try:
        while True:
            try:
                size = int.from_bytes(await reader.readexactly(HEADER), "big")
                message = pickle.loads(await reader.readexactly(size))
            except (asyncio.IncompleteReadError, ConnectionError):
                break  # the proxy closed its end: finish
            kind = message[0]
            if kind == "route":
                routes[message[1].name] = message[1]
            elif kind == "after":
                _, name, key, aa, parts, primary = message
                route, req, primary = routes[name], parts.copy(), primary.reply()
                tasks = [runner.launch(route, key, "shadow", rt.platform, req, primary)]
                if aa:
                    tasks.append(runner.launch(route, key, "aa", rt.legacy, req, primary))
                answer(tasks)
            elif kind == "alongside":
                _, token, name, key, parts = message
                req = parts.copy()
                future = waiting[token] = loop.create_future()
                future.add_done_callback(lambda _f, t=token: waiting.pop(t, None))
                answer([runner.launch(routes[name], key, "shadow", rt.platform, req, future)])
                loop.call_later(PRIMARY_GRACE, _give_up, future)
            elif kind == "primary":
                _, token, primary = message
                future = waiting.get(token)
                if future is not None and not future.done():
                    future.set_result(primary.reply() if primary is not None else None)
        for future in waiting.values():  # no primary can come any more
            _give_up(future)
        deadline = time.monotonic() + 5
        while runner.tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        flusher.cancel()
        await asyncio.gather(flusher, return_exceptions=True)
        await runner.done()
        writer.close()
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
