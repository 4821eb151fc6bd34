"""The SQL path of a ranged unit: both checksums in the databases, bisection on a mismatch.

Used when the unit's mapping has a SQL form on the legacy engine (and for same-shape table
pairs). Segments of ``segment_rows`` rows are planned over the key space both sides cover;
each side's checksum runs concurrently; a mismatched segment larger than ``download_rows`` is
narrowed into ``bisect_factor`` sub-segments, otherwise its rows are downloaded and diffed
(data-diff's hashdiff).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

from zhongtai.compare.legacy_side import LegacySide
from zhongtai.compare.rowhash import checksum
from zhongtai.compare.segments import Checksum, KeyRange, Segment, plan_ranges
from zhongtai.compare.units import Unit
from zhongtai.migrate.sqlforms import SqlForm
from zhongtai.platform.ids import PLATFORM_ID_BASE

if TYPE_CHECKING:
    from zhongtai.compare.run import DataRun


def compare_sql_unit(run: DataRun, unit: Unit, form: SqlForm) -> None:
    """Compare one ranged unit through its SQL form; results go to the unit's tally."""
    started = time.perf_counter()
    tally = run.tallies[unit.name]
    res = tally.result
    plat = run.platform[unit.name]
    legacy = run.side(unit.contributors[0].mapping)
    res.legacy_hash, res.platform_hash = "sql+python", "sql" if plat.in_db else "python"
    res.why_python = plat.why_python
    # Platform-born rows not in legacy yet have ids from PLATFORM_ID_BASE up: planning equal
    # key widths up to there would put every legacy row in the first segment, so they get an
    # open tail segment of their own.
    bounds = [legacy.bounds(), plat.bounds(below=PLATFORM_ID_BASE)]
    lows = [b[0] for b in bounds if b[0] is not None]
    highs = [b[1] for b in bounds if b[1] is not None]
    ranges: list[KeyRange] = []
    if lows:
        rows = max(b[2] for b in bounds)
        ranges = plan_ranges(min(lows), max(highs), rows, run.options.segment_rows)
    top = max(highs) if highs else None
    if plat.any_above(top):
        ranges.append(KeyRange(top, None))
    queue = [Segment(unit.name, r) for r in ranges]
    while queue:
        seg = queue.pop(0)
        lfut = run.pool.submit(form_checksum, run, legacy, unit, form, seg.range)
        pc, prows = plat.checksum(seg.range)
        lc = lfut.result()
        seg = seg.with_checksums(lc, pc)
        run.events("segment", {"unit": unit.name, "segment": seg.as_dict()})
        if seg.depth == 0:
            res.segments += 1
            res.legacy_rows += lc.count
            res.platform_rows += pc.count
        if seg.matches:
            continue
        if seg.depth == 0:
            res.mismatched_segments += 1
        if seg.rows > run.options.download_rows and (seg.range.width or 0) > 1:
            queue[0:0] = seg.split(run.options.bisect_factor)
            continue
        diffs = run.diff_range(unit, seg.range, prows)
        if not diffs:
            res.notes.append(
                f"segment {seg.range.label()}: checksums differ but no row does "
                "(the SQL form and the transform disagree; see sqlforms.py)"
            )
        tally.add(seg.range, diffs, recheckable=True)
    res.seconds += time.perf_counter() - started


def form_checksum(
    run: DataRun, legacy: LegacySide, unit: Unit, form: SqlForm, rng: KeyRange
) -> Checksum:
    """The legacy checksum of one segment; the Python path if the form's SQL fails."""
    try:
        total, chunk = legacy.form_checksum(unit, form, rng)
    except sa.exc.DBAPIError as exc:
        # e.g. PostgreSQL refusing '2024-02-30': hash this segment in Python instead.
        first = str(exc.orig or exc).splitlines()[0][:200]
        run.tallies[unit.name].result.notes.append(
            f"SQL form failed on {rng.label()} ({first}); hashed in Python"
        )
        chunk = legacy.rows(unit.table.name, unit.shape, rng, unit.segment_column)
        total = checksum(chunk.texts[unit.table.name])
    run.quarantine(legacy.mapping.name, chunk)
    return total
