"""Live traffic of every client kind against a target (``zhongtai traffic``).

An open-loop load generator: requests are due at Poisson arrival times at the asked rate,
whatever the target does, and each request's latency counts from when it was due, so a target
that stalls shows up as latency rather than as a politely slower load. Each arrival goes to
one client kind (``schedule.MIX``): Meituan and Eleme pushes, the mini-program/App, the stores'
POS, compensation pulls with deliberately lost pushes, and the admin search. All of them talk
to the target over its documented external API on one keep-alive aiohttp session; the only
other thing read is the catalog (store bindings, channel codes, members) from the legacy
database at start-up. Every write the target acknowledges goes to the acknowledged-write log.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time

import aiohttp

from zhongtai.config import Settings, mask_url
from zhongtai.errors import UpstreamError, ZhongtaiError
from zhongtai.workload.acked import AckedLog, acked_path
from zhongtai.workload.admin_client import AdminClient
from zhongtai.workload.catalog_view import Catalog, load_catalog
from zhongtai.workload.channel_client import ChannelClient
from zhongtai.workload.mp_client import MiniProgramClient
from zhongtai.workload.pos_client import PosClient
from zhongtai.workload.pull_client import PullClient
from zhongtai.workload.run_ids import RunIds
from zhongtai.workload.schedule import MIX, arrival_offsets, assign_clients, effective_mix
from zhongtai.workload.traffic_context import Context
from zhongtai.workload.traffic_http import Caller
from zhongtai.workload.traffic_stats import StatsRecorder, TrafficSummary, summarize

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT = 30.0  # seconds; also bounds how long the run's tail can take
CONNECTIONS = 64  # keep-alive connections to the target
MAX_IN_FLIGHT = 2_000  # beyond this, arrivals are dropped and counted, not queued forever


def run_traffic(
    settings: Settings,
    *,
    target: str,
    rps: float,
    duration: float,
    seed: int,
    stop: threading.Event | None = None,
) -> TrafficSummary:
    """Drive ``target`` at ``rps`` requests/s for ``duration`` seconds; return the summary.

    Setting ``stop`` (from another thread) ends the run early: no new arrivals, the requests
    in flight finish, and the summary covers what ran.
    """
    if rps <= 0 or duration <= 0:
        raise ZhongtaiError(
            f"rate {rps!r}/s and duration {duration!r}s must both be positive",
            hint="e.g. --rps 20 --duration 10",
        )
    catalog = load_catalog(settings.database("legacy"))
    return asyncio.run(_run(settings, catalog, target.rstrip("/"), rps, duration, seed, stop))


async def _probe(session: aiohttp.ClientSession, base: str) -> str | None:
    """None if ``base``/healthz answers 200, else why not."""
    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with session.get(f"{base.rstrip('/')}/healthz", timeout=timeout) as resp:
            return None if resp.status == 200 else f"HTTP {resp.status}"
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        return f"no answer: {type(exc).__name__}"


def _clients(ctx: Context, notes: list[str]) -> tuple[dict, set[str]]:
    catalog = ctx.catalog
    clients: dict = {
        "mp": MiniProgramClient(ctx),
        "pos": PosClient(ctx),
        "admin": AdminClient(ctx),
    }
    skipped: set[str] = set()
    for channel in ("meituan", "eleme"):
        if catalog.on_channel(channel):
            clients[channel] = ChannelClient(ctx, channel)
        else:
            skipped.add(channel)
            notes.append(f"no open store is bound to {channel} with coded dishes: pushes skipped")
    if not catalog.members:
        notes.append("the legacy database has no members: mini-program orders skipped")
    if ctx.channel_api is None or skipped >= {"meituan", "eleme"}:
        skipped.add("pull")
    else:
        clients["pull"] = PullClient(ctx)
    return clients, skipped


async def _drive(
    clients: dict,
    offsets: list[float],
    kinds: list[str],
    ctx: Context,
    recorder: StatsRecorder,
    stop: threading.Event | None = None,
) -> int:
    """Start each arrival on time; wait for the stragglers. Returns the dropped arrivals."""
    start = ctx.clock()
    tasks: set[asyncio.Task] = set()
    dropped = 0

    async def arrive(kind: str, due: float) -> None:
        try:
            if kind == "pull":
                await clients["pull"].act(due, clients["pos"].act)
            else:
                await clients[kind].act(due)
        except Exception as exc:  # a bug in a client must show, not stop the run
            logger.exception("traffic client %s failed", kind)
            recorder.record(f"{kind}.internal", ctx.clock() - due, error=repr(exc))

    for offset, kind in zip(offsets, kinds, strict=True):
        due = start + offset
        wait = due - ctx.clock()
        if wait > 0:
            await asyncio.sleep(wait)
        if stop is not None and stop.is_set():
            break
        if len(tasks) >= MAX_IN_FLIGHT:
            dropped += 1
            continue
        task = asyncio.create_task(arrive(kind, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)  # each request is bounded by REQUEST_TIMEOUT
    return dropped


async def _run(
    settings: Settings,
    catalog: Catalog,
    target: str,
    rps: float,
    duration: float,
    seed: int,
    stop: threading.Event | None = None,
) -> TrafficSummary:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    recorder = StatsRecorder()
    notes: list[str] = []
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        why = await _probe(session, target)
        if why:
            raise UpstreamError(
                f"the target does not answer GET /healthz ({why})",
                target=mask_url(target),
                hint="start it (`zhongtai serve legacy`) or pass --target URL",
            )
        channel_why = await _probe(session, settings.channel_api)
        if channel_why:
            notes.append(
                f"channel API at {mask_url(settings.channel_api)} unreachable ({channel_why}): "
                "lost-push scenarios and compensation pulls skipped "
                "(start it with `zhongtai serve channel`)"
            )
        ids = RunIds(int(time.time() * 1000))
        path = acked_path(settings.workspace)
        with AckedLog(path, ids.run) as log:
            ctx = Context(
                caller=Caller(session, target, recorder, loop.time),
                catalog=catalog,
                log=log,
                ids=ids,
                rng=rng,
                clock=loop.time,
                pace=min(5.0, max(0.2, duration / 12)),
                started_unix=time.time(),
                channel_api=None if channel_why else settings.channel_api,
            )
            clients, skipped = _clients(ctx, notes)
            mix = effective_mix(MIX, without=skipped)
            offsets = arrival_offsets(rps, duration, rng)
            kinds = assign_clients(len(offsets), mix, rng)
            started = loop.time()
            dropped = await _drive(clients, offsets, kinds, ctx, recorder, stop)
            elapsed = loop.time() - started
    pull = clients.get("pull")
    notes += [f"{what}: {n}" for what, n in sorted(ctx.counters.items())]
    return summarize(
        recorder,
        elapsed=elapsed,
        target=mask_url(target),
        rps=rps,
        duration=duration,
        seed=seed,
        run_id=ids.run,
        dropped=dropped,
        acked_log=str(path),
        acked_writes=log.count,
        lost_pushes={"deposited": pull.deposited, "recovered": pull.recovered} if pull else {},
        notes=notes,
    )
