"""Backfill throughput against a raw bulk insert of the already-transformed rows, in one run.

    .venv/bin/python bench/backfill.py              # 20k orders; SQLite and PG; 1 and 2 workers
    .venv/bin/python bench/backfill.py --orders 60000 --members 12000 --workers 2
    .venv/bin/python bench/backfill.py --legacy mysql+pymysql://root@127.0.0.1:3306/bench_legacy
    .venv/bin/python bench/backfill.py --targets mariadb

1. Seed a legacy database (untimed): SQLite in a temp dir unless ``--legacy`` names one
   (``--reuse-legacy`` keeps one that already holds orders).
2. For each target engine and each ``--workers`` value, fresh center databases at alembic
   head, then ``backfill()`` of every reference mapping — timed per mapping, wall clock:
   keyset reads, transforms, packing, idempotent upserts (COPY + INSERT … ON CONFLICT on
   PostgreSQL, INSERT … SELECT … ON CONFLICT from the packed chunk on SQLite) and a
   checkpoint per chunk.
3. Right after it, the same mappings' target rows produced again in memory and bind-processed
   (untimed), then bulk-inserted into a second set of fresh center databases — PostgreSQL:
   binary ``COPY``; SQLite: ``executemany`` of plain INSERTs; MariaDB: PyMySQL's multi-row
   ``executemany``; one transaction per mapping — timed per mapping.
4. Prints target rows/s of both and the ratio backfill / raw per mapping and overall
   (issue 5's target: at least 40%), then the CPU seconds each used on the client side (this
   process and the producer processes; PostgreSQL's own work is not in either), a figure the
   load of a shared machine moves much less than wall-clock rows/s. The sync-lag half of this
   bench is ``bench/sync_lag.py``.

Shared machines are noisy: the load average is printed with every table.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

from zhongtai.config import CENTERS, load_settings
from zhongtai.db import create_engine, drop_database, ensure_database
from zhongtai.migrate import source, writer
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.mapping import Quarantine
from zhongtai.migrate.mappings import all_mappings
from zhongtai.platform.migrations import upgrade_center
from zhongtai.workload.seed import seed_legacy

SERVERS = {
    "postgresql": os.environ.get(
        "ZHONGTAI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432"
    ),
    "mariadb": os.environ.get("ZHONGTAI_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306"),
}


def _center_urls(engine: str, tmp: Path, tag: str) -> dict[str, str]:
    names = ["state", *CENTERS]
    if engine == "sqlite":
        return {n: f"sqlite:///{tmp / f'{tag}_{n}.db'}" for n in names}
    suffix = uuid.uuid4().hex[:6]
    return {n: f"{SERVERS[engine]}/ztb_{tag}_{n}_{suffix}" for n in names}


def _settings(tmp: Path, legacy: str, urls: dict[str, str]):
    env = {"ZHONGTAI_DATABASES_LEGACY": legacy}
    env |= {f"ZHONGTAI_DATABASES_{n.upper()}": u for n, u in urls.items()}
    settings = load_settings(tmp, env=env)
    for url in urls.values():
        ensure_database(url)
    for center in CENTERS:
        upgrade_center(settings, center)
    return settings


def _transformed(legacy_url: str, mappings) -> dict[str, dict[str, list[dict]]]:
    """Every mapping's target rows, in memory (the baseline's input; untimed)."""
    engine = create_engine(legacy_url)
    out: dict[str, dict[str, list[dict]]] = {}
    try:
        with engine.connect() as conn:
            for m in mappings:
                ctx = source.build_context(conn, m)
                rows: dict[str, list[dict]] = {t.name: [] for t in m.targets}
                after = 0
                while records := source.read_chunk(
                    conn, m, ctx, after=after, upto=None, limit=5000
                ):
                    after = records[-1].row[m.key]
                    for result in (m.apply(r) for r in records):
                        if not isinstance(result, Quarantine):
                            for table, found in result.items():
                                rows[table] += found
                out[m.name] = rows
    finally:
        engine.dispose()
    return out


def _raw_insert(conn, table, columns, values) -> None:
    dbapi = conn.connection.driver_connection
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur:
            cur.execute(
                "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t "
                "ON t.oid = a.atttypid WHERE a.attrelid = %s::regclass AND a.attnum > 0",
                (f'"{table.name}"',),
            )
            types = dict(cur.fetchall())
            with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN (FORMAT BINARY)') as copy:
                copy.set_types([types[c] for c in columns])
                for v in values:
                    copy.write_row(v)
    elif conn.dialect.name in ("mysql", "mariadb"):  # PyMySQL folds these into multi-row INSERTs
        cols = ", ".join(f"`{c}`" for c in columns)
        marks = ", ".join("%s" for _ in columns)
        cur = dbapi.cursor()
        cur.executemany(f"INSERT INTO `{table.name}` ({cols}) VALUES ({marks})", values)
        cur.close()
    else:
        marks = ", ".join("?" for _ in columns)
        cur = dbapi.cursor()
        cur.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', values)
        cur.close()


def _raw(settings, mappings, rows) -> dict[str, tuple[int, float, float]]:
    """Per mapping: (target rows, seconds of the plain bulk insert, seconds of the per-column
    conversion every insert of these Python rows needs — timed apart, not in the baseline —
    and CPU seconds of the insert)."""
    engines = {c: create_engine(settings.database(c)) for c in CENTERS}
    results = {}
    try:
        for m in mappings:
            engine = engines[m.center]
            prepared = []
            started = time.perf_counter()
            with engine.connect() as conn:  # bind processing (UTC → naive, JSON, ...)
                for target in m.targets:
                    columns, values = writer.prepare(conn, target, rows[m.name][target.name])
                    prepared.append((target.table, columns, values))
            converting = time.perf_counter() - started
            started, cpu = time.perf_counter(), time.process_time()
            with engine.begin() as conn:
                for table, columns, values in prepared:
                    if values:
                        _raw_insert(conn, table, columns, values)
            n = sum(len(v) for _, _, v in prepared)
            seconds = time.perf_counter() - started
            results[m.name] = (n, seconds, converting, time.process_time() - cpu)
    finally:
        for e in engines.values():
            e.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=4_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--workers", default="1,2", help="comma-separated: one run per value")
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--targets", default="sqlite,postgresql")
    parser.add_argument("--legacy", default="", help="legacy URL (default: SQLite, seeded)")
    parser.add_argument("--reuse-legacy", action="store_true", help="do not reseed --legacy")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w]
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    mappings = list(all_mappings().values())
    with tempfile.TemporaryDirectory(prefix="zt-bench-bf-") as name:
        tmp = Path(name)
        legacy = args.legacy or f"sqlite:///{tmp / 'legacy.db'}"
        ensure_database(legacy)
        if not (args.reuse_legacy and _has_orders(legacy)):
            seed_legacy(legacy, stores=args.stores, members=args.members, orders=args.orders,
                        seed=42, reset=True, progress=False)  # fmt: skip
        rows = _transformed(legacy, mappings)
        for engine in [t for t in args.targets.split(",") if t]:
            for count in workers:
                created = []
                try:
                    urls_bf = _center_urls(engine, tmp, f"bf{count}")
                    urls_raw = _center_urls(engine, tmp, f"raw{count}")
                    created = [*urls_bf.values(), *urls_raw.values()]
                    bf_settings = _settings(tmp / f"bf{count}", legacy, urls_bf)
                    raw_settings = _settings(tmp / f"raw{count}", legacy, urls_raw)
                    cpu = _cpu()
                    report = backfill(bf_settings, chunk_size=args.chunk, workers=count)
                    cpu_bf = _cpu() - cpu
                    raw = _raw(raw_settings, mappings, rows)
                    _print(engine, args, count, report, raw)
                    _print_cpu(cpu_bf, raw)
                finally:
                    for url in created:
                        drop_database(url)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def _has_orders(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.exec_driver_sql("SELECT count(*) FROM t_order").scalar())
    except Exception:  # no table yet: seed it
        return False
    finally:
        engine.dispose()


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the producers of --workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _print_cpu(backfill_cpu: float, raw) -> None:
    raw_cpu = sum(cpu for _, _, _, cpu in raw.values())
    print(
        f"CPU (client side; the load average does not move it): backfill {backfill_cpu:.1f} s, "
        f"raw insert {raw_cpu:.1f} s → {raw_cpu / backfill_cpu:.0%}"
    )


def _print(engine, args, workers, report, raw) -> None:
    load = os.getloadavg()[0]
    print(f"\n{engine}: {args.orders:,} orders, --workers {workers}, chunk {args.chunk}, "
          f"load {load:.1f}")  # fmt: skip
    head = f"{'mapping':<20}{'rows':>9}{'backfill/s':>12}{'raw/s':>10}{'ratio':>7}"
    print(head + f"{'raw+conv/s':>12}{'ratio':>7}")
    tb = tr = tc = total = 0.0
    for o in report.outcomes:
        n, seconds, converting, _ = raw[o.name]
        tb, tr, tc, total = tb + o.seconds, tr + seconds, tc + converting, total + n
        print(_line(o.name, n, o.seconds, seconds, converting))
    print(_line("all", total, tb, tr, tc))
    print("raw: the driver's bulk path fed pre-converted tuples (the baseline of the target,")
    print("backfill >= 40% of raw); raw+conv also converts the rows' values (UTC, JSON) first.")


def _line(name, n, backfill_s, raw_s, conv_s) -> str:
    bf = n / backfill_s if backfill_s else 0
    raw = n / raw_s if raw_s else 0
    both = n / (raw_s + conv_s) if raw_s + conv_s else 0
    ratio = bf / raw if raw else 0
    ratio_conv = bf / both if both else 0
    head = f"{name:<20}{n:>9,.0f}{bf:>12,.0f}{raw:>10,.0f}{ratio:>7.0%}"
    return head + f"{both:>12,.0f}{ratio_conv:>7.0%}"


if __name__ == "__main__":
    sys.exit(main())
