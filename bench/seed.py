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

Prints rows/s of each and the ratio seed / raw (target: at least 50%).
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--url", default="", help="a database URL; default SQLite in a temp dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zt-bench-") as tmp:
        base = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        seed_url, raw_url, copy_url = (_sibling(base, s) for s in ("seed", "raw", "copy"))
        try:
            report = seed_legacy(
                seed_url,
                stores=args.stores,
                members=args.members,
                orders=args.orders,
                seed=args.seed,
                reset=True,
            )
            print(
                f"engine {report.write_path}; {args.orders:,} orders -> {report.total_rows:,} rows"
            )
            seed_rate = report.rows_per_second
            print(
                f"seed (generate + write, {report.write_path:7s}) {seed_rate:>10,.0f} rows/s "
                f"({report.seconds:.1f} s)"
            )
            chunks = _pregenerate(args)
            raw_rate, raw_s = _raw(raw_url, chunks, path="executemany")
            print(f"raw executemany (no generation)    {raw_rate:>10,.0f} rows/s ({raw_s:.1f} s)")
            print(
                f"ratio seed / raw executemany       {seed_rate / raw_rate:>10.0%}  (target >= 50%)"
            )
            if make_url(base).get_backend_name() == "postgresql":
                copy_rate, copy_s = _raw(copy_url, chunks, path="copy")
                print(
                    f"raw binary COPY (no generation)    {copy_rate:>10,.0f} rows/s ({copy_s:.1f}s)"
                )
                print(f"ratio seed / raw COPY              {seed_rate / copy_rate:>10.0%}")
        finally:
            for url in (seed_url, raw_url, copy_url):
                drop_database(url)
    return 0


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
                path = "sqlite" if driver_path(conn) == "sqlite" else "pymysql"  # "?" or "%s"
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
