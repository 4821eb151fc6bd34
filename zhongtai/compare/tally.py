"""Run options and the running result of one unit (pure bookkeeping, no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from zhongtai.compare.diff import CHANGED, DIFFERS, KINDS, TOLERATED, Difference, count_by_kind
from zhongtai.compare.model import UnitResult
from zhongtai.compare.segments import KeyRange
from zhongtai.compare.units import FLOAT_TOLERANCE, MONEY_TOLERANCE_FEN, Unit
from zhongtai.errors import ConfigError

Events = Callable[[str, dict], None]


@dataclass(frozen=True)
class Options:
    """How a data parity run segments, bisects, tolerates and rechecks."""

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
        """ConfigError naming the first option out of range."""
        for name in ("chunk_size", "segment_rows", "download_rows", "sample", "workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.bisect_factor < 2:
            raise ConfigError(f"bisect factor must be at least 2, got {self.bisect_factor}")
        if self.money_tolerance < 0 or self.float_tolerance < 0:
            raise ConfigError("tolerances must not be negative")


class Tally:
    """One unit's running result; keeps what a recheck and the report need."""

    def __init__(self, unit: Unit, options: Options) -> None:
        self.unit, self.options = unit, options
        self.result = UnitResult(
            unit.name, "ranged" if unit.ranged else "bucketed", list(unit.mappings)
        )
        self.pending: list[tuple[KeyRange, list[Difference]]] = []
        self.other: list[Difference] = []

    def add(self, rng: KeyRange, diffs: list[Difference], *, recheckable: bool) -> None:
        """Count a segment's differences; keep them for the recheck or the sample."""
        for kind, n in count_by_kind(diffs).items():
            self.result.counts[kind] += n
        if not diffs:
            return
        if recheckable and self.options.recheck and len(self.pending) < self.options.max_rechecks:
            self.pending.append((rng, diffs))
        else:
            self.other.extend(diffs[: self.options.sample * len(KINDS)])

    def finish(self) -> UnitResult:
        """The unit's result with a sample of up to ``sample`` differences per kind."""
        per_kind: Counter = Counter()
        sample = []
        for d in [d for _, ds in self.pending for d in ds] + self.other:
            if per_kind[d.kind] < self.options.sample:
                per_kind[d.kind] += 1
                sample.append(d)
        self.result.sample = sample
        return self.result


def project(unit: Unit, rows) -> list[tuple]:
    """Raw rows of ``unit`` as the normalised tuples the diff engine takes."""
    return [unit.shape.project(r) for r in rows]


def _as_changed(d: Difference) -> Difference:
    return Difference(CHANGED, d.key, columns=d.columns, side=d.side, copies=d.copies, row=d.row)


def _stable(old: Difference, new: Difference) -> bool:
    """Both readings show the same difference: same kind and, for a differing row, at least
    one column differing with the very same values on both sides both times."""
    if old.kind != new.kind:
        return False
    if new.kind not in (DIFFERS, TOLERATED):
        return True
    before = {(c.column, repr(c.legacy), repr(c.platform)) for c in old.columns}
    return any((c.column, repr(c.legacy), repr(c.platform)) in before for c in new.columns)


def settled(old: list[Difference], new: list[Difference]) -> list[Difference]:
    """The differences of a segment read twice, ``settle`` apart, reconciled (pure).

    A difference counts only when both readings agree on it (:func:`_stable`). Everything else
    moved while the comparison ran and is reported as ``changed``: a difference that went away
    (the sync landed), one whose values moved (a hot row, the sync still behind), and one the
    second reading alone shows (a row written after its segment was first read).
    """
    before = {d.key: d for d in old}
    now = {d.key for d in new}
    out = [d if d.key in before and _stable(before[d.key], d) else _as_changed(d) for d in new]
    out.extend(_as_changed(d) for d in old if d.key not in now)
    return out
