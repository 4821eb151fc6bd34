"""Parallel walks: key-range partitions of one mapping compared in worker processes.

The Python path is bound by reading legacy rows (PyMySQL parses in Python) and by the
transform, both single-core; ``--workers N`` splits the mapping's source key space into N
partitions, each walked by a spawned process with its own engines, lookups and threads. A
worker returns its part of each unit's result (counts, samples, the segments to recheck) and
the parent merges them; the recheck and the report stay in the parent. Only mappings whose
units are all ranged go parallel: a bucketed unit needs every row in one place.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from zhongtai.compare.diff import Difference
from zhongtai.compare.model import MappingOutcome, UnitResult
from zhongtai.compare.segments import KeyRange
from zhongtai.db import create_engine
from zhongtai.migrate.mapping import Mapping
from zhongtai.migrate.mappings import all_mappings, load, locate


@dataclass(frozen=True)
class WalkJob:
    """One partition of one mapping; picklable for a spawned process."""

    module: str
    mapping: str
    units: tuple[str, ...]
    urls: dict[str, str]  # legacy and center URLs by database name
    options: object  # run.Options (imported lazily: run imports this module)
    after: int | None
    upto: int | None


@dataclass
class WalkResult:
    units: dict[str, tuple[UnitResult, list[tuple[KeyRange, list[Difference]]], list[Difference]]]
    outcome: MappingOutcome


def partitions(lo: int | None, hi: int | None, parts: int) -> list[tuple[int | None, int | None]]:
    """``parts`` adjacent ``(after, upto]`` ranges over ``[lo, hi]``, open at both outer ends."""
    if lo is None or hi is None or parts <= 1:
        return [(None, None)]
    span = hi - lo + 1
    parts = max(1, min(parts, span))
    step = -(-span // parts)
    cuts = [lo - 1 + i * step for i in range(1, parts) if lo - 1 + i * step < hi]
    bounds = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def run_walk(job: WalkJob) -> WalkResult:
    """Pool entry point: walk one partition and hand back the partial results."""
    from zhongtai.compare.run import DataRun
    from zhongtai.compare.units import plan_units

    mapping = load(job.module, job.mapping)
    options = job.options
    units = [
        u
        for u in plan_units(
            [mapping],
            list(all_mappings().values()),
            money_tolerance=options.money_tolerance,
            float_tolerance=options.float_tolerance,
        )
        if u.name in job.units
    ]
    legacy = create_engine(job.urls["legacy"])
    centers = {mapping.center: create_engine(job.urls[mapping.center])}
    run = DataRun(legacy, centers, units, options)
    try:
        run.side(mapping)
        run.walk(mapping, after=job.after, upto=job.upto)
    finally:
        run.pool.shutdown(wait=True)
        legacy.dispose()
        for engine in centers.values():
            engine.dispose()
    parts = {
        u.name: (run.tallies[u.name].result, run.tallies[u.name].pending, run.tallies[u.name].other)
        for u in units
    }
    return WalkResult(parts, run.outcomes[mapping.name])


def run_parallel(
    urls: dict[str, str],
    mapping: Mapping,
    units: list[str],
    options,
    parts: list[tuple[int | None, int | None]],
) -> list[WalkResult]:
    """Every partition in its own spawned process (nothing crosses a fork)."""
    module, name = locate(mapping)
    jobs = [
        WalkJob(module, name, tuple(units), dict(urls), options, after, upto)
        for after, upto in parts
    ]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=ctx) as pool:
        return list(pool.map(run_walk, jobs))
