"""Sync lag under a steady write load on legacy (issue 5: p99 ≤ 2 s at 200 changes/s).

    .venv/bin/python bench/sync_lag.py                       # SQLite legacy → SQLite centers
    .venv/bin/python bench/sync_lag.py --targets postgresql --rate 200 --seconds 30
    .venv/bin/python bench/sync_lag.py --legacy mysql+pymysql://root@127.0.0.1:3306/bench_leg

1. Seed legacy, create centers at head, install capture, backfill (untimed).
2. A writer thread commits on legacy at a steady rate of captured changes: order status moves
   (an UPDATE of ``t_order`` and an INSERT into ``t_order_status_log``: two changes) and, for
   ``--new-orders`` of the transactions (default 10%), a new order copied from an old one with
   its items (``t_order`` + items + status log). New orders matter: they can change who is
   who, so a batch holding one rebuilds the people resolution (a whole-table scan).
   Every half second one status move is a *probe*: it also writes a unique remark the syncer
   must carry to the order center.
3. ``zhongtai migrate sync --follow --refresh 2`` runs in another thread for ``--seconds``
   (merge facts such as the people resolution are rebuilt at most every ``--refresh``
   seconds; rows they affect are re-synced by their ripple then).
4. Two figures, both printed as p50 / p99 / max, and the sync thread's own CPU time (per
   change, and as a share of one core), which other processes on a shared machine cannot
   inflate:
   * **lag** — what ``migrate status`` reports: now − captured_at of the oldest change not
     applied yet, sampled every 50 ms with the legacy database's own clock (0 when caught up);
   * **probe latency** — end to end: from the probe's commit on legacy until its remark is
     readable in the order center (polled every 10 ms).

:func:`measure` works on any centers just backfilled with capture installed first;
``bench/backfill.py`` is the backfill half of issue 5's figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from zhongtai.config import CENTERS, load_settings
from zhongtai.db import create_engine, drop_database, ensure_database
from zhongtai.legacy import schema as ls
from zhongtai.legacy.clock import local_str
from zhongtai.migrate import changelog
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.capture import install_capture
from zhongtai.migrate.sync import ForwardSyncer
from zhongtai.migrate.syncloop import run
from zhongtai.platform.migrations import upgrade_center
from zhongtai.platform.order import tables as ot
from zhongtai.workload.seed import seed_legacy

PG = os.environ.get("ZHONGTAI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
MOVES = [(1, 2), (2, 3), (3, 4), (4, 5)]


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, ordered[-1]


class Writer:
    """Commits ``rate`` captured changes per second: status moves, some new orders, probes.

    Runs in a process of its own (:func:`_write_load`), so its Python work never competes
    with the syncer for one interpreter lock.
    """

    def __init__(self, url: str, rate: float, stop, new_orders: float, probes) -> None:
        self.engine = create_engine(url)
        self.rate = rate
        self.new_orders = new_orders
        self.stop = stop
        self.probes = probes  # queue of (remark, order id, commit time)
        self.changes = 0
        self.started = self.finished = 0.0

    def _templates(self, conn) -> list[tuple[dict, list[dict]]]:
        o, i = ls.t_order, ls.t_order_item
        query = sa.select(o).where(o.c.order_type != 9, o.c.channel == 3).limit(200)
        orders = conn.execute(query).mappings().all()
        items: dict[int, list[dict]] = {}
        for row in conn.execute(sa.select(i).where(i.c.order_id.in_([r["id"] for r in orders]))):
            item = {k: v for k, v in row._mapping.items() if k != "id"}
            items.setdefault(row.order_id, []).append(item)
        return [(dict(r), items.get(r["id"], [])) for r in orders]

    def _new_order(self, conn, template, new_id: int) -> int:
        row, items = template
        o, i, log = ls.t_order, ls.t_order_item, ls.t_order_status_log
        now = local_str()
        values = {**row, "id": new_id, "order_no": f"B{new_id}", "status": 1,
                  "create_time": now, "update_time": now}  # fmt: skip
        conn.execute(sa.insert(o).values(values))
        if items:
            conn.execute(sa.insert(i), [{**item, "order_id": new_id} for item in items])
        conn.execute(sa.insert(log).values(order_id=new_id, from_status=None, to_status=1,
                                           source="BENCH", create_time=now))  # fmt: skip
        return 2 + len(items)

    def _move(self, conn, order_id: int, rng: random.Random, probe: str | None) -> int:
        o, log = ls.t_order, ls.t_order_status_log
        src, dst = rng.choice(MOVES)
        values = {"status": dst, "update_time": local_str()}
        if probe:
            values["remark"] = probe
        conn.execute(sa.update(o).where(o.c.id == order_id).values(**values))
        moved = {"order_id": order_id, "from_status": src, "to_status": dst, "source": "BENCH"}
        conn.execute(sa.insert(log).values(**moved, create_time=values["update_time"]))
        return 2

    def run(self) -> None:
        o = ls.t_order
        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(sa.select(o.c.id).where(o.c.order_type != 9))]
            templates = self._templates(conn)
            next_id = conn.execute(sa.select(sa.func.max(o.c.id))).scalar() + 1
        rng = random.Random(5)
        self.started = time.monotonic()
        next_probe = self.started + 0.5
        while not self.stop.is_set():
            pause = self.started + self.changes / self.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # paced by changes written, so the rate is in changes/s
            if templates and rng.random() < self.new_orders:
                with self.engine.begin() as conn:
                    self.changes += self._new_order(conn, rng.choice(templates), next_id)
                next_id += 1
                continue
            probe = None
            if time.monotonic() >= next_probe:
                probe, next_probe = f"probe-{uuid.uuid4().hex[:10]}", next_probe + 0.5
            order_id = rng.choice(ids)
            with self.engine.begin() as conn:
                self.changes += self._move(conn, order_id, rng, probe)
            if probe:
                self.probes.put((probe, order_id, time.monotonic()))
        self.finished = time.monotonic()
        self.engine.dispose()
        self.probes.put(("done", self.changes, self.started, self.finished))


def _write_load(url: str, rate: float, stop, new_orders: float, probes) -> None:
    try:
        writer = Writer(url, rate, stop, new_orders, probes)
        probes.put(("started",))
        writer.run()
    except Exception as exc:  # reported by measure(), which would otherwise wait in vain
        probes.put(("error", f"{type(exc).__name__}: {exc}"))


def measure(settings, *, rate: float = 200.0, seconds: float = 20.0, batch: int = 500,
            new_orders: float = 0.1, refresh: float = 2.0) -> dict:  # fmt: skip
    """Drive ``rate`` changes/s into legacy for ``seconds`` while sync follows; the figures.

    Capture must be installed and the mappings backfilled (the syncer defers otherwise).
    """
    syncer = ForwardSyncer(settings, batch=batch, refresh_every=refresh)
    run(syncer)  # start from an empty log
    spawn = multiprocessing.get_context("spawn")
    stop_writer, stop_sync, queue = spawn.Event(), threading.Event(), spawn.Queue()
    writer = spawn.Process(
        target=_write_load,
        args=(settings.database("legacy"), rate, stop_writer, new_orders, queue),
        daemon=True,
    )
    probes: dict[str, tuple[int, float]] = {}  # remark → (order id, commit time)
    totals: tuple = ()
    cpu = {"seconds": 0.0, "changes": 0}

    def follow() -> None:
        started = time.thread_time()  # this thread's CPU only: immune to other processes
        report = run(syncer, follow=True, poll=0.02, stop=stop_sync)
        cpu.update(seconds=time.thread_time() - started, changes=report.changes)

    follower = threading.Thread(target=follow, daemon=True)
    lags: list[float] = []
    seen: dict[str, float] = {}
    legacy = create_engine(settings.database("legacy"))
    order_db = create_engine(settings.database("order"))
    follower.start()
    writer.start()
    first = queue.get(timeout=300)  # a spawned interpreter takes a while on a busy machine
    if first[0] != "started":
        raise RuntimeError(f"the load writer failed: {first[1:]}")
    deadline = time.monotonic() + seconds
    next_lag = time.monotonic()
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_lag:
                next_lag = now + 0.05
                with legacy.connect() as conn:
                    backlog = changelog.total_backlog(changelog.backlog_by_table(conn))
                lags.append(backlog.oldest_seconds or 0.0)
            while not queue.empty():
                message = queue.get()
                if message[0] == "error":
                    raise RuntimeError(f"the load writer failed: {message[1]}")
                probes[message[0]] = message[1:]
            pending = {k: v for k, v in probes.items() if k not in seen}
            if pending:
                by_order = {order_id: remark for remark, (order_id, _) in pending.items()}
                with order_db.connect() as conn:
                    rows = conn.execute(
                        sa.select(ot.orders.c.id, ot.orders.c.remark).where(
                            ot.orders.c.id.in_(list(by_order))
                        )
                    )
                    for _, remark in rows:
                        if remark in pending:
                            seen[remark] = time.monotonic() - pending[remark][1]
            time.sleep(0.01)
    finally:
        stop_writer.set()
        while not totals:
            message = queue.get(timeout=60)
            if message[0] == "error":
                raise RuntimeError(f"the load writer failed: {message[1]}")
            if message[0] == "done":
                totals = message[1:]
            else:
                probes[message[0]] = message[1:]
        writer.join(30)
        stop_sync.set()
        follower.join(60)
        syncer.close()
        legacy.dispose()
        order_db.dispose()
    changes, started, finished = totals
    elapsed = finished - started
    lag = _percentiles(lags)
    probe = _percentiles(list(seen.values()))
    return {
        "changes_per_second": changes / elapsed if elapsed else 0.0,
        "new_orders": new_orders,
        "lag_p50": lag[0],
        "lag_p99": lag[1],
        "lag_max": lag[2],
        "probes": len(probes),
        "probes_seen": len(seen),
        "probe_p50": probe[0],
        "probe_p99": probe[1],
        "probe_max": probe[2],
        "cpu_ms_per_change": 1000 * cpu["seconds"] / cpu["changes"] if cpu["changes"] else 0.0,
        "cpu_share": cpu["seconds"] / elapsed if elapsed else 0.0,
    }


def print_figures(label: str, figures: dict, rate: float) -> None:
    verdict = "meets" if figures["lag_p99"] <= 2.0 else "MISSES"
    print(f"\nsync lag, {label}: asked {rate:.0f} changes/s, wrote "
          f"{figures['changes_per_second']:.0f} changes/s, "
          f"{figures['new_orders']:.0%} of transactions new orders")  # fmt: skip
    print(f"  lag (oldest unapplied change)  p50 {figures['lag_p50']:.2f} s   "
          f"p99 {figures['lag_p99']:.2f} s   max {figures['lag_max']:.2f} s"
          f"   → {verdict} the p99 ≤ 2 s target")  # fmt: skip
    print(f"  probe commit → visible in center  p50 {figures['probe_p50']:.2f} s   "
          f"p99 {figures['probe_p99']:.2f} s   max {figures['probe_max']:.2f} s   "
          f"({figures['probes_seen']}/{figures['probes']} probes seen)")  # fmt: skip
    print(f"  sync thread CPU  {figures['cpu_ms_per_change']:.2f} ms per change, "
          f"{figures['cpu_share']:.0%} of one core (database servers apart)")  # fmt: skip


def _settings(tmp: Path, legacy: str, engine: str):
    names = ["state", *CENTERS]
    if engine == "sqlite":
        urls = {n: f"sqlite:///{tmp / f'{n}.db'}" for n in names}
    else:
        suffix = uuid.uuid4().hex[:6]
        urls = {n: f"{PG}/ztb_sync_{n}_{suffix}" for n in names}
    env = {"ZHONGTAI_DATABASES_LEGACY": legacy}
    env |= {f"ZHONGTAI_DATABASES_{n.upper()}": u for n, u in urls.items()}
    settings = load_settings(tmp, env=env)
    for url in urls.values():
        ensure_database(url)
    for center in CENTERS:
        upgrade_center(settings, center)
    return settings, list(urls.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=4_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--rate", type=float, default=200.0, help="captured changes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--new-orders", type=float, default=0.1, help="share of transactions")
    parser.add_argument("--refresh", type=float, default=2.0, help="sync --refresh seconds")
    parser.add_argument("--targets", default="sqlite,postgresql")
    parser.add_argument("--legacy", default="", help="legacy URL (default: SQLite, seeded)")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for engine in [t for t in args.targets.split(",") if t]:
        with tempfile.TemporaryDirectory(prefix="zt-bench-sync-") as name:
            tmp = Path(name)
            legacy = args.legacy or f"sqlite:///{tmp / 'legacy.db'}"
            ensure_database(legacy)
            seed_legacy(legacy, stores=args.stores, members=args.members, orders=args.orders,
                        seed=42, reset=True, progress=False)  # fmt: skip
            settings, created = _settings(tmp, legacy, engine)
            try:
                install_capture(settings)
                backfill(settings)
                figures = measure(settings, rate=args.rate, seconds=args.seconds,
                                  batch=args.batch, new_orders=args.new_orders,
                                  refresh=args.refresh)  # fmt: skip
                legacy_kind = legacy.split(":", 1)[0]
                print_figures(f"{legacy_kind} → {engine}, {args.orders:,} orders", figures,
                              args.rate)  # fmt: skip
            finally:
                for url in created:
                    drop_database(url)
                if args.legacy:
                    from zhongtai.migrate.capture import remove_capture

                    remove_capture(settings, force=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
