"""Bucketed units: tables several mappings write, or without an owner column.

Rows are spread over hash buckets of their key (:func:`zhongtai.compare.sqlhash.key_bucket`,
the same function in SQL and Python). While the legacy walks run, each mapped row's hash is
added to its bucket; then the platform sums its buckets (one grouped query, or one streamed
pass), mismatched buckets are read again on both sides and diffed. A key emitted alike by
several source rows counts once (upserts make it one row); the same key with other content
is counted again, so its bucket is looked at and the diff reports the duplicate.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from zhongtai.compare.diff import Difference, diff_rows
from zhongtai.compare.rowhash import text_hash
from zhongtai.compare.segments import Checksum, KeyRange
from zhongtai.compare.sqlhash import key_bucket
from zhongtai.compare.tally import project, settled
from zhongtai.compare.units import Unit
from zhongtai.migrate.mapping import Mapping

if TYPE_CHECKING:
    from zhongtai.compare.run import DataRun


class BucketedUnits:
    """The bucketed units of one run: legacy sums, then platform sums, then row diffs."""

    def __init__(self, run: DataRun) -> None:
        self.run = run
        self.units = [u for u in run.units if not u.ranged]
        self.counts: dict[str, int] = {}
        self.sums: dict[str, dict[int, Checksum]] = {u.name: {} for u in self.units}
        self.seen: dict[str, dict[int, int]] = {}  # hash(key) → row hash, per unit
        self.wanted: dict[str, set[int]] = {}  # mismatched buckets per unit
        self.found: dict[str, list[Difference]] = {}  # their differences, first pass

    def count(self, unit: Unit) -> int:
        """Buckets of ``unit``: about a thousand legacy rows each, 16 to 4096."""
        if self.run.options.buckets:
            return self.run.options.buckets
        if unit.name not in self.counts:
            estimate = sum(self.run.side(c.mapping).bounds()[2] for c in unit.contributors)
            self.counts[unit.name] = max(16, min(4096, estimate // 1000))
        return self.counts[unit.name]

    def add(self, unit: Unit, rows: list[dict], texts: list[str]) -> None:
        """Add a walk chunk's mapped rows of ``unit`` to the legacy bucket sums."""
        sums = self.sums[unit.name]
        seen = self.seen.setdefault(unit.name, {})
        buckets = self.count(unit)
        shape = unit.shape
        for row, text in zip(rows, texts, strict=True):
            key = shape.key_text(row)
            digest = text_hash(text)
            earlier = seen.get(hash(key))
            if earlier == digest:
                continue  # emitted alike by another source row: one row on the platform
            if earlier is None:
                seen[hash(key)] = digest
            b = key_bucket(key, buckets)
            sums[b] = sums.get(b, Checksum()) + Checksum(1, digest)

    def compare(self) -> None:
        """Platform sums against the legacy sums; diff the rows of mismatched buckets."""
        for unit in self.units:
            started = time.perf_counter()
            plat = self.run.platform[unit.name]
            res = self.run.tallies[unit.name].result
            res.legacy_hash = "python"
            res.platform_hash = "sql" if plat.in_db and plat.key_why_python is None else "python"
            res.why_python = plat.why_python or plat.key_why_python
            buckets = self.count(unit)
            mine = self.sums[unit.name]
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
                self.wanted[unit.name] = bad
            res.seconds += time.perf_counter() - started
        self.found = self.diffs(self.wanted) if self.wanted else {}

    def diffs(self, wanted: dict[str, set[int]]) -> dict[str, list[Difference]]:
        """The differences in the ``wanted`` buckets of each unit (one legacy walk each)."""
        run = self.run
        units = [u for u in self.units if u.name in wanted]
        collected: dict[str, list[dict]] = {u.name: [] for u in units}
        mappings: list[Mapping] = []
        for unit in units:
            for c in unit.contributors:
                if all(c.mapping is not m for m in mappings):
                    mappings.append(c.mapping)
        for mapping in mappings:
            mine = [u for u in units if any(c.mapping is mapping for c in u.contributors)]
            shapes = {u.table.name: u.shape for u in mine}
            for chunk in run.side(mapping).walk(shapes, {}, run.options.chunk_size):
                for unit in mine:
                    buckets, keep = self.count(unit), wanted[unit.name]
                    collected[unit.name].extend(
                        v
                        for v in chunk.rows[unit.table.name]
                        if key_bucket(unit.shape.key_text(v), buckets) in keep
                    )
        found = {}
        for unit in units:
            prows = run.platform[unit.name].bucket_rows(self.count(unit), wanted[unit.name])
            mine = list(dict.fromkeys(project(unit, collected[unit.name])))  # alike: one row
            found[unit.name] = diff_rows(mine, project(unit, prows), unit.spec)
        return found

    def to_recheck(self) -> dict[str, set[int]]:
        """Mismatched buckets whose differences should be read again."""
        return {n: self.wanted[n] for n, d in self.found.items() if d}

    def finish(self, rechecked: dict[str, set[int]]) -> None:
        """Read ``rechecked`` buckets again and hand every unit's differences to its tally."""
        again = self.diffs(rechecked) if rechecked else {}
        for name, old in self.found.items():
            diffs = old
            if name in again:
                diffs = settled(old, again[name])
                self.run.tallies[name].result.rechecked_segments += len(rechecked[name])
            self.run.tallies[name].add(KeyRange(None, None), diffs, recheckable=False)
