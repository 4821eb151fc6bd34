"""Platform vs legacy throughput on the same mixed workload, side by side in one run.

    .venv/bin/python bench/platform_throughput.py [--seconds 20] [--connections 16] [--orders 2000]

Two fresh SQLite workspaces are seeded with the same legacy dataset (``seed_legacy``, same
seed). In the platform's workspace the centers are then filled from it by the real migration
(``zhongtai platform upgrade`` + ``backfill``). ``zhongtai serve legacy`` and ``zhongtai serve
platform`` (default one-process layout: gateway + five centers, called over HTTP on loopback)
each run as their own process, each with its own simulated channel open API. The same mixed
workload then drives each side in turn: the traffic generator's own clients (Meituan and Eleme
pushes, mini-program orders/payments/queries, POS pull/ack/progress, compensation pulls, admin
searches, in ``zhongtai.workload.schedule.MIX`` proportions) in a **closed loop** of
``--connections`` concurrent workers (each starts its next client action as soon as the last
one is answered), after a warm-up. Printed: requests/s, p50/p99 latency, CPU ms
per request (the serving process and its children, from ``/proc``), errors, and the
platform/legacy throughput ratio (target: >= 70%). The default platform side is the default
layout (one process; the gateway calls the mounted centers in process). ``--loopback`` also
measures the one-process layout with the gateway calling its centers over loopback HTTP
(``ZHONGTAI_PLATFORM_CENTER_CALLS=http``), ``--split`` the platform with each center in its
own process; ``--kinds`` prints figures per request kind. ``--rounds N`` measures every side
N times, alternating, and prints the median ratios (on a shared machine the load moves
between the sides' turns; alternating spreads it over both).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named after what it measures, which shadows the standard library's ``platform``
# (sqlalchemy, aiohttp import it) while bench/ leads sys.path: take bench/ out first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from datetime import time as clock_time  # noqa: E402

import aiohttp  # noqa: E402

from zhongtai.config import load_settings  # noqa: E402
from zhongtai.legacy.clock import SHANGHAI  # noqa: E402
from zhongtai.migrate.backfill import backfill  # noqa: E402
from zhongtai.platform.migrations import upgrade_all  # noqa: E402
from zhongtai.serving import ServiceProcess, free_port  # noqa: E402
from zhongtai.workload.acked import AckedLog  # noqa: E402
from zhongtai.workload.admin_client import AdminClient  # noqa: E402
from zhongtai.workload.catalog_view import load_catalog  # noqa: E402
from zhongtai.workload.channel_client import ChannelClient  # noqa: E402
from zhongtai.workload.mp_client import MiniProgramClient  # noqa: E402
from zhongtai.workload.pos_client import PosClient  # noqa: E402
from zhongtai.workload.pull_client import PullClient  # noqa: E402
from zhongtai.workload.run_ids import RunIds  # noqa: E402
from zhongtai.workload.schedule import MIX  # noqa: E402
from zhongtai.workload.traffic_context import Context  # noqa: E402
from zhongtai.workload.traffic_http import Caller  # noqa: E402
from zhongtai.workload.traffic_stats import StatsRecorder, percentile  # noqa: E402

TARGET_RATIO = 0.70


def prepare(workspace: Path, *, stores: int, members: int, orders: int, platform: bool):
    """A seeded workspace (and, for the platform, its centers backfilled from it)."""
    settings = load_settings(workspace, env={}, cwd=workspace)
    anchor = datetime.combine(date.today() - timedelta(days=1), clock_time(20), SHANGHAI)
    from zhongtai.workload.seed import seed_legacy

    seed_legacy(
        settings.database("legacy"),
        stores=stores,
        members=members,
        orders=orders,
        seed=42,
        anchor=anchor,
    )
    if platform:
        upgrade_all(settings)
        backfill(settings, [])
    return settings


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process and its live descendants (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    total = 0
    for member in tree:
        try:
            fields = _stat(member)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def drive(target: str, settings, channel_api: str, *, connections: int, seconds: float,
                warmup: float, seed: int, server_pid: int) -> dict:  # fmt: skip
    """Closed-loop mixed workload against ``target``; figures of the measured window."""
    catalog = load_catalog(settings.database("legacy"))
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    recorder = StatsRecorder()
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=connections * 2)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        ids = RunIds(int(time.time() * 1000))
        with AckedLog(settings.workspace / "bench-acked.jsonl", ids.run) as log:
            ctx = Context(
                caller=Caller(session, target, recorder, loop.time),
                catalog=catalog,
                log=log,
                ids=ids,
                rng=rng,
                clock=loop.time,
                pace=0.5,
                started_unix=time.time(),
                channel_api=channel_api,
            )
            clients = {
                "mp": MiniProgramClient(ctx),
                "pos": PosClient(ctx),
                "admin": AdminClient(ctx),
                "meituan": ChannelClient(ctx, "meituan"),
                "eleme": ChannelClient(ctx, "eleme"),
                "pull": PullClient(ctx),
            }
            kinds, weights = list(MIX), [MIX[k] for k in MIX]
            window: dict[str, float] = {}

            async def worker(until: float) -> None:
                while loop.time() < until:
                    kind = rng.choices(kinds, weights)[0]
                    try:
                        if kind == "pull":
                            await clients["pull"].act(loop.time(), clients["pos"].act)
                        else:
                            await clients[kind].act(loop.time())
                    except Exception as exc:  # noqa: BLE001 - a client bug must not stop the run
                        recorder.note_error(f"{kind}.internal", repr(exc))

            start = loop.time()
            await asyncio.gather(*(worker(start + warmup) for _ in range(connections)))
            before = {k: len(v) for k, v in recorder.latencies.items()}
            errors_before = sum(recorder.errors.values())
            window["start"], cpu_before = loop.time(), cpu_seconds(server_pid)
            await asyncio.gather(*(worker(window["start"] + seconds) for _ in range(connections)))
            elapsed = loop.time() - window["start"]
            cpu = cpu_seconds(server_pid) - cpu_before
    per_kind = {kind: values[before.get(kind, 0) :] for kind, values in recorder.latencies.items()}
    measured = [latency for values in per_kind.values() for latency in values]
    return {
        "kinds": {k: (len(v), percentile(v, 50) * 1000) for k, v in per_kind.items() if v},
        "requests": len(measured),
        "rps": len(measured) / elapsed,
        "p50_ms": percentile(measured, 50) * 1000,
        "p99_ms": percentile(measured, 99) * 1000,
        "errors": sum(recorder.errors.values()) - errors_before,
        "cpu_ms": cpu * 1000 / max(len(measured), 1),
        "samples": recorder.samples[:3],
    }


def run_side(name: str, settings, args) -> dict:
    """Serve one side (with its own channel API) and drive it; returns its figures."""
    logs = settings.workspace / "logs"
    channel = ServiceProcess("channel", port=free_port(), workspace=settings.workspace,
                             log_dir=logs).start()  # fmt: skip
    env = {"ZHONGTAI_LEGACY_CHANNEL_API": channel.url}
    serve, extra = ("platform", ["--split"]) if name == "platform-split" else (name, [])
    if name == "platform-http":
        serve, env["ZHONGTAI_PLATFORM_CENTER_CALLS"] = "platform", "http"
    server = ServiceProcess(serve, port=free_port(), workspace=settings.workspace, env=env,
                            log_dir=logs, extra_args=extra)  # fmt: skip
    try:
        server.start()
        return asyncio.run(
            drive(
                server.url,
                settings,
                channel.url,
                connections=args.connections,
                seconds=args.seconds,
                warmup=args.warmup,
                seed=7,
                server_pid=server.proc.pid,
            )
        )
    finally:
        server.stop()
        channel.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per side")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--kinds", action="store_true", help="also print figures per kind")
    parser.add_argument(
        "--split", action="store_true", help="also measure `serve platform --split`"
    )
    parser.add_argument(
        "--loopback",
        action="store_true",
        help="also measure the one-process layout with center calls over loopback HTTP",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every side this many times, alternating (medians are printed)",
    )
    args = parser.parse_args(argv)
    sides = ["legacy", "platform"]
    sides += ["platform-http"] if args.loopback else []
    sides += ["platform-split"] if args.split else []
    rounds: list[dict[str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="zt-bench-platform-") as tmp:
        workspaces = {
            name: prepare(
                Path(tmp) / name,
                stores=args.stores,
                members=args.members,
                orders=args.orders,
                platform=name != "legacy",
            )
            for name in sides
        }
        # Sides alternate within each round, so load from other work on a shared machine
        # falls on every side alike; each ratio compares sides of the same round. Every round
        # starts from a copy of the freshly prepared workspace (same data every time).
        for number in range(1, max(args.rounds, 1) + 1):
            figures = {}
            for name in sides:
                copy = Path(tmp) / f"round{number}" / name
                shutil.copytree(workspaces[name].workspace, copy)
                figures[name] = run_side(name, load_settings(copy, env={}, cwd=copy), args)
            rounds.append(figures)
    report(rounds, args)
    return 0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def report(rounds: list[dict[str, dict]], args) -> None:
    print(f"mixed workload, closed loop, {args.connections} connections, {args.seconds:.0f} s "
          f"measured per side and round, {len(rounds)} round(s) (SQLite)")  # fmt: skip
    print(f"{'round':<6}{'side':<16}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}"
          f"{'CPU ms/req':>12}{'errors':>8}")  # fmt: skip
    for number, figures in enumerate(rounds, 1):
        for name, f in figures.items():
            print(f"{number:<6}{name:<16}{f['requests']:>10}{f['rps']:>10.1f}{f['p50_ms']:>10.1f}"
                  f"{f['p99_ms']:>10.1f}{f['cpu_ms']:>12.2f}{f['errors']:>8}")  # fmt: skip
            for sample in f["samples"]:
                print(f"    error sample ({name}): {sample}")
    figures = rounds[-1]
    if args.kinds:
        legacy, platform = figures["legacy"]["kinds"], figures["platform"]["kinds"]
        print(f"{'request kind (last round)':<26}{'legacy n':>9}{'p50 ms':>8}"
              f"{'platform n':>11}{'p50 ms':>8}")  # fmt: skip
        for kind in sorted(legacy, key=lambda k: -legacy[k][0]):
            n, p50 = legacy[kind]
            pn, pp50 = platform.get(kind, (0, float("nan")))
            print(f"{kind:<26}{n:>9}{p50:>8.1f}{pn:>11}{pp50:>8.1f}")

    def ratios(name: str, key: str) -> list[float]:
        return [r[name][key] / r["legacy"][key] for r in rounds if r["legacy"][key]]

    def summary(name: str) -> str:
        rps, cpu = ratios(name, "rps"), ratios(name, "cpu_ms")
        spread = f" (rounds {min(rps):.0%}–{max(rps):.0%})" if len(rps) > 1 else ""
        return (f"throughput {_median(rps):.0%} of legacy{spread}, "
                f"CPU per request {_median(cpu):.2f}× legacy's")  # fmt: skip

    if "platform-http" in rounds[0]:
        print(f"platform, center calls over loopback HTTP: {summary('platform-http')}")
    if "platform-split" in rounds[0]:
        print(f"platform --split (centers in their own processes): {summary('platform-split')}")
    ratio = _median(ratios("platform", "rps"))
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"platform: {summary('platform')} ({verdict} the {TARGET_RATIO:.0%} target)")


if __name__ == "__main__":
    sys.exit(main())
