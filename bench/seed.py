"""Seeding throughput against a raw driver ``executemany`` of the very same rows, in one run.

    .venv/bin/python bench/seed.py                      # SQLite in a temp dir, 200k orders
    .venv/bin/python bench/seed.py --orders 50000 --url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/seed.py --url mysql+pymysql://root@127.0.0.1:3306/bench

1. ``seed_legacy`` into a fresh database: generation and writing, timed together.
2. The same dataset generated again into memory (untimed) as tuples, then written into a fresh
   copy of the same tables with the driver's plain ``cursor.executemany`` in 10k-row chunks and
   one commit per chunk of the seed — the baseline with no generation cost. (The two small
   tables with DECIMAL/DATETIME columns go through SQLAlchemy Core in both runs.)
3. On PostgreSQL, also a raw binary ``COPY`` of the same tuples, the fastest path there is.

Runs ``--repeat`` rounds (default 2) of each, alternating, and keeps the best of each, because
a shared machine is noisy; prints the load average too. Prints rows/s of each and the ratio
seed / raw (target: at least 50%). The seed uses its generator child process from 40,000
orders up, as ``zhongtai seed`` does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from zhongtai.db import create_engine, drop_database, ensure_database
from zhongtai.legacy import schema
from zhongtai.workload.dataset import LegacyDataset
from zhongtai.workload.seed import seed_legacy
from zhongtai.workload.writer import BulkWriter, driver_path, plain, write_tuples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the best of each is kept")
    parser.add_argument("--url", default="", help="a database URL; default SQLite in a temp dir")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="zt-bench-") as tmp:
        base = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        urls = {kind: _sibling(base, kind) for kind in ("seed", "raw", "copy")}
        kinds = ["seed", "raw"] + (
            ["copy"] if make_url(base).get_backend_name() == "postgresql" else []
        )
        best: dict[str, float] = {}
        try:
            chunks = _pregenerate(args)
            rows = sum(len(data) for chunk in chunks for _, data in chunk)
            print(f"{args.orders:,} orders -> {rows:,} rows")
            for round_no in range(1, args.repeat + 1):
                for kind in kinds:
                    rate, seconds = _run(kind, urls[kind], chunks, args)
                    best[kind] = max(best.get(kind, 0.0), rate)
                    label = f"round {round_no} {LABELS[kind]}"
                    print(f"  {label:42s} {rate:>9,.0f} rows/s ({seconds:.1f} s)")
        finally:
            for url in urls.values():
                drop_database(url)
    print(f"load average after:  {os.getloadavg()[0]:.2f}")
    for kind in kinds:
        print(f"best {LABELS[kind]:34s} {best[kind]:>9,.0f} rows/s")
    ratio = best["seed"] / best["raw"]
    print(f"ratio seed / raw executemany            {ratio:>9.0%}  (target >= 50%)")
    if "copy" in best:
        print(f"ratio seed / raw COPY                   {best['seed'] / best['copy']:>9.0%}")
    return 0


LABELS = {
    "seed": "seed (generate + write)",
    "raw": "raw executemany (no generation)",
    "copy": "raw binary COPY (no generation)",
}


def _run(kind: str, url: str, chunks, args) -> tuple[float, float]:
    if kind == "seed":
        report = seed_legacy(
            url,
            stores=args.stores,
            members=args.members,
            orders=args.orders,
            seed=args.seed,
            reset=True,
        )
        return report.rows_per_second, report.seconds
    return _raw(url, chunks, path="executemany" if kind == "raw" else "copy")


def _sibling(url: str, suffix: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        return str(parsed.set(database=str(path.with_name(f"{path.stem}_{suffix}{path.suffix}"))))
    name = f"{parsed.database or 'zt'}_bench_{suffix}"
    return parsed.set(database=name).render_as_string(hide_password=False)


def _pregenerate(args) -> list[list[tuple]]:
    """The seed's chunks again, held in memory as (table, tuples or dicts) lists."""
    dataset = LegacyDataset(
        stores=args.stores, members=args.members, orders=args.orders, seed=args.seed
    )
    chunks = []
    for rows, _ in dataset.chunks():
        chunk = []
        for name, table_rows in rows.items():
            table = schema.metadata.tables[name]
            keys = table.columns.keys()
            data = table_rows
            if plain(table) and table_rows and isinstance(table_rows[0], dict):
                data = [tuple(r[k] for k in keys) for r in table_rows]
            chunk.append((table, data))
        chunks.append(chunk)
    return chunks


def _raw(url: str, chunks, path: str) -> tuple[float, float]:
    drop_database(url)
    ensure_database(url)
    engine = create_engine(url)
    schema.create_schema(engine)
    rows = 0
    try:
        with engine.connect() as conn:
            writer = BulkWriter(conn)
            if path == "executemany":
                # The driver's plain executemany: "?" placeholders on SQLite, "%s" elsewhere.
                path = "sqlite" if driver_path(conn) == "sqlite" else "executemany"
            started = time.perf_counter()
            for chunk in chunks:
                for table, data in chunk:
                    if data and isinstance(data[0], tuple):
                        write_tuples(conn, path, table, data)
                    else:
                        writer.write(table, data)
                    rows += len(data)
                conn.commit()
            seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return rows / seconds, seconds


if __name__ == "__main__":
    sys.exit(main())
