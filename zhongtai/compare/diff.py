"""The diff engine (pure): keyed rows of two sides in, classified differences out.

It knows rows, keys and columns, never tables or databases. The runner hands it the
normalised rows of one mismatched segment (usually a few thousand), and it classifies every
difference the way reviewers read them (DMS's MISSING_TARGET / RECORD_DIFF, data-diff's
exclusive rows, reladiff's duplicates):

``missing``     a key the legacy side has and the platform lacks (missing on the platform);
``extra``       a key only the platform has (extra on the platform);
``differs``     both have the key, and at least one column differs beyond its tolerance;
``tolerated``   both have the key and every differing column is within its declared
                tolerance (money in fen, floats, declared leaves of a JSON column such as
                the coordinates in an order's customer snapshot) — shown, not a failure;
``duplicate``   a key that occurs more than once on one side (the first copy is compared).

The runner adds ``changed`` for differences that went away when the rows were read again
(the row changed during the comparison). pandas does the column-level work: an outer merge
on the key, then one vectorised comparison per column.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MISSING = "missing"
EXTRA = "extra"
DIFFERS = "differs"
TOLERATED = "tolerated"
DUPLICATE = "duplicate"
CHANGED = "changed"
KINDS = (MISSING, EXTRA, DIFFERS, TOLERATED, DUPLICATE, CHANGED)
FAILING = frozenset({MISSING, EXTRA, DIFFERS, DUPLICATE})
LABELS = {
    MISSING: "missing on platform",
    EXTRA: "extra on platform",
    DIFFERS: "column differs",
    TOLERATED: "within tolerance",
    DUPLICATE: "duplicate key",
    CHANGED: "changed during the run",
}


class _Null:
    """Stands in for None inside DataFrames, where pandas would turn None into NaN."""

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()


@dataclass(frozen=True)
class ColumnDiff:
    """One differing column of a key present on both sides."""

    column: str
    legacy: Any
    platform: Any
    tolerated: bool = False

    def as_dict(self) -> dict:
        return {
            "column": self.column,
            "legacy": self.legacy,
            "platform": self.platform,
            "tolerated": self.tolerated,
        }


@dataclass(frozen=True)
class Difference:
    """One classified difference for one key."""

    kind: str
    key: tuple
    columns: tuple[ColumnDiff, ...] = ()
    side: str | None = None  # duplicate: which side holds the copies
    copies: int = 1
    row: Mapping[str, Any] | None = None  # the row of the side that has it (missing/extra)

    @property
    def failing(self) -> bool:
        return self.kind in FAILING

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "key": list(self.key)}
        if self.columns:
            out["columns"] = [c.as_dict() for c in self.columns]
        if self.side:
            out["side"] = self.side
            out["copies"] = self.copies
        if self.row is not None:
            out["row"] = dict(self.row)
        return out


@dataclass(frozen=True)
class Spec:
    """What the engine compares: column names (row order), key columns, tolerances."""

    columns: tuple[str, ...]
    key: tuple[str, ...]
    tolerance: Mapping[str, float] = field(default_factory=dict)


def _frame(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    data = [[NULL if v is None else v for v in row] for row in rows]
    return pd.DataFrame.from_records(data, columns=list(columns)).astype(object)


def _plain(value: Any) -> Any:
    if value is NULL or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _within(a: Any, b: Any, tolerance: float | None) -> bool:
    if tolerance is None or not (_is_number(a) and _is_number(b)):
        return False
    return abs(a - b) <= tolerance + 1e-9


def _leaves_within(a: Any, b: Any, tolerances: Mapping[str, float]) -> bool:
    """Whether two JSON objects (dicts or their text) differ only in the named top-level
    leaves, each within its tolerance (a JSON column's declared ``column.key`` tolerances)."""
    try:
        x = json.loads(a) if isinstance(a, str) else a
        y = json.loads(b) if isinstance(b, str) else b
    except ValueError:
        return False
    if not (isinstance(x, dict) and isinstance(y, dict)) or x.keys() != y.keys():
        return False
    return all(x[k] == y[k] or _within(x[k], y[k], tolerances.get(k)) for k in x)


def _duplicates(frame: pd.DataFrame, key: list[str], side: str) -> list[Difference]:
    dup = frame[frame.duplicated(key, keep=False)]
    if dup.empty:
        return []
    counts = dup.groupby(key, sort=True, dropna=False).size()
    out = []
    for k, n in counts.items():
        k = k if isinstance(k, tuple) else (k,)
        out.append(Difference(DUPLICATE, tuple(_plain(v) for v in k), side=side, copies=int(n)))
    return out


def diff_rows(
    legacy: Sequence[Sequence[Any]], platform: Sequence[Sequence[Any]], spec: Spec
) -> list[Difference]:
    """Every difference between two sets of keyed rows, in key order within each kind."""
    if not legacy and not platform:
        return []
    key = list(spec.key)
    values = [c for c in spec.columns if c not in spec.key]
    left, right = _frame(legacy, spec.columns), _frame(platform, spec.columns)
    out = _duplicates(left, key, "legacy") + _duplicates(right, key, "platform")
    left = left.drop_duplicates(key, keep="first")
    right = right.drop_duplicates(key, keep="first")
    merged = left.merge(
        right, on=key, how="outer", suffixes=("@l", "@p"), indicator=True, sort=True
    )
    keys = list(zip(*(merged[k].tolist() for k in key), strict=True))
    where = merged["_merge"].to_numpy()
    for i in np.flatnonzero(where == "left_only"):
        row = {c: _plain(merged[c if c in key else f"{c}@l"].iat[i]) for c in spec.columns}
        out.append(Difference(MISSING, tuple(_plain(v) for v in keys[i]), row=row))
    for i in np.flatnonzero(where == "right_only"):
        row = {c: _plain(merged[c if c in key else f"{c}@p"].iat[i]) for c in spec.columns}
        out.append(Difference(EXTRA, tuple(_plain(v) for v in keys[i]), row=row))
    both = np.flatnonzero(where == "both")
    if len(both) and values:
        out.extend(_column_diffs(merged, both, keys, values, spec))
    return out


def _column_diffs(merged, both, keys, values, spec) -> list[Difference]:
    differing: dict[int, list[ColumnDiff]] = {}
    for col in values:
        a = merged[f"{col}@l"].to_numpy()[both]
        b = merged[f"{col}@p"].to_numpy()[both]
        unequal = a != b  # elementwise, with Python equality on object arrays
        tolerance = spec.tolerance.get(col)
        prefix = f"{col}."
        leaves = {k[len(prefix) :]: t for k, t in spec.tolerance.items() if k.startswith(prefix)}
        for j in np.flatnonzero(unequal):
            x, y = _plain(a[j]), _plain(b[j])
            ok = _within(x, y, tolerance) or bool(leaves) and _leaves_within(x, y, leaves)
            differing.setdefault(int(both[j]), []).append(ColumnDiff(col, x, y, ok))
    out = []
    for i in sorted(differing):
        cols = tuple(differing[i])
        kind = TOLERATED if all(c.tolerated for c in cols) else DIFFERS
        out.append(Difference(kind, tuple(_plain(v) for v in keys[i]), columns=cols))
    return out


def count_by_kind(differences: Sequence[Difference]) -> dict[str, int]:
    """How many differences of each kind (every kind present, zero included)."""
    counts = dict.fromkeys(KINDS, 0)
    for d in differences:
        counts[d.kind] += 1
    return counts
