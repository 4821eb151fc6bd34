"""``zhongtai seed``: fill the legacy database with deterministic history (I/O edge).

The rows come from ``dataset.LegacyDataset`` (pure, same seed → same bytes); this module owns
the database side: create the schema, refuse a database that already holds legacy rows
unless told to reset, write each chunk in its own transaction through ``writer.BulkWriter``,
move PostgreSQL's id sequences past the seeded ids so the live app's inserts do not collide,
and report rows, time and quirk counts.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from zhongtai.config import mask_url
from zhongtai.db import check_connection, create_engine, ensure_database
from zhongtai.errors import DatabaseError, ZhongtaiError
from zhongtai.legacy import schema
from zhongtai.workload.dataset import LegacyDataset
from zhongtai.workload.history import MAX_SERIAL
from zhongtai.workload.pipeline import PARALLEL_FROM, ChunkStream, GeneratorFailed
from zhongtai.workload.timeline import ANCHOR
from zhongtai.workload.writer import BulkWriter

logger = logging.getLogger(__name__)
MAX_STORES = 3_000  # store codes are two letters and four digits per city


@dataclass(frozen=True)
class SeedReport:
    """What a seed run wrote: rows per table, quirk hits, elapsed seconds."""

    url: str  # masked
    seed: int
    anchor: str
    rows: dict[str, int]
    quirks: dict[str, int]
    seconds: float
    write_path: str  # sqlite / copy / pymysql / core
    eligible: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "url": self.url,
            "seed": self.seed,
            "anchor": self.anchor,
            "rows": self.rows,
            "quirks": self.quirks,
            "eligible": self.eligible,
            "seconds": self.seconds,
            "rows_per_second": self.rows_per_second,
            "write_path": self.write_path,
        }


def seed_legacy(
    url: str,
    *,
    stores: int,
    members: int,
    orders: int,
    seed: int,
    reset: bool = False,
    progress: bool = False,
    anchor: datetime = ANCHOR,
    parallel: bool | None = None,
) -> SeedReport:
    """Seed the legacy database at ``url``; refuses a non-empty one unless ``reset``.

    ``parallel`` runs the generator in a child process (default: for 40,000 orders and more);
    the rows are the same either way.
    """
    _check_arguments(stores, members, orders)
    args = {"stores": stores, "members": members, "orders": orders, "seed": seed, "anchor": anchor}
    busiest = LegacyDataset(**args).busiest_store_day()
    if busiest > MAX_SERIAL * 0.8:
        raise ZhongtaiError(
            f"{orders:,} orders over {stores} stores means about {busiest:,.0f} orders for the "
            f"busiest store in one day; order numbers allow {MAX_SERIAL:,}",
            hint="raise --stores or lower --orders",
        )
    masked = mask_url(url)
    ensure_database(url)
    engine = create_engine(url)
    try:
        check_connection(engine)
        _prepare(engine, reset, masked)
        started = time.perf_counter()
        stream = ChunkStream(
            args, parallel=orders >= PARALLEL_FROM if parallel is None else parallel
        )
        try:
            rows, path = _write(engine, stream, orders, progress)
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"seeding failed: {type(exc.orig or exc).__name__}: {exc.orig or exc}",
                url=masked,
                hint="fix the cause, then run again with --reset",
            ) from exc
        except GeneratorFailed as exc:
            raise ZhongtaiError(
                f"the seed generator failed: {exc}", hint="report this with the arguments used"
            ) from exc
        seconds = time.perf_counter() - started
        logger.info("seeded %s rows into %s in %.1f s", sum(rows.values()), masked, seconds)
    finally:
        engine.dispose()
    return SeedReport(
        url=masked,
        seed=seed,
        anchor=anchor.isoformat(),
        rows=rows,
        quirks=dict(sorted(stream.hits.items())),
        seconds=seconds,
        write_path=path,
        eligible=dict(sorted(stream.eligible.items())),
    )


def _check_arguments(stores: int, members: int, orders: int) -> None:
    if not 1 <= stores <= MAX_STORES:
        raise ZhongtaiError(f"--stores {stores} is out of range", hint=f"use 1..{MAX_STORES}")
    if members < 0 or orders < 0:
        raise ZhongtaiError(
            f"--members {members} / --orders {orders} cannot be negative", hint="use 0 or more"
        )


def legacy_row_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per existing legacy table (0 for an empty one)."""
    existing = set(sa.inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as conn:
        for table in schema.metadata.tables.values():
            if table.name in existing:
                counts[table.name] = conn.execute(
                    sa.select(sa.func.count()).select_from(table)
                ).scalar_one()
    return counts


def _prepare(engine: sa.Engine, reset: bool, masked: str) -> None:
    if reset:
        schema.drop_schema(engine)
        schema.create_schema(engine)
        return
    schema.create_schema(engine)
    filled = {t: n for t, n in legacy_row_counts(engine).items() if n}
    if filled:
        listed = ", ".join(f"{t} ({n:,})" for t, n in list(filled.items())[:4])
        raise ZhongtaiError(
            f"the legacy database {masked} already holds data: {listed}; nothing was changed",
            hint="pass --reset to drop and recreate the legacy tables (their rows are lost)",
        )


def _write(
    engine: sa.Engine, stream: ChunkStream, orders: int, show: bool
) -> tuple[dict[str, int], str]:
    rows = {name: 0 for name in schema.metadata.tables}
    started = time.perf_counter()
    with _progress(show) as bar, engine.connect() as conn, _gc_paused():
        task = bar.add_task("seeding legacy", total=orders, rows=0, rate=0.0)
        writer = BulkWriter(conn)
        for chunk, chunk_orders in stream:
            for name, table_rows in chunk.items():
                rows[name] += writer.write(schema.metadata.tables[name], table_rows)
            conn.commit()
            total = sum(rows.values())
            bar.update(
                task,
                advance=chunk_orders,
                rows=total,
                rate=total / max(time.perf_counter() - started, 1e-9),
            )
        _advance_sequences(conn)
        conn.commit()
    return rows, writer.path


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: the seed allocates millions of acyclic rows, freed by refcount,
    and collections triggered by those allocations cost a fifth of the run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _progress(show: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("orders · {task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        disable=not show,
    )


def _advance_sequences(conn: sa.Connection) -> None:
    """Seeded rows carry explicit ids; PostgreSQL's sequences must move past them."""
    if conn.dialect.name != "postgresql":
        return  # SQLite and MariaDB continue from max(id) by themselves
    for table in schema.metadata.tables.values():
        if "id" in table.c and table.c.id.autoincrement is True:
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )
