"""Reconciling two readings of a segment: only differences both agree on count (pure)."""

from __future__ import annotations

from zhongtai.compare.diff import CHANGED, DIFFERS, EXTRA, MISSING, TOLERATED, ColumnDiff
from zhongtai.compare.diff import Difference as D
from zhongtai.compare.tally import settled


def differs(key: int, legacy, platform, column: str = "remark") -> D:
    return D(DIFFERS, (key,), columns=(ColumnDiff(column, legacy, platform),))


def kinds(diffs) -> dict:
    return {d.key[0]: d.kind for d in diffs}


def test_a_difference_both_readings_agree_on_stays():
    old = [differs(1, "a", "b"), D(MISSING, (2,)), D(EXTRA, (3,))]
    new = [differs(1, "a", "b"), D(MISSING, (2,)), D(EXTRA, (3,))]
    assert kinds(settled(old, new)) == {1: DIFFERS, 2: MISSING, 3: EXTRA}


def test_in_flight_rows_are_changed_not_differences():
    old = [differs(1, "v1", "v0"), differs(2, "v2", "v1"), D(MISSING, (3,))]
    new = [
        differs(2, "v3", "v2"),  # a hot row: written again, the sync still one step behind
        differs(4, "x", "y"),  # written after its segment was first read
    ]
    out = settled(old, new)
    # 1: the sync landed; 3: the insert landed; 2 and 4: moved between the readings
    assert kinds(out) == {1: CHANGED, 2: CHANGED, 3: CHANGED, 4: CHANGED}
    assert next(d for d in out if d.key == (2,)).columns[0].legacy == "v3"  # the latest reading


def test_a_stuck_column_counts_even_when_another_moves():
    old = [
        D(DIFFERS, (1,), columns=(ColumnDiff("amount", 100, 90), ColumnDiff("remark", "a", "b")))
    ]
    new = [
        D(DIFFERS, (1,), columns=(ColumnDiff("amount", 100, 90), ColumnDiff("remark", "c", "b")))
    ]
    assert kinds(settled(old, new)) == {1: DIFFERS}


def test_a_kind_that_changes_between_readings_is_in_flight():
    old = [D(MISSING, (1,)), differs(2, 1, 2)]
    new = [differs(1, "a", "b"), D(TOLERATED, (2,), columns=(ColumnDiff("remark", 1, 2, True),))]
    assert kinds(settled(old, new)) == {1: CHANGED, 2: CHANGED}
