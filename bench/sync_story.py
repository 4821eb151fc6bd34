"""Forward sync lag under the demo story's traffic (issue 7: lag ≤ 5 s, the story's gate).

    .venv/bin/python bench/sync_story.py                      # MariaDB legacy → PostgreSQL
    .venv/bin/python bench/sync_story.py --rps 20 --seconds 60 --busy 6

``bench/sync_lag.py`` writes status moves straight into legacy; the story's traffic is
different — every client kind through the legacy app (new takeout and mini-program orders
with items, activities, push logs and payments; POS progress; refunds), a few changes per
request — and the story follows with ``--poll 1`` and reverse capture installed. This bench
runs that:

1. Seed legacy on MariaDB like the story (12 stores, 1,000 orders), centers and state on
   PostgreSQL at head, capture both ways, backfill (untimed).
2. Serve the legacy app and the channels' open API; ``zhongtai migrate sync --follow
   --reverse`` runs beside, as in the story.
3. ``zhongtai traffic --rps R`` against the legacy app for ``--seconds`` while forward sync
   follows in a thread (``--poll``, ``--refresh`` as the story's). ``--busy N`` adds N
   processes spinning on the CPU, for the load the story's other processes make (proxy,
   platform, shadow worker, traffic, report) on a 2-core machine.
4. Printed: lag (now − captured_at of the oldest unapplied change, sampled every 0.1 s, as
   ``migrate status`` shows it) p50/p99/max, batch seconds, changes per batch, the sync
   thread's CPU, and the load average over the run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from zhongtai.config import CENTERS, load_settings
from zhongtai.db import create_engine, drop_database, ensure_database
from zhongtai.migrate import changelog
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.capture import install_capture, remove_capture
from zhongtai.migrate.sync import ForwardSyncer
from zhongtai.migrate.syncloop import run
from zhongtai.platform.migrations import upgrade_center
from zhongtai.serving import ServiceProcess, free_port
from zhongtai.workload.seed import seed_legacy

PG = os.environ.get("ZHONGTAI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
MY = os.environ.get("ZHONGTAI_TEST_MY", "mysql+pymysql://root@127.0.0.1:3306")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def _follow(syncer: ForwardSyncer, poll: float, stop: threading.Event, out: dict) -> None:
    batches: list[tuple[float, int]] = []
    inner = syncer.step

    def timed():
        began = time.monotonic()
        outcome = inner()
        batches.append((time.monotonic() - began, outcome.changes))
        return outcome

    syncer.step = timed  # type: ignore[method-assign]
    started = time.thread_time()
    report = run(syncer, follow=True, poll=poll, stop=stop)
    out.update(cpu=time.thread_time() - started, changes=report.changes, batches=batches)


def measure(urls: dict[str, str], args, work: Path) -> dict:
    legacy_port, channel_port = free_port(), free_port()
    env = {f"ZHONGTAI_DATABASES_{n.upper()}": u for n, u in urls.items()}
    env |= {
        "ZHONGTAI_WORKSPACE": str(work),
        "ZHONGTAI_SERVE_HOST": "127.0.0.1",
        "ZHONGTAI_SERVE_LEGACY_PORT": str(legacy_port),
        "ZHONGTAI_SERVE_CHANNEL_PORT": str(channel_port),
        "ZHONGTAI_LEGACY_CHANNEL_API": f"http://127.0.0.1:{channel_port}",
    }
    settings = load_settings(work, env=env)
    seed_legacy(urls["legacy"], stores=12, members=max(200, args.orders // 10),
                orders=args.orders, seed=42, reset=True, progress=False)  # fmt: skip
    for center in CENTERS:
        upgrade_center(settings, center)
    install_capture(settings)
    backfill(settings)
    install_capture(settings, reverse=True)
    children: list[subprocess.Popen] = []
    services: list[ServiceProcess] = []
    try:
        for name, port in (("channel", channel_port), ("legacy", legacy_port)):
            service = ServiceProcess(name, port=port, env=env, log_dir=work / "logs")
            services.append(service.start(120))
        child_env = {**os.environ, **env}
        reverse = [sys.executable, "-m", "zhongtai.cli", "migrate", "sync", "--follow", "--reverse"]
        children.append(subprocess.Popen(reverse, env=child_env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL))  # fmt: skip
        spin = [sys.executable, "-c", "while True: pass"]
        children += [subprocess.Popen(spin) for _ in range(args.busy)]
        syncer = ForwardSyncer(settings, batch=args.batch, refresh_every=args.refresh)
        try:
            run(syncer)  # start from an empty log
            stop, out = threading.Event(), {}
            follower = threading.Thread(target=_follow, args=(syncer, args.poll, stop, out))
            follower.start()
            traffic = subprocess.Popen(
                [sys.executable, "-m", "zhongtai.cli", "traffic", "--target",
                 f"http://127.0.0.1:{legacy_port}", "--rps", str(args.rps),
                 "--duration", str(args.seconds), "--json"],
                env=child_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            legacy = create_engine(urls["legacy"])
            lags, loads = [], []
            began = time.monotonic()
            try:
                while traffic.poll() is None:
                    with legacy.connect() as conn:
                        backlog = changelog.total_backlog(changelog.backlog_by_table(conn))
                    lags.append(backlog.oldest_seconds or 0.0)
                    loads.append(os.getloadavg()[0])
                    time.sleep(0.1)
            finally:
                elapsed = time.monotonic() - began
                summary = traffic.stdout.read() if traffic.stdout else b""
                stop.set()
                follower.join(120)
                legacy.dispose()
        finally:
            syncer.close()
    finally:
        for child in children:
            child.terminate()
            child.wait(30)
        for service in services:
            service.stop()
        remove_capture(settings, force=True)
        remove_capture(settings, reverse=True, force=True)
    try:
        requests = json.loads(summary)["total_requests"]
    except (ValueError, KeyError):
        requests = 0
    seconds = [s for s, changes in out.get("batches", []) if changes]
    sizes = [changes for _, changes in out.get("batches", []) if changes]
    return {
        "requests_per_second": requests / elapsed if elapsed else 0.0,
        "changes_per_second": out.get("changes", 0) / elapsed if elapsed else 0.0,
        "lag": (_pct(lags, 0.5), _pct(lags, 0.99), max(lags, default=0.0)),
        "batch": (_pct(seconds, 0.5), _pct(seconds, 0.9), max(seconds, default=0.0)),
        "changes_per_batch": statistics.median(sizes) if sizes else 0,
        "cpu_share": out.get("cpu", 0.0) / elapsed if elapsed else 0.0,
        "load": (statistics.mean(loads) if loads else 0.0, max(loads, default=0.0)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rps", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--poll", type=float, default=1.0, help="the story's --poll")
    parser.add_argument("--refresh", type=float, default=2.0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--busy", type=int, default=0, help="CPU-spinning processes beside")
    args = parser.parse_args(argv)
    suffix = uuid.uuid4().hex[:6]
    urls = {"legacy": f"{MY}/ztb_story_leg_{suffix}", "state": f"{PG}/ztb_story_st_{suffix}"}
    urls |= {c: f"{PG}/ztb_story_{c[:3]}_{suffix}" for c in CENTERS}
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="zt-bench-story-") as name:
        for url in urls.values():
            ensure_database(url)
        try:
            f = measure(urls, args, Path(name))
        finally:
            for url in urls.values():
                drop_database(url)
    verdict = "meets" if f["lag"][1] <= 5.0 else "MISSES"
    print(f"\nforward sync, MariaDB → PostgreSQL, story traffic {f['requests_per_second']:.1f} "
          f"req/s ({f['changes_per_second']:.0f} changes/s), --poll {args.poll:g}, "
          f"{args.busy} spinning processes")  # fmt: skip
    print(f"  lag  p50 {f['lag'][0]:.2f} s   p99 {f['lag'][1]:.2f} s   max {f['lag'][2]:.2f} s"
          f"   → {verdict} the 5 s gate")  # fmt: skip
    print(f"  batch  p50 {f['batch'][0]:.2f} s   p90 {f['batch'][1]:.2f} s   max "
          f"{f['batch'][2]:.2f} s; median {f['changes_per_batch']:.0f} changes")  # fmt: skip
    print(f"  sync thread CPU {f['cpu_share']:.0%} of one core; load average during the run "
          f"{f['load'][0]:.1f} (max {f['load'][1]:.1f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
