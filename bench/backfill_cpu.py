"""Client CPU per legacy row of a backfill's producer side, part by part, against a raw insert.

    .venv/bin/python bench/backfill_cpu.py                   # orders, 3,000 seeded orders
    .venv/bin/python bench/backfill_cpu.py --orders 10000 --mappings orders,payments

What ``bench/backfill.py`` times as wall clock, taken apart in CPU time (``process_time``),
which the load of a shared machine moves far less:

1. Seed a legacy SQLite database in a temp dir (untimed) and read every source row of each
   mapping in keyset chunks as a backfill does (``read``).
2. ``transform``: the mapping applied to every record, once cold (the first sight of every
   value, as a backfill meets it) and then ``--repeat`` times warm (the best is kept).
3. ``convert``: the rows bind-processed for SQLite and for PostgreSQL (``prepare_mapped``);
   ``pack``: the SQLite rows packed into a chunk image, the PostgreSQL rows into binary
   ``COPY`` blocks (``packed.pack``; PostgreSQL in a scratch database on ``--pg``, dropped
   after; ``--pg ''`` skips it).
4. The baseline, in the same run: a raw ``executemany`` of the SQLite-converted rows into an
   in-memory SQLite database with the target tables — the work any insert of these rows does.

Prints µs per source row of each part and the ratio raw insert / (transform + convert +
pack on SQLite), the client-side share of a backfill that is not the insert itself.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from zhongtai.db import create_engine, drop_database, ensure_database
from zhongtai.migrate import packed, source, writer
from zhongtai.migrate.mapping import Quarantine
from zhongtai.migrate.mappings import all_mappings
from zhongtai.workload.seed import seed_legacy

# Column labels of the printed table.
LABELS = {
    "read": "read",
    "transform": "transform",
    "cold": "cold",
    "convert sqlite": "conv lite",
    "convert pg": "conv pg",
    "pack sqlite": "pack lite",
    "pack pg": "pack pg",
}


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        out = fn()
        best = min(best, time.process_time() - started)
    return best, out


def _read(conn, mapping, ctx, chunk: int) -> list:
    records, after = [], 0
    while found := source.read_chunk(conn, mapping, ctx, after=after, upto=None, limit=chunk):
        after = found[-1].row[mapping.key]
        records += found
    return records


def _raw_insert(mapping, prepared) -> float:
    """CPU seconds of a plain executemany of ``prepared`` into fresh target tables."""
    engine = sa.create_engine("sqlite://")
    try:
        tables = [target.table for target in mapping.targets]
        with engine.begin() as conn:
            tables[0].metadata.create_all(conn, tables=tables)
        with engine.begin() as conn:
            cur = conn.connection.driver_connection.cursor()
            started = time.process_time()
            for name, columns, values in prepared:
                cols = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                cur.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks})', values)
            return time.process_time() - started
    finally:
        engine.dispose()


def _pg_pack(server: str, mapping, mapped: list, repeat: int) -> float | None:
    """CPU seconds of packing ``mapped`` into COPY blocks (best of ``repeat``)."""
    if not server:
        return None
    url = f"{server}/ztb_cpu_{uuid.uuid4().hex[:6]}"
    ensure_database(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:  # the whole center: targets may refer to other tables
            mapping.targets[0].table.metadata.create_all(conn)
        prepared = writer.prepare_mapped(engine.dialect, mapping, mapped)
        packed.pack(engine, mapping, prepared)  # column types looked up once, as a run does
        return _best(lambda: packed.pack(engine, mapping, prepared), repeat)[0]
    finally:
        engine.dispose()
        drop_database(url)


def measure(legacy: str, mapping, built: dict, args) -> dict[str, float]:
    sqlite_target = sa.create_engine("sqlite://")
    postgresql = sa.create_engine("postgresql+psycopg://").dialect
    engine = create_engine(legacy)
    try:
        with engine.connect() as conn:
            ctx = source.build_context(conn, mapping, built)
            read, records = _best(lambda: _read(conn, mapping, ctx, args.chunk), args.repeat)
    finally:
        engine.dispose()
    cold, _ = _best(lambda: [mapping.apply(r) for r in records], 1)
    transform, results = _best(lambda: [mapping.apply(r) for r in records], args.repeat)
    mapped = [r for r in results if not isinstance(r, Quarantine)]
    to_sqlite, prepared = _best(
        lambda: writer.prepare_mapped(sqlite_target.dialect, mapping, mapped), args.repeat
    )
    to_pg, _ = _best(lambda: writer.prepare_mapped(postgresql, mapping, mapped), args.repeat)
    pack, _ = _best(lambda: packed.pack(sqlite_target, mapping, prepared), args.repeat)
    pg_pack = _pg_pack(args.pg, mapping, mapped, args.repeat)
    raw = min(_raw_insert(mapping, prepared) for _ in range(args.repeat))
    n = max(len(records), 1)
    parts = {
        "read": read,
        "transform": transform,
        "cold": cold,
        "convert sqlite": to_sqlite,
        "convert pg": to_pg,
        "pack sqlite": pack,
        "pack pg": float("nan") if pg_pack is None else pg_pack,
        "raw insert": raw,
    }
    return {"rows": len(records), **{k: v / n * 1e6 for k, v in parts.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=3_000)
    parser.add_argument("--members", type=int, default=600)
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--mappings", default="orders", help="comma-separated, or 'all'")
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5, help="warm rounds; the best is kept")
    parser.add_argument(
        "--pg",
        default=os.environ.get("ZHONGTAI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        help="PostgreSQL server for the COPY packing ('' skips it)",
    )
    args = parser.parse_args(argv)
    mappings = all_mappings()
    names = list(mappings) if args.mappings == "all" else args.mappings.split(",")
    unknown = [n for n in names if n not in mappings]
    if unknown:
        parser.error(f"unknown mapping(s) {unknown}; known: {', '.join(mappings)}")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="zt-bench-cpu-") as tmp:
        legacy = f"sqlite:///{Path(tmp) / 'legacy.db'}"
        seed_legacy(legacy, stores=args.stores, members=args.members, orders=args.orders,
                    seed=42, reset=True, progress=False)  # fmt: skip
        gc.disable()  # as a backfill producer runs (worker.gc_paused)
        head = ("read", "transform", "cold", "convert sqlite", "convert pg", "pack sqlite",
                "pack pg")  # fmt: skip
        print(f"\nµs of client CPU per source row (best of {args.repeat}; 'cold' is the first")
        print("transform pass, every value seen for the first time)")
        print(f"{'mapping':<16}{'rows':>8}" + "".join(f"{LABELS[h]:>10}" for h in head)
              + f"{'raw insert':>12}{'ratio':>7}")  # fmt: skip
        built: dict = {}
        for name in names:
            got = measure(legacy, mappings[name], built, args)
            producer = got["transform"] + got["convert sqlite"] + got["pack sqlite"]
            ratio = got["raw insert"] / producer if producer else 0
            print(f"{name:<16}{got['rows']:>8,}" + "".join(f"{got[h]:>10.1f}" for h in head)
                  + f"{got['raw insert']:>12.1f}{ratio:>7.0%}")  # fmt: skip
        gc.enable()
    print("\nratio: raw insert / (transform + convert sqlite + pack sqlite), CPU per row.")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
