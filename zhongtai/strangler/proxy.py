"""The embedded proxy: a lean mitmproxy ``Master`` in reverse mode, one or several processes.

Only the addons a reverse proxy needs are loaded (the full ``DumpMaster`` chain dispatches
every event to ~35 addons and costs about twice the CPU per request), and the strangler's own
components sit behind one addon (:mod:`zhongtai.strangler.pipeline`), with hooks dispatched
by :mod:`zhongtai.strangler.dispatch` (no per-event search of the chain); ``connection_strategy``
is ``lazy`` so that no connection to legacy is opened before the router picked the side. The
proxyserver addon registers ``connection_strategy`` and ``body_size_limit``, so they are set
with ``options.update`` after the addons are added, never in ``Options(...)``.

``--workers N`` starts N processes listening on the same port with ``SO_REUSEPORT``: the
kernel spreads connections over them. mitmproxy opens its listening socket with
``asyncio.start_server``, so each worker runs on an event loop (uvloop when installed) whose
``create_server`` defaults ``reuse_port=True`` — a standard asyncio extension point, not a
mitmproxy patch.
Workers share nothing but the state database; bucketing is a pure hash, so they agree.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time

from mitmproxy import master, options
from mitmproxy.addons import core, errorcheck, next_layer, proxyserver, tlsconfig

from zhongtai.config import ProxySettings, Settings
from zhongtai.db import open_state_engine
from zhongtai.errors import ServeError
from zhongtai.serving import port_is_free
from zhongtai.strangler.control import Control
from zhongtai.strangler.dispatch import HookDispatch
from zhongtai.strangler.guard import Guard
from zhongtai.strangler.metrics import Metrics
from zhongtai.strangler.pipeline import Strangler
from zhongtai.strangler.records import Records
from zhongtai.strangler.router import Router
from zhongtai.strangler.runtime import Runtime, Upstream
from zhongtai.strangler.shadow import Shadow
from zhongtai.strangler.shadow_worker import ShadowLink
from zhongtai.strangler.state import StateStore
from zhongtai.strangler.storekeys_db import StoreKeyDB
from zhongtai.strangler.storekeys_sync import StoreKeySync, load_store_keys

logger = logging.getLogger(__name__)


class ReusePortLoop(asyncio.SelectorEventLoop):
    """An event loop whose servers share their port with other processes (SO_REUSEPORT)."""

    async def create_server(self, *args, **kwargs):
        kwargs.setdefault("reuse_port", True)
        return await super().create_server(*args, **kwargs)


def loop_factory():
    """uvloop when installed (its transports and callbacks cost less CPU per request than
    the standard selector loop's: 6-26 % less proxy CPU per request, side by side),
    with servers sharing their port (SO_REUSEPORT). Legacy and the platform run on uvloop too
    (uvicorn's ``loop="auto"``)."""
    try:
        import uvloop
    except ImportError:
        return ReusePortLoop()

    class UvReusePortLoop(uvloop.Loop):
        async def create_server(self, *args, **kwargs):
            kwargs.setdefault("reuse_port", True)
            return await super().create_server(*args, **kwargs)

    return UvReusePortLoop()


def build_addons(
    rt: Runtime,
    store: StateStore,
    records: Records,
    keys_db: StoreKeyDB,
    last_learned: int = 0,
    shadow_link: ShadowLink | None = None,
) -> list:
    """The strangler's one addon: its components in the order they must see each request."""
    return [
        Strangler(
            Guard(rt),  # strip unsigned control headers, 413
            Metrics(rt, lambda: records.snapshots(exclude=rt.instance)),  # own endpoints
            Router(rt),  # route, side, fallback, 410, served-by
            Shadow(rt, shadow_link),  # dry-run copies to the shadow process
            Control(rt, store, records),  # hot reload, flushing, gates
            StoreKeySync(rt, keys_db, last_learned),  # store key directory, learned orders
        )
    ]


def skip_message_typecheck() -> None:
    """Drop mitmproxy's debug-only type check of every HTTP message's fields.

    ``mitmproxy.http.MessageData`` defines ``__post_init__`` only ``if __debug__``: each
    request and response it builds checks the type of all its fields, which ``python -O``
    skips. That check was about a tenth of the proxy's per-request profile; this removes it
    for the proxy process alone (the same as ``-O`` does for that class, and nothing else:
    our own ``assert`` statements still run).
    """
    from mitmproxy import http

    # The dataclass __init__ of RequestData/ResponseData calls __post_init__: keep a no-op.
    http.MessageData.__post_init__ = _no_check


def _no_check(self) -> None:
    return None


async def serve(settings: Settings, host: str, port: int) -> None:
    """Run one proxy process until SIGTERM/SIGINT."""
    skip_message_typecheck()
    engine = await asyncio.to_thread(open_state_engine, settings)
    store, records = StateStore(engine), Records(engine)
    table = await asyncio.to_thread(store.load_table)
    keys_db = StoreKeyDB(engine)
    store_keys, last_learned = await asyncio.to_thread(load_store_keys, keys_db)
    rt = Runtime(
        settings=settings.proxy,
        legacy=Upstream.from_url("legacy", settings.url_for("legacy")),
        platform=Upstream.from_url("platform", settings.url_for("platform")),
        operator_key=settings.operator_key.reveal(),
        table=table,
        store_keys=store_keys,
    )
    await rt.start()
    link = await asyncio.to_thread(ShadowLink(settings, rt.instance).start)
    opts = options.Options(mode=[f"reverse:{rt.legacy.url}@{host}:{port}"])
    m = master.Master(opts)
    tls = [tlsconfig.TlsConfig()] if "https" in (rt.legacy.scheme, rt.platform.scheme) else []
    m.addons.add(
        core.Core(),
        proxyserver.Proxyserver(),
        next_layer.NextLayer(),
        *tls,  # only for https upstreams: it writes a CA into ~/.mitmproxy on first use
        errorcheck.ErrorCheck(),
        *build_addons(rt, store, records, keys_db, last_learned, link),
    )
    HookDispatch(m.addons).install()  # each hook's handlers found once, not per event
    # Addon options exist only once proxyserver is loaded (KeyError in Options(...) before).
    m.options.update(
        connection_strategy="lazy",
        body_size_limit=str(body_size_limit(settings.proxy)),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, m.shutdown)
    try:
        await m.run()
    finally:
        await rt.close()
        engine.dispose()


def body_size_limit(proxy: ProxySettings) -> int:
    """mitmproxy's ``body_size_limit``: it holds for request *and* response bodies alike.

    Request bodies over ``max_body_bytes`` get the guard's own 413 (from the content length,
    before any upstream; a chunked body once buffered), so for requests this is only a
    backstop against buffering without end; responses up to ``max_response_bytes`` must pass.
    """
    return max(proxy.max_body_bytes * 4 + 65536, proxy.max_response_bytes)


def run_worker(settings: Settings, host: str, port: int) -> None:
    """Entry of one worker process (also used in-process when there is one worker)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    profile = os.environ.get("ZHONGTAI_PROXY_PROFILE")  # a file: cProfile this process
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # CPU time: waits for a core excluded
        profiler.enable()
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve(settings, host, port))
    finally:
        if profile:
            profiler.disable()
            profiler.dump_stats(f"{profile}.{os.getpid()}")


def serve_proxy(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """``zhongtai serve proxy``: seed the route table if needed, then run ``workers`` processes."""
    if workers < 1:
        raise ServeError(f"--workers must be at least 1, got {workers}")
    engine = open_state_engine(settings)
    try:
        StateStore(engine).ensure(settings.proxy.routes_file or None)
    finally:
        engine.dispose()
    if not port_is_free(host, port):
        raise ServeError(
            f"cannot serve proxy: {host}:{port} is already in use",
            hint="stop what listens there, or pass --port (ZHONGTAI_SERVE_PROXY_PORT)",
        )
    if workers == 1:
        run_worker(settings, host, port)
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=run_worker, args=(settings, host, port), name=f"zhongtai-proxy-{i}")
        for i in range(workers)
    ]
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for p in procs:
        p.start()
    try:
        while not stopping and all(p.is_alive() for p in procs):
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    if not stopping:
        dead = [p.name for p in procs if p.exitcode not in (0, None, -signal.SIGTERM)]
        raise ServeError(f"proxy worker(s) exited unexpectedly: {', '.join(dead) or 'unknown'}")
