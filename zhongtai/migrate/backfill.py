"""``zhongtai migrate backfill``: copy legacy rows into the centers through their mappings.

For each mapping, in dependency order: walk the source key space in keyset chunks of
``chunk_size`` rows; each chunk is read, transformed and packed (by this process, or with
``--workers N`` by this process and N - 1 producer processes working ahead), then upserted
in one target transaction, then its checkpoint (and quarantine rows) commits in the state
database — in key order, by this process only (see :mod:`.worker`). ``--resume`` continues from the
checkpoints of the last plan; without it a mapping is planned afresh, which is safe because
every write is an idempotent upsert. ``--dry-run`` transforms and counts, quarantine
included, and writes nothing anywhere (not even the state database).
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

from rich.console import Console

from zhongtai.config import Settings
from zhongtai.errors import ConfigError, ZhongtaiError
from zhongtai.migrate import checkpoints, source
from zhongtai.migrate.checkpoints import Partition
from zhongtai.migrate.mapping import Mapping
from zhongtai.migrate.mappings import locate, resolve
from zhongtai.migrate.preflight import Endpoints, check_mapping, open_endpoints
from zhongtai.migrate.progress import RowProgress
from zhongtai.migrate.worker import (
    Engines,
    Job,
    PartResult,
    TakeTurns,
    here,
    init_pool,
    pool_produce,
    run_partition,
    warm_up,
)

DEFAULT_CHUNK = 2_000


@dataclass
class MappingOutcome:
    name: str
    center: str
    status: str  # done | already done | dry run
    total: int
    rows_read: int = 0
    rows_written: int = 0
    quarantined: int = 0
    chunks: int = 0
    seconds: float = 0.0
    reasons: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class BackfillReport:
    dry_run: bool
    outcomes: list[MappingOutcome]

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "mappings": [
                {
                    **asdict(o),
                    "reasons": [{"reason": r, "rows": n, "example": e} for r, n, e in o.reasons],
                    "rows_per_second": round(o.rows_per_second, 1),
                }
                for o in self.outcomes
            ],
        }


def split_ranges(lo: int | None, hi: int | None, parts: int) -> list[tuple[int, int | None]]:
    """``parts`` key ranges ``(lo, hi]`` covering ``[lo, hi]``; the last is open-ended so rows
    inserted after planning are copied too."""
    if lo is None or hi is None:
        return [(0, None)]
    start = lo - 1
    span = hi - start
    parts = max(1, min(parts, span))
    step = -(-span // parts)
    bounds = [(start + i * step, start + (i + 1) * step) for i in range(parts)]
    bounds = [(a, b) for a, b in bounds if a < hi]
    return [*bounds[:-1], (bounds[-1][0], None)]


def backfill(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    mappings: Sequence[Mapping] | None = None,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    dry_run: bool = False,
    resume: bool = False,
    console: Console | None = None,
) -> BackfillReport:
    """Run the backfill of the named mappings (all by default); see the module docstring."""
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if chunk_size < 1:
        raise ConfigError(f"chunk size must be at least 1, got {chunk_size}")
    chosen = list(mappings) if mappings is not None else resolve(list(names or []))
    for mapping in chosen:
        check_mapping(mapping)
    refs = {m.name: locate(m) for m in chosen} if workers > 1 else {}
    endpoints = open_endpoints(settings, chosen, dry_run=dry_run)
    run = _Run(settings, endpoints, workers, chunk_size, dry_run, resume, refs)
    try:
        if endpoints.state is not None:
            _check_dependencies(endpoints.state, chosen)
            checkpoints.ensure_state(endpoints.state)
        run.start_pool()
        with RowProgress(console) as progress:
            run.progress = progress
            outcomes = [run.mapping(m) for m in chosen]
    finally:
        run.close()
        endpoints.dispose()
    return BackfillReport(dry_run=dry_run, outcomes=outcomes)


def _check_dependencies(state, chosen: Sequence[Mapping]) -> None:
    """A mapping whose parents are neither selected nor already backfilled cannot run."""
    names = {m.name for m in chosen}
    missing = []
    with state.connect() as conn:
        exists = checkpoints.state_exists(conn)
        for mapping in chosen:
            for dep in mapping.depends_on:
                if dep in names:
                    continue
                info = checkpoints.run_info(conn, dep) if exists else None
                if info is None or info["finished_at"] is None:
                    missing.append((mapping.name, dep))
    if missing:
        needs = ", ".join(f"{m} needs {d}" for m, d in missing)
        deps = " ".join(sorted({d for _, d in missing}))
        raise ConfigError(
            f"backfill parents first: {needs}",
            hint=f"add them to the command (zhongtai migrate backfill {deps} ...) or run them "
            "before",
        )


class _Run:
    def __init__(self, settings, endpoints: Endpoints, workers, chunk_size, dry_run, resume, refs):
        self.settings, self.endpoints = settings, endpoints
        self.workers, self.chunk_size = workers, chunk_size
        self.dry_run, self.resume, self.refs = dry_run, resume, refs
        self.owner = uuid.uuid4().hex
        self.engines = Engines(
            {settings.database("legacy"): endpoints.legacy}
            | {settings.database(c): e for c, e in endpoints.centers.items()}
            | ({settings.database("state"): endpoints.state} if endpoints.state else {})
        )
        self.pool: ProcessPoolExecutor | None = None
        self.folder: tempfile.TemporaryDirectory | None = None  # contexts shipped to the pool
        self.progress: RowProgress | None = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.folder is not None:
            self.folder.cleanup()

    def _parts(self, mapping: Mapping, total: int, lo, hi) -> tuple[list[Partition], bool]:
        # One partition: workers produce chunks of it ahead (a plan of several partitions,
        # from an earlier version, is resumed one partition after the other).
        ranges = split_ranges(lo, hi, 1)
        if self.dry_run:
            return [Partition(mapping.name, i, a, b, a) for i, (a, b) in enumerate(ranges)], False
        with self.endpoints.state.begin() as conn:
            info = checkpoints.run_info(conn, mapping.name) if self.resume else None
            if info is not None and info["finished_at"] is not None:
                return checkpoints.partitions(conn, mapping.name), True
            if info is not None:
                parts = checkpoints.partitions(conn, mapping.name)
            else:
                parts = checkpoints.plan(
                    conn, mapping.name, ranges, total=total, chunk_size=self.chunk_size
                )
            for p in parts:
                if not p.done:
                    checkpoints.claim(conn, mapping.name, p.part, self.owner)
        return parts, False

    def mapping(self, mapping: Mapping) -> MappingOutcome:
        started = time.monotonic()
        with self.endpoints.legacy.connect() as conn:
            lo, hi, total = source.key_bounds(conn, mapping)
        parts, finished = self._parts(mapping, total, lo, hi)
        outcome = MappingOutcome(mapping.name, mapping.center, "done", total)
        for p in parts:
            outcome.rows_read += p.rows_read
            outcome.rows_written += p.rows_written
            outcome.quarantined += p.quarantined
            outcome.chunks += p.chunks_done
        if finished:
            outcome.status = "already done"
            outcome.reasons = self._reasons(mapping, Counter(), {})
            return outcome
        task = self.progress.add(mapping.name, total, outcome.rows_read)
        jobs = [self._job(mapping, p) for p in parts if not p.done]
        try:
            results = self._run_jobs(mapping, jobs, total)
        except ZhongtaiError:
            raise
        except Exception as exc:
            first_line = (str(exc).splitlines() or [""])[0][:300]
            raise ZhongtaiError(
                f"backfill of {mapping.name!r} failed: {type(exc).__name__}: {first_line}",
                hint="chunks already committed are kept; fix the cause, then run the same "
                "command with --resume (--debug shows the traceback)",
            ) from exc
        reasons: Counter = Counter()
        examples: dict[str, str] = {}
        for r in results:
            outcome.rows_read += r.rows_read
            outcome.rows_written += r.rows_written
            outcome.quarantined += r.quarantined
            outcome.chunks += r.chunks
            reasons.update(r.reasons)
            for k, v in r.examples.items():
                examples.setdefault(k, v)
            if r.stopped:
                raise ZhongtaiError(
                    f"backfill of {mapping.name!r} stopped: {r.stopped}",
                    hint="another run owns its checkpoints now; check `zhongtai migrate status`",
                )
        self.progress.finish(task)
        if not self.dry_run:
            with self.endpoints.state.begin() as conn:
                checkpoints.finish_run(conn, mapping.name)
        outcome.status = "dry run" if self.dry_run else "done"
        outcome.reasons = self._reasons(mapping, reasons, examples)
        outcome.seconds = time.monotonic() - started
        return outcome

    def _reasons(self, mapping, reasons: Counter, examples: dict) -> list:
        if self.dry_run:
            return [(k, n, examples.get(k, "")) for k, n in reasons.most_common()]
        with self.endpoints.state.connect() as conn:
            return checkpoints.quarantine_reasons(conn, mapping.name)

    def _job(self, mapping: Mapping, p: Partition) -> Job:
        module = self.refs.get(mapping.name, ("", mapping.name))[0]
        return Job(
            module=module,
            mapping=mapping.name,
            part=p,
            legacy_url=self.settings.database("legacy"),
            target_url=self.settings.database(mapping.center),
            state_url=None if self.dry_run else self.settings.database("state"),
            chunk_size=self.chunk_size,
            owner=self.owner,
        )

    def _run_jobs(self, mapping: Mapping, jobs: list[Job], total: int) -> list[PartResult]:
        report = self.progress.reporter(mapping.name)
        # The pipeline needs a few chunks per producer to pay back shipping the context and
        # filling it; smaller mappings run here alone.
        if self.pool is None or total < 4 * self.workers * self.chunk_size:
            return [run_partition(j, self.engines, mapping=mapping, report=report) for j in jobs]
        # This process is one of the producers: one chunk in ``workers`` is produced here.
        submit = TakeTurns(
            here(self.engines, mapping),
            functools.partial(self.pool.submit, pool_produce),
            self.workers,
        )
        legacy = self.engines.get(self.settings.database("legacy"))
        shipped = self.engines.ship(mapping, legacy, self.folder.name)
        return [
            run_partition(
                dataclasses.replace(j, context=shipped), self.engines, mapping=mapping,
                submit=submit, ahead=2 * self.workers, report=report,
            )
            for j in jobs
        ]  # fmt: skip

    def start_pool(self) -> None:
        """Spawn the ``workers - 1`` pool producers now, so they start (imports) while small
        mappings run here."""
        if self.workers == 1:
            return
        # spawn: producers build their own engines; nothing of ours crosses a fork.
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers - 1,  # this process is the other producer
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_pool,
            initargs=(os.getpid(),),
        )
        self.folder = tempfile.TemporaryDirectory(prefix="zt-backfill-")
        modules = tuple(sorted({module for module, _ in self.refs.values()}))
        for _ in range(self.workers - 1):
            self.pool.submit(warm_up, modules)
