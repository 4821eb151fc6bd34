"""Data parity throughput: ``zhongtai compare data`` next to a plain scan, and next to reladiff.

    .venv/bin/python bench/compare.py                        # 1M orders, MariaDB → PostgreSQL
    .venv/bin/python bench/compare.py --orders 100000        # smaller
    .venv/bin/python bench/compare.py --engines sqlite       # SQLite legacy and centers
    .venv/bin/python bench/compare.py --skip-orders          # only the reladiff comparison

1. A legacy database is seeded with ``--orders`` orders and the ``orders`` mapping is backfilled
   into the order center (timed for context only). ``--keep`` leaves the databases in place and
   a later run with the same ``--orders`` reuses them.
2. ``compare data orders`` over the pair, no differences: the legacy rows go through the
   mapping's Python transform (the orders transform reads five child tables, a group and three
   lookups), the platform tables are hashed in PostgreSQL where their columns allow it.
   Next to it, a plain scan of both sides: every row of the legacy tables the mapping reads and
   of the five order center tables, streamed and counted, nothing else.
3. Two same-shape PostgreSQL tables in two databases (``--pair-rows`` rows): our comparison of
   an identity mapping (both checksums in the databases) and reladiff's hashdiff (installed into
   a temporary venv from PyPI; skipped with a message when that fails), with no difference and
   with one changed row. reladiff's wall time includes its interpreter start, which is printed
   separately (``reladiff --version``).

Every figure is measured in this one run on this machine; the load average is printed because
a shared machine is noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from zhongtai.compare.data import compare_data
from zhongtai.compare.pairs import compare_tables, same_shape
from zhongtai.compare.run import Options
from zhongtai.config import load_settings
from zhongtai.db import create_engine, drop_database, ensure_database
from zhongtai.legacy import schema as ls
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.mappings import resolve
from zhongtai.platform.migrations import upgrade_center
from zhongtai.platform.order import tables as ot
from zhongtai.workload.seed import seed_legacy

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306"
LEGACY_TABLES = (ls.t_order, ls.t_order_item, ls.t_order_activity, ls.t_order_status_log,
                 ls.t_refund, ls.t_payment)  # fmt: skip
ORDER_TABLES = (ot.orders, ot.order_items, ot.order_discounts, ot.order_status_history,
                ot.external_refs)  # fmt: skip


def _urls(engines: str, orders: int, tmp: Path) -> dict[str, str]:
    tag = f"ztbench_{orders}"
    if engines == "sqlite":
        folder = Path(tempfile.gettempdir()) / "zt-bench-compare"  # fixed, so --keep can reuse
        return {n: f"sqlite:///{folder / f'{tag}_{n}.db'}" for n in ("legacy", "order", "state")}
    return {
        "legacy": f"{MARIADB}/{tag}_legacy?charset=utf8mb4",
        "order": f"{PG}/{tag}_order",
        "state": f"{PG}/{tag}_state",
    }


def _count(url: str, table: sa.Table) -> int:
    engine = create_engine(url)
    try:
        if not sa.inspect(engine).has_table(table.name):
            return -1
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar())
    finally:
        engine.dispose()


def prepare(urls: dict[str, str], orders: int) -> object:
    """Seed and backfill unless a kept pair of the same size is there; the settings."""
    env = {f"ZHONGTAI_DATABASES_{n.upper()}": u for n, u in urls.items()}
    settings = load_settings(Path(tempfile.gettempdir()) / "zt-bench-ws", env=env)
    for url in urls.values():
        ensure_database(url)
    have_legacy = _count(urls["legacy"], ls.t_order)
    if have_legacy != orders:
        stores = max(20, orders // 2_000)
        print(f"seeding {orders:,} orders over {stores} stores …", flush=True)
        started = time.perf_counter()
        seed_legacy(urls["legacy"], stores=stores, members=max(100, orders // 10),
                    orders=orders, seed=42, reset=True, progress=False)  # fmt: skip
        print(f"  seeded in {time.perf_counter() - started:.0f} s")
        for name in ("order", "state"):  # a new legacy: start the migration afresh
            drop_database(urls[name])
            ensure_database(urls[name])
    upgrade_center(settings, "order")
    # --resume: a kept pair is already done (quick), an interrupted one continues.
    print("backfilling the orders mapping (2 workers) …", flush=True)
    started = time.perf_counter()
    report = backfill(settings, ["orders"], workers=2, chunk_size=2_000, resume=True)
    (outcome,) = [o for o in report.outcomes if o.name == "orders"]
    print(f"  {outcome.status}: {outcome.rows_read:,} orders → {outcome.rows_written:,} rows in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return settings


def plain_scan(url: str, tables) -> tuple[int, float]:
    """Stream every row of ``tables`` and count them: (rows, seconds)."""
    engine = create_engine(url)
    rows = 0
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            for table in tables:
                result = conn.execution_options(stream_results=True, yield_per=10_000).execute(
                    sa.select(table)
                )
                for part in result.partitions():
                    rows += len(part)
    finally:
        engine.dispose()
    return rows, time.perf_counter() - started


def orders_bench(args, tmp: Path) -> None:
    urls = _urls(args.engines, args.orders, tmp)
    settings = prepare(urls, args.orders)
    (orders,) = [m for m in resolve(["orders"]) if m.name == "orders"]
    runs = []
    for workers in args.workers:
        print(f"\nload average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
        started = time.perf_counter()
        options = Options(workers=workers)
        parity = compare_data(settings, mappings=[orders], options=options, record=False)
        runs.append((workers, time.perf_counter() - started, parity))
        assert parity.ok, [u.as_dict()["counts"] for u in parity.units]
    print(f"load average: {os.getloadavg()[0]:.2f}", flush=True)
    lrows, lsec = plain_scan(urls["legacy"], LEGACY_TABLES)
    prows, psec = plain_scan(urls["order"], ORDER_TABLES)
    parity = runs[0][2]
    legacy_rows = sum(u.legacy_rows for u in parity.units)
    platform_rows = sum(u.platform_rows for u in parity.units)
    read = next(m for m in parity.mappings if m.name == "orders").rows_read
    print(f"\n== compare data orders: {read:,} legacy orders → {legacy_rows:,} mapped rows vs "
          f"{platform_rows:,} platform rows ({args.engines}) ==")  # fmt: skip
    for u in parity.units:
        print(f"   {u.name:28} hashed legacy/platform: {u.legacy_hash}/{u.platform_hash}")
    both = legacy_rows + platform_rows
    scan = lsec + psec
    for workers, spent, _ in runs:
        rate = f"{read / spent:9,.0f} orders/s {both / spent:10,.0f} rows/s (mapped + platform)"
        print(
            f"compare data, {workers} worker(s) {spent:8.1f} s {rate}  {spent / scan:.2f}x the scan"
        )
    print(f"plain scan legacy        {lsec:8.1f} s {lrows / lsec:10,.0f} rows/s ({lrows:,} rows)")
    print(f"plain scan center        {psec:8.1f} s {prows / psec:10,.0f} rows/s ({prows:,} rows)")
    print(f"plain scan both          {scan:8.1f} s {(lrows + prows) / scan:10,.0f} rows/s")
    if not args.keep:
        for url in urls.values():
            drop_database(url)


# ----------------------------------------------------------------------------- vs reladiff


def _pair_tables():
    def table(name: str) -> sa.Table:
        return sa.Table(
            name,
            sa.MetaData(),  # one per database
            sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("customer_id", sa.Integer, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("amount_fen", sa.BigInteger, nullable=False),
            sa.Column("note", sa.String(64)),
            sa.Column("created_at", sa.DateTime, nullable=False),
        )

    return table("t_pair"), table("t_pair")


FILL = """
INSERT INTO t_pair
SELECT g, ((g::bigint * 7919) % 100000)::int, (ARRAY['NEW','PAID','DONE','CANCELLED'])[1 + g % 4],
       (g::bigint * 31) % 1000000, CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g END,
       TIMESTAMP '2024-01-01' + g * INTERVAL '1 second'
FROM generate_series(1, :n) AS g
"""


def _reladiff(tmp: Path) -> Path | None:
    venv = tmp / "reladiff-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "reladiff", "psycopg2-binary"],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"reladiff not available ({exc}); skipping the reladiff comparison")
        return None
    return venv / "bin" / "reladiff"


def pair_bench(args, tmp: Path) -> None:
    n = args.pair_rows
    urls = [f"{PG}/ztbench_pair_a", f"{PG}/ztbench_pair_b"]
    a, b = _pair_tables()
    engines = []
    for url, table in zip(urls, (a, b), strict=True):
        drop_database(url)
        ensure_database(url)
        engine = create_engine(url)
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(sa.text(FILL), {"n": n})
            conn.execute(sa.text("ANALYZE t_pair"))
        engines.append(engine)
    mapping, forms = same_shape("pair", a, b, center="pair")
    reladiff = _reladiff(tmp)
    raw = [u.replace("postgresql+psycopg://", "postgresql://") for u in urls]
    cols = [
        x for c in ("customer_id", "status", "amount_fen", "note", "created_at") for x in ("-c", c)
    ]
    print(f"\n== same-shape PostgreSQL tables, {n:,} rows each, two databases ==")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    if reladiff is not None:
        started = time.perf_counter()
        subprocess.run([str(reladiff), "--version"], capture_output=True, check=True)
        print(f"reladiff start-up alone: {time.perf_counter() - started:.2f} s")
    for label in ("no difference", "one changed row"):
        if label == "one changed row":
            with engines[1].begin() as conn:
                conn.execute(sa.text("UPDATE t_pair SET status = 'X' WHERE id = :i"), {"i": n // 3})
        started = time.perf_counter()
        parity = compare_tables(engines[0], engines[1], mapping, forms, options=Options())
        ours = time.perf_counter() - started
        found = sum(parity.units[0].counts.values())
        line = f"{label:16} zhongtai {ours:6.2f} s ({2 * n / ours:10,.0f} rows/s, {found} diff)"
        if reladiff is not None:
            started = time.perf_counter()
            out = subprocess.run(
                [str(reladiff), raw[0], "t_pair", raw[1], "t_pair", "-k", "id", *cols, "--stats"],
                capture_output=True, text=True,
            )  # fmt: skip
            theirs = time.perf_counter() - started
            if out.returncode != 0:
                line += f" | reladiff failed: {out.stderr.strip().splitlines()[-1:]}"
            else:
                stats = " ".join(out.stdout.split())[:120]
                line += (f" | reladiff {theirs:6.2f} s ({2 * n / theirs:10,.0f} rows/s) "
                         f"| reladiff/zhongtai {theirs / ours:.2f}x | {stats}")  # fmt: skip
        print(line, flush=True)
    for engine, url in zip(engines, urls, strict=True):
        engine.dispose()
        drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--engines", choices=("mariadb-pg", "sqlite"), default="mariadb-pg")
    parser.add_argument("--pair-rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the seeded pair for reuse")
    parser.add_argument(
        "--workers", type=lambda t: [int(x) for x in t.split(",")], default=[1, 2],
        help="compare runs with these worker counts (default 1,2)",
    )  # fmt: skip
    parser.add_argument("--skip-orders", action="store_true")
    parser.add_argument("--skip-pair", action="store_true")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="zt-bench-compare-"))
    try:
        if not args.skip_orders:
            orders_bench(args, tmp)
        if not args.skip_pair:
            pair_bench(args, tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
