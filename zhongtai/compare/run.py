"""``zhongtai compare data``: data parity of center tables against their legacy sources.

For every unit (:mod:`zhongtai.compare.units`) both sides report segment checksums; equal
segments are done, unequal ones are drilled into and their rows handed to the diff engine.

* **Python path** (most mappings): the legacy source is walked in keyset chunks through the
  mapping's transform; each chunk is a segment. The platform checksum of chunk *i* runs in a
  thread while chunk *i+1* is read and transformed.
* **SQL path** (a target with a SQL form, on PostgreSQL/MariaDB legacy): both checksums run in
  the databases, concurrently; segments of ``segment_rows`` rows are bisected on a mismatch
  until they are small enough to download (data-diff's hashdiff).
* **Bucketed units** sum row hashes per key-hash bucket on both sides, then read again only
  the rows of mismatched buckets.

Differences are read again once at the end (after ``settle_seconds``; a ranged unit's segment,
a bucketed unit's buckets): those that went away are reported as ``changed`` — a row that
changed during the comparison (legacy written, sync not yet applied), not a real difference.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhongtai.compare.diff import CHANGED, KINDS, Difference, count_by_kind, diff_rows
from zhongtai.compare.legacy_side import Chunk, LegacySide
from zhongtai.compare.model import DataParity, MappingOutcome, UnitResult
from zhongtai.compare.platform_side import PlatformSide
from zhongtai.compare.rowhash import checksum, text_hash
from zhongtai.compare.segments import Checksum, KeyRange, Segment, plan_ranges
from zhongtai.compare.sqlhash import key_bucket
from zhongtai.compare.units import FLOAT_TOLERANCE, MONEY_TOLERANCE_FEN, Unit, plan_units
from zhongtai.migrate.mapping import Mapping
from zhongtai.migrate.sqlforms import SqlForm

logger = logging.getLogger(__name__)
Events = Callable[[str, dict], None]


@dataclass(frozen=True)
class Options:
    chunk_size: int = 2_000  # legacy source rows per Python-path segment
    segment_rows: int = 50_000  # rows per SQL-path segment before bisection
    bisect_factor: int = 8
    download_rows: int = 4_000  # a SQL-path segment this small is compared row by row
    buckets: int | None = None  # bucketed units; default from the row estimate
    money_tolerance: float = MONEY_TOLERANCE_FEN
    float_tolerance: float = FLOAT_TOLERANCE
    recheck: bool = True
    settle_seconds: float = 0.0
    max_rechecks: int = 200  # segments read again per unit at most
    workers: int = 1  # processes walking key-range partitions of a mapping (Python path)
    sample: int = 20  # differences kept per kind and unit for the report

    def check(self) -> None:
        from zhongtai.errors import ConfigError

        for name in ("chunk_size", "segment_rows", "download_rows", "sample", "workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.bisect_factor < 2:
            raise ConfigError(f"bisect factor must be at least 2, got {self.bisect_factor}")
        if self.money_tolerance < 0 or self.float_tolerance < 0:
            raise ConfigError("tolerances must not be negative")


class _Tally:
    """One unit's running result; keeps what a recheck and the report need."""

    def __init__(self, unit: Unit, options: Options) -> None:
        self.unit, self.options = unit, options
        self.result = UnitResult(
            unit.name, "ranged" if unit.ranged else "bucketed", list(unit.mappings)
        )
        self.pending: list[tuple[KeyRange, list[Difference]]] = []
        self.other: list[Difference] = []

    def add(self, rng: KeyRange, diffs: list[Difference], *, recheckable: bool) -> None:
        for kind, n in count_by_kind(diffs).items():
            self.result.counts[kind] += n
        if not diffs:
            return
        if recheckable and self.options.recheck and len(self.pending) < self.options.max_rechecks:
            self.pending.append((rng, diffs))
        else:
            self.other.extend(diffs[: self.options.sample * len(KINDS)])

    def finish(self) -> UnitResult:
        per_kind: Counter = Counter()
        sample = []
        for d in [d for _, ds in self.pending for d in ds] + self.other:
            if per_kind[d.kind] < self.options.sample:
                per_kind[d.kind] += 1
                sample.append(d)
        self.result.sample = sample
        return self.result


def _project(unit: Unit, rows) -> list[tuple]:
    return [unit.shape.project(r) for r in rows]


def _unchanged_away(old: list[Difference], new: list[Difference]) -> list[Difference]:
    still = {d.key for d in new}
    return [
        Difference(CHANGED, d.key, columns=d.columns, side=d.side, copies=d.copies, row=d.row)
        for d in old
        if d.key not in still
    ]


class DataRun:
    """One comparison over open engines (see :func:`compare_data` for the settings entry)."""

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
        self.platform = {u.name: PlatformSide(centers[u.center], u) for u in self.units}
        self.sides: dict[str, LegacySide] = {}
        self.shared: dict = {}  # groups and lookups built once for every mapping of the run
        self.tallies = {u.name: _Tally(u, options) for u in self.units}
        self.outcomes: dict[str, MappingOutcome] = {}
        self.bucket_counts: dict[str, int] = {}
        self.bucket_seen: dict[str, dict[int, int]] = {}  # hash(key) → row hash, per unit
        self.bucket_wanted: dict[str, set[int]] = {}  # mismatched buckets per unit
        self.bucket_found: dict[str, list[Difference]] = {}  # their differences, first pass
        self.legacy_buckets: dict[str, dict[int, Checksum]] = {u.name: {} for u in self.units}
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="zt-compare")

    # -- helpers -------------------------------------------------------------------------------

    def side(self, mapping: Mapping) -> LegacySide:
        if mapping.name not in self.sides:
            self.sides[mapping.name] = LegacySide(self.legacy_engine, mapping, self.shared)
            self.outcomes[mapping.name] = MappingOutcome(mapping.name, mapping.center)
        return self.sides[mapping.name]

    def _quarantine(self, mapping: str, chunk: Chunk) -> None:
        outcome = self.outcomes[mapping]
        outcome.rows_read += chunk.read
        for reason, n in chunk.quarantined.items():
            outcome.quarantined[reason] = outcome.quarantined.get(reason, 0) + n
        for reason, text in chunk.examples.items():
            outcome.examples.setdefault(reason, text)

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> DataParity:
        started = datetime.now(UTC)
        parity = DataParity(started_at=started, options=asdict(self.options))
        try:
            for unit in self.units:
                form = unit.form_for(self.dialect)
                if form is not None:
                    self._sql_unit(unit, form)
            self._walks()
            self._buckets()
            self._recheck()
        finally:
            self.pool.shutdown(wait=True)
        parity.units = [self.tallies[u.name].finish() for u in self.units]
        parity.mappings = list(self.outcomes.values())
        parity.finished_at = datetime.now(UTC)
        return parity

    def _time(self, unit: Unit, started: float) -> None:
        self.tallies[unit.name].result.seconds += time.perf_counter() - started

    # -- SQL path --------------------------------------------------------------------------------

    def _sql_unit(self, unit: Unit, form: SqlForm) -> None:
        started = time.perf_counter()
        tally = self.tallies[unit.name]
        res = tally.result
        plat = self.platform[unit.name]
        mapping = unit.contributors[0].mapping
        legacy = self.side(mapping)
        res.legacy_hash, res.platform_hash = "sql+python", "sql" if plat.in_db else "python"
        res.why_python = plat.why_python
        bounds = [legacy.bounds(), plat.bounds()]
        lows = [b[0] for b in bounds if b[0] is not None]
        highs = [b[1] for b in bounds if b[1] is not None]
        if not lows:
            self._time(unit, started)
            return
        ranges = plan_ranges(
            min(lows), max(highs), max(b[2] for b in bounds), self.options.segment_rows
        )
        queue = [Segment(unit.name, r) for r in ranges]
        while queue:
            seg = queue.pop(0)
            lfut = self.pool.submit(self._form_checksum, legacy, unit, form, seg.range)
            pc, prows = plat.checksum(seg.range)
            lc = lfut.result()
            seg = seg.with_checksums(lc, pc)
            self.events("segment", {"unit": unit.name, "segment": seg.as_dict()})
            if seg.depth == 0:
                res.segments += 1
                res.legacy_rows += lc.count
                res.platform_rows += pc.count
            if seg.matches:
                continue
            if seg.depth == 0:
                res.mismatched_segments += 1
            width = seg.range.width or 0
            if seg.rows > self.options.download_rows and width > 1:
                queue[0:0] = seg.split(self.options.bisect_factor)
                continue
            diffs = self._diff_range(unit, seg.range, prows)
            if not diffs:
                res.notes.append(
                    f"segment {seg.range.label()}: checksums differ but no row does "
                    "(the SQL form and the transform disagree; see sqlforms.py)"
                )
            tally.add(seg.range, diffs, recheckable=True)
        self._time(unit, started)

    def _form_checksum(
        self, legacy: LegacySide, unit: Unit, form: SqlForm, rng: KeyRange
    ) -> Checksum:
        try:
            total, chunk = legacy.form_checksum(unit, form, rng)
        except sa.exc.DBAPIError as exc:
            # e.g. PostgreSQL refusing '2024-02-30': hash this segment in Python instead.
            first = str(exc.orig or exc).splitlines()[0][:200]
            self.tallies[unit.name].result.notes.append(
                f"SQL form failed on {rng.label()} ({first}); hashed in Python"
            )
            chunk = legacy.rows(unit.table.name, unit.shape, rng, unit.segment_column)
            total = checksum(chunk.texts[unit.table.name])
        self._quarantine(legacy.mapping.name, chunk)
        return total

    def _diff_range(self, unit: Unit, rng: KeyRange, prows=None) -> list[Difference]:
        legacy = self.side(unit.contributors[0].mapping)
        chunk = legacy.rows(unit.table.name, unit.shape, rng, unit.segment_column)
        if prows is None:
            prows = self.platform[unit.name].rows(rng)
        return diff_rows(
            _project(unit, chunk.rows[unit.table.name]), _project(unit, prows), unit.spec
        )

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
                self._walk(mapping)

    def _parallel_walk(self, mapping: Mapping, ranged: list[Unit]) -> None:
        """Walk key-range partitions of ``mapping`` in worker processes and merge them."""
        from zhongtai.compare import workers

        started = time.perf_counter()
        lo, hi, _ = self.side(mapping).bounds()
        parts = workers.partitions(lo, hi, self.options.workers)
        results = workers.run_parallel(
            self.urls, mapping, [u.name for u in ranged], self.options, parts
        )
        for result in results:
            for name, (part, pending, other) in result.units.items():
                self._merge(self.tallies[name], part, pending, other)
            self._merge_outcome(result.outcome)
        spent = time.perf_counter() - started
        for unit in ranged:
            self.tallies[unit.name].result.seconds += spent / len(ranged)
        self.events("progress", {"mapping": mapping.name, "parallel": len(parts)})

    def _merge(self, tally: _Tally, part: UnitResult, pending, other) -> None:
        res = tally.result
        res.legacy_hash, res.platform_hash, res.why_python = (
            part.legacy_hash,
            part.platform_hash,
            part.why_python,
        )
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

    def _fed_by(self, mapping: Mapping) -> tuple[list[Unit], list[Unit]]:
        ranged, bucketed = [], []
        for unit in self.units:
            mine = any(c.mapping is mapping for c in unit.contributors)
            if not mine:
                continue
            if unit.ranged and unit.form_for(self.dialect) is None:
                ranged.append(unit)
            elif not unit.ranged:
                bucketed.append(unit)
        return ranged, bucketed

    def _buckets_of(self, unit: Unit) -> int:
        if self.options.buckets:
            return self.options.buckets
        if unit.name not in self.bucket_counts:
            estimate = sum(self.side(c.mapping).bounds()[2] for c in unit.contributors)
            self.bucket_counts[unit.name] = max(16, min(4096, estimate // 1000))
        return self.bucket_counts[unit.name]

    def _walk(self, mapping: Mapping, after: int | None = None, upto: int | None = None) -> None:
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
            self._quarantine(mapping.name, chunk)
            futures = {
                u.name: self.pool.submit(self.platform[u.name].checksum, chunk.range)
                for u in ranged
            }
            sums = {u.name: checksum(chunk.texts[u.table.name]) for u in ranged}
            for unit in bucketed:
                self._add_buckets(unit, chunk.rows[unit.table.name], chunk.texts[unit.table.name])
            if pending is not None:
                self._settle(*pending)
            pending = (ranged, chunk, sums, futures)
            self.events("progress", {"mapping": mapping.name, "rows": chunk.read})
        if pending is not None:
            self._settle(*pending)
        spent = time.perf_counter() - started
        for unit in ranged + bucketed:
            self.tallies[unit.name].result.seconds += spent / max(1, len(ranged + bucketed))

    def _add_buckets(self, unit: Unit, rows: list[dict], texts: list[str]) -> None:
        sums = self.legacy_buckets[unit.name]
        seen = self.bucket_seen.setdefault(unit.name, {})
        buckets = self._buckets_of(unit)
        shape = unit.shape
        for row, text in zip(rows, texts, strict=True):
            key = shape.key_text(row)
            digest = text_hash(text)
            earlier = seen.get(hash(key))
            if earlier == digest:
                continue  # emitted alike by another source row: one row on the platform
            if earlier is None:
                seen[hash(key)] = digest
            # (Same key, other content: counted again, so the bucket gets read row by row.)
            b = key_bucket(key, buckets)
            sums[b] = sums.get(b, Checksum()) + Checksum(1, digest)

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
                _project(unit, chunk.rows[unit.table.name]), _project(unit, prows), unit.spec
            )
            tally.add(chunk.range, diffs, recheckable=True)
            self.events(
                "mismatch",
                {"unit": unit.name, "range": chunk.range.as_dict(), "differences": len(diffs)},
            )

    # -- bucketed units --------------------------------------------------------------------------

    def _buckets(self) -> None:
        wanted: dict[str, set[int]] = {}
        for unit in self.units:
            if unit.ranged:
                continue
            started = time.perf_counter()
            plat = self.platform[unit.name]
            res = self.tallies[unit.name].result
            res.legacy_hash = "python"
            res.platform_hash = "sql" if plat.in_db and plat.key_why_python is None else "python"
            res.why_python = plat.why_python or plat.key_why_python
            buckets = self._buckets_of(unit)
            mine = self.legacy_buckets[unit.name]
            theirs = plat.bucket_checksums(buckets)
            res.segments = buckets
            res.legacy_rows = sum(c.count for c in mine.values())
            res.platform_rows = sum(c.count for c in theirs.values())
            bad = {
                b
                for b in set(mine) | set(theirs)
                if mine.get(b, Checksum()) != theirs.get(b, Checksum())
            }
            res.mismatched_segments = len(bad)
            if bad:
                wanted[unit.name] = bad
            self._time(unit, started)
        self.bucket_wanted = wanted
        self.bucket_found = self._bucket_rows(wanted) if wanted else {}

    def _bucket_rows(self, wanted: dict[str, set[int]]) -> dict[str, list[Difference]]:
        """The differences in the ``wanted`` buckets of each unit (one legacy walk each)."""
        units = [u for u in self.units if u.name in wanted]
        collected: dict[str, list[tuple]] = {u.name: [] for u in units}
        mappings: list[Mapping] = []
        for unit in units:
            for c in unit.contributors:
                if all(c.mapping is not m for m in mappings):
                    mappings.append(c.mapping)
        for mapping in mappings:
            mine = [u for u in units if any(c.mapping is mapping for c in u.contributors)]
            shapes = {u.table.name: u.shape for u in mine}
            for chunk in self.side(mapping).walk(shapes, {}, self.options.chunk_size):
                for unit in mine:
                    buckets, keep = self._buckets_of(unit), wanted[unit.name]
                    collected[unit.name].extend(
                        v
                        for v in chunk.rows[unit.table.name]
                        if key_bucket(unit.shape.key_text(v), buckets) in keep
                    )
        found = {}
        for unit in units:
            prows = self.platform[unit.name].bucket_rows(self._buckets_of(unit), wanted[unit.name])
            # Alike re-emissions are one row.
            mine = list(dict.fromkeys(_project(unit, collected[unit.name])))
            found[unit.name] = diff_rows(mine, _project(unit, prows), unit.spec)
        return found

    # -- recheck ---------------------------------------------------------------------------------

    def _recheck(self) -> None:
        todo = {name: t.pending for name, t in self.tallies.items() if t.pending}
        buckets = {n: self.bucket_wanted[n] for n, d in self.bucket_found.items() if d}
        if not self.options.recheck:
            buckets = {}
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
                new = self._diff_range(unit, rng)
                went = _unchanged_away(old, new)
                for kind, n in count_by_kind(old).items():
                    tally.result.counts[kind] -= n
                for kind, n in count_by_kind(new + went).items():
                    tally.result.counts[kind] += n
                fresh.append((rng, went + new))
                tally.result.rechecked_segments += 1
            tally.pending = fresh
            self._time(unit, started)
        again = self._bucket_rows(buckets) if buckets else {}
        for name, old in self.bucket_found.items():
            diffs = old
            if name in again:
                diffs = _unchanged_away(old, again[name]) + again[name]
                self.tallies[name].result.rechecked_segments += len(buckets[name])
            self.tallies[name].add(KeyRange(None, None), diffs, recheckable=False)


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
