"""One data-parity run: center tables against their legacy sources, segment by segment.

For every unit (:mod:`zhongtai.compare.units`) both sides report segment checksums; equal
segments are done, unequal ones are drilled into and their rows handed to the diff engine.

* **Python path** (most mappings): the legacy source is walked in keyset chunks through the
  mapping's transform; each chunk is a segment. The platform checksum of chunk *i* runs in a
  thread while chunk *i+1* is read and transformed. ``workers`` > 1 walks key-range
  partitions in processes (:mod:`zhongtai.compare.workers`).
* **SQL path** (a target with a SQL form on a PostgreSQL/MariaDB legacy):
  :mod:`zhongtai.compare.bisect`.
* **Bucketed units** (no owner, or several writers): :mod:`zhongtai.compare.buckets`.

Differences are read again once at the end (after ``settle_seconds``; a ranged unit's segment,
a bucketed unit's buckets) and only those both readings agree on count
(:func:`~zhongtai.compare.tally.settled`): one that went away, whose values moved, or that only
the second reading shows is reported as ``changed`` — a row that changed during the comparison
(legacy written, sync not yet applied), not a real difference.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from zhongtai.compare.bisect import compare_sql_unit
from zhongtai.compare.buckets import BucketedUnits
from zhongtai.compare.diff import Difference, count_by_kind, diff_rows
from zhongtai.compare.legacy_side import Chunk, LegacySide
from zhongtai.compare.model import DataParity, MappingOutcome, UnitResult
from zhongtai.compare.platform_side import PlatformSide
from zhongtai.compare.rowhash import checksum
from zhongtai.compare.segments import KeyRange
from zhongtai.compare.tally import Events, Options, Tally, project, settled
from zhongtai.compare.units import Unit, plan_units
from zhongtai.migrate.mapping import Mapping
from zhongtai.migrate.sqlforms import SqlForm

logger = logging.getLogger(__name__)
__all__ = ["DataRun", "Events", "Options", "compare_engines"]


class DataRun:
    """One comparison over open engines (see :func:`zhongtai.compare.data.compare_data`)."""

    def __init__(
        self,
        legacy: Engine,
        centers: dict[str, Engine],
        units: Sequence[Unit],
        options: Options,
        events: Events | None = None,
        urls: dict[str, str] | None = None,
    ) -> None:
        self.legacy_engine, self.units, self.options = legacy, list(units), options
        self.urls = urls  # legacy + center URLs, for worker processes (options.workers > 1)
        self.events = events or (lambda kind, data: None)
        self.dialect = legacy.dialect.name
        self.moved: dict = {}  # rows born on the platform, by center table (compare.idmap)
        self.platform = {u.name: PlatformSide(centers[u.center], u, self.moved) for u in self.units}
        self.sides: dict[str, LegacySide] = {}
        self.shared: dict = {}  # groups and lookups built once for every mapping of the run
        self.tallies = {u.name: Tally(u, options) for u in self.units}
        self.outcomes: dict[str, MappingOutcome] = {}
        self.buckets = BucketedUnits(self)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="zt-compare")

    # -- shared helpers --------------------------------------------------------------------------

    def side(self, mapping: Mapping) -> LegacySide:
        """The legacy side of ``mapping`` (one per run, sharing groups and lookups)."""
        if mapping.name not in self.sides:
            self.sides[mapping.name] = LegacySide(self.legacy_engine, mapping, self.shared)
            self.outcomes[mapping.name] = MappingOutcome(mapping.name, mapping.center)
        return self.sides[mapping.name]

    def quarantine(self, mapping: str, chunk: Chunk) -> None:
        """Count a chunk's rows read and quarantined for the mapping's outcome."""
        outcome = self.outcomes[mapping]
        outcome.rows_read += chunk.read
        for reason, n in chunk.quarantined.items():
            outcome.quarantined[reason] = outcome.quarantined.get(reason, 0) + n
        for reason, text in chunk.examples.items():
            outcome.examples.setdefault(reason, text)

    def diff_range(self, unit: Unit, rng: KeyRange, prows=None) -> list[Difference]:
        """Read both sides of one segment of a ranged unit and diff them."""
        legacy = self.side(unit.contributors[0].mapping)
        chunk = legacy.rows(unit.table.name, unit.shape, rng, unit.segment_column)
        if prows is None:
            prows = self.platform[unit.name].rows(rng)
        return diff_rows(
            project(unit, chunk.rows[unit.table.name]), project(unit, prows), unit.spec
        )

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> DataParity:
        """Compare every unit: SQL paths, walks, buckets, then the recheck."""
        parity = DataParity(started_at=datetime.now(UTC), options=asdict(self.options))
        try:
            for unit in self.units:
                form = unit.form_for(self.dialect)
                if form is not None:
                    compare_sql_unit(self, unit, form)
            self._walks()
            self.buckets.compare()
            self._recheck()
        finally:
            self.pool.shutdown(wait=True)
        parity.units = [self.tallies[u.name].finish() for u in self.units]
        parity.mappings = list(self.outcomes.values())
        parity.finished_at = datetime.now(UTC)
        return parity

    # -- Python walks ----------------------------------------------------------------------------

    def _walks(self) -> None:
        mappings: list[Mapping] = []
        for unit in self.units:
            if unit.ranged and unit.form_for(self.dialect) is not None:
                continue
            for c in unit.contributors:
                if all(c.mapping is not m for m in mappings):
                    mappings.append(c.mapping)
        for mapping in mappings:
            ranged, bucketed = self._fed_by(mapping)
            if self.options.workers > 1 and self.urls and ranged and not bucketed:
                self._parallel_walk(mapping, ranged)
            else:
                self.walk(mapping)

    def _fed_by(self, mapping: Mapping) -> tuple[list[Unit], list[Unit]]:
        ranged, bucketed = [], []
        for unit in self.units:
            if not any(c.mapping is mapping for c in unit.contributors):
                continue
            if unit.ranged and unit.form_for(self.dialect) is None:
                ranged.append(unit)
            elif not unit.ranged:
                bucketed.append(unit)
        return ranged, bucketed

    def walk(self, mapping: Mapping, after: int | None = None, upto: int | None = None) -> None:
        """Walk ``mapping``'s source keys in ``(after, upto]`` for the units it feeds."""
        ranged, bucketed = self._fed_by(mapping)
        legacy = self.side(mapping)
        for unit in ranged:
            res = self.tallies[unit.name].result
            res.legacy_hash = "python"
            res.platform_hash = "sql" if self.platform[unit.name].in_db else "python"
            res.why_python = self.platform[unit.name].why_python
        shapes = {u.table.name: u.shape for u in ranged + bucketed}
        owners = {u.table.name: u.segment_column for u in ranged}
        started = time.perf_counter()
        pending = None
        chunks = legacy.walk(shapes, owners, self.options.chunk_size, after=after, upto=upto)
        for chunk in chunks:
            self.quarantine(mapping.name, chunk)
            futures = {
                u.name: self.pool.submit(self.platform[u.name].checksum, chunk.range)
                for u in ranged
            }
            sums = {u.name: checksum(chunk.texts[u.table.name]) for u in ranged}
            for unit in bucketed:
                self.buckets.add(unit, chunk.rows[unit.table.name], chunk.texts[unit.table.name])
            if pending is not None:
                self._settle(*pending)
            pending = (ranged, chunk, sums, futures)
            self.events("progress", {"mapping": mapping.name, "rows": chunk.read})
        if pending is not None:
            self._settle(*pending)
        spent = time.perf_counter() - started
        for unit in ranged + bucketed:
            self.tallies[unit.name].result.seconds += spent / max(1, len(ranged + bucketed))

    def _settle(
        self, ranged: list[Unit], chunk: Chunk, sums: dict, futures: dict[str, Future]
    ) -> None:
        for unit in ranged:
            pc, prows = futures[unit.name].result()
            lc = sums[unit.name]
            tally = self.tallies[unit.name]
            res = tally.result
            res.segments += 1
            res.legacy_rows += lc.count
            res.platform_rows += pc.count
            if lc == pc:
                continue
            res.mismatched_segments += 1
            if prows is None:
                prows = self.platform[unit.name].rows(chunk.range)
            diffs = diff_rows(
                project(unit, chunk.rows[unit.table.name]), project(unit, prows), unit.spec
            )
            tally.add(chunk.range, diffs, recheckable=True)
            self.events(
                "mismatch",
                {"unit": unit.name, "range": chunk.range.as_dict(), "differences": len(diffs)},
            )

    def _parallel_walk(self, mapping: Mapping, ranged: list[Unit]) -> None:
        """Walk key-range partitions of ``mapping`` in worker processes and merge them."""
        from zhongtai.compare import workers

        started = time.perf_counter()
        lo, hi, _ = self.side(mapping).bounds()
        parts = workers.partitions(lo, hi, self.options.workers)
        names = [u.name for u in ranged]
        for result in workers.run_parallel(self.urls, mapping, names, self.options, parts):
            for name, (part, pending, other) in result.units.items():
                self._merge(self.tallies[name], part, pending, other)
            self._merge_outcome(result.outcome)
        spent = time.perf_counter() - started
        for unit in ranged:
            self.tallies[unit.name].result.seconds += spent / len(ranged)
        self.events("progress", {"mapping": mapping.name, "parallel": len(parts)})

    def _merge(self, tally: Tally, part: UnitResult, pending, other) -> None:
        res = tally.result
        res.legacy_hash, res.platform_hash = part.legacy_hash, part.platform_hash
        res.why_python = part.why_python
        for attr in ("legacy_rows", "platform_rows", "segments", "mismatched_segments"):
            setattr(res, attr, getattr(res, attr) + getattr(part, attr))
        for kind, n in part.counts.items():
            res.counts[kind] += n
        res.notes.extend(part.notes)
        for rng, diffs in pending:
            if len(tally.pending) < self.options.max_rechecks:
                tally.pending.append((rng, diffs))
            else:
                tally.other.extend(diffs[: self.options.sample])
        tally.other.extend(other)

    def _merge_outcome(self, part: MappingOutcome) -> None:
        mine = self.outcomes[part.name]
        mine.rows_read += part.rows_read
        for reason, n in part.quarantined.items():
            mine.quarantined[reason] = mine.quarantined.get(reason, 0) + n
        for reason, text in part.examples.items():
            mine.examples.setdefault(reason, text)

    # -- recheck ---------------------------------------------------------------------------------

    def _recheck(self) -> None:
        todo = {name: t.pending for name, t in self.tallies.items() if t.pending}
        buckets = self.buckets.to_recheck() if self.options.recheck else {}
        if todo or buckets:
            ranges = {n: [r.as_dict() for r, _ in p] for n, p in todo.items()}
            ranges.update({n: [{"buckets": sorted(b)}] for n, b in buckets.items()})
            self.events("recheck", {"units": ranges})
            if self.options.settle_seconds > 0:
                time.sleep(self.options.settle_seconds)
        for unit in self.units:
            tally = self.tallies[unit.name]
            if not tally.pending:
                continue
            started = time.perf_counter()
            fresh = []
            for rng, old in tally.pending:
                new = settled(old, self.diff_range(unit, rng))
                for kind, n in count_by_kind(old).items():
                    tally.result.counts[kind] -= n
                for kind, n in count_by_kind(new).items():
                    tally.result.counts[kind] += n
                fresh.append((rng, new))
                tally.result.rechecked_segments += 1
            tally.pending = fresh
            tally.result.seconds += time.perf_counter() - started
        self.buckets.finish(buckets)


def compare_engines(
    legacy: Engine,
    centers: dict[str, Engine],
    selected: Sequence[Mapping],
    *,
    registry: Sequence[Mapping] | None = None,
    forms: dict[tuple[str, str], SqlForm] | None = None,
    options: Options | None = None,
    events: Events | None = None,
) -> DataParity:
    """Compare the ``selected`` mappings' tables over already-open engines."""
    options = options or Options()
    options.check()
    if registry is None:
        from zhongtai.migrate.mappings import all_mappings

        registry = list(all_mappings().values())
    units = plan_units(
        selected,
        registry,
        money_tolerance=options.money_tolerance,
        float_tolerance=options.float_tolerance,
        forms=forms,
    )
    return DataRun(legacy, centers, units, options, events).run()
