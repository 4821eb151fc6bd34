"""Segments and checksums: key ranges split and narrow into new values, sums wrap at 2^64."""

from __future__ import annotations

import pytest

from zhongtai.compare.segments import MOD, Checksum, KeyRange, Segment, plan_ranges


def test_ranges_are_half_open_and_open_ends_contain_everything_beyond():
    r = KeyRange(10, 20)
    assert not r.contains(10) and r.contains(11) and r.contains(20) and not r.contains(21)
    assert KeyRange(None, 5).contains(-(10**12)) and KeyRange(5, None).contains(10**15)
    with pytest.raises(ValueError, match="empty"):
        KeyRange(5, 5)


def test_split_covers_the_range_exactly_without_overlap():
    parts = KeyRange(0, 103).split(8)
    assert parts[0].after == 0 and parts[-1].upto == 103
    assert all(a.upto == b.after for a, b in zip(parts, parts[1:], strict=False))
    assert sum(p.width for p in parts) == 103
    assert KeyRange(0, 3).split(8) == [KeyRange(0, 1), KeyRange(1, 2), KeyRange(2, 3)]
    with pytest.raises(ValueError, match="open"):
        KeyRange(None, 3).split(2)


def test_plan_ranges_sizes_segments_by_rows():
    ranges = plan_ranges(1, 1000, 1000, 100)
    assert len(ranges) == 10 and ranges[0] == KeyRange(0, 100) and ranges[-1].upto == 1000
    assert plan_ranges(None, None, 0, 100) == []
    assert plan_ranges(7, 7, 1, 100) == [KeyRange(6, 7)]


def test_checksums_add_counts_and_wrap_sums():
    a, b = Checksum(2, MOD - 1), Checksum(3, 5)
    assert a + b == Checksum(5, 4)
    assert Checksum(1, 7) != Checksum(2, 7)  # a count difference alone is a mismatch
    assert Checksum(1, 255).as_dict() == {"count": 1, "sum": "00000000000000ff"}


def test_narrowing_returns_new_unchecked_segments_inside_the_parent():
    seg = Segment("order.orders", KeyRange(0, 64)).with_checksums(Checksum(64, 1), Checksum(63, 2))
    assert seg.checked and not seg.matches and seg.rows == 64
    parts = seg.split(4)
    assert [p.range for p in parts] == KeyRange(0, 64).split(4)
    assert all(p.depth == 1 and not p.checked for p in parts)
    assert seg.legacy == Checksum(64, 1)  # the parent is untouched
    with pytest.raises(ValueError, match="not inside"):
        seg.narrow(60, 70)
    same = Segment("t", KeyRange(0, 1)).with_checksums(Checksum(1, 9), Checksum(1, 9))
    assert same.matches


def test_worker_partitions_cover_every_key_with_open_outer_ends():
    from zhongtai.compare.workers import partitions

    assert partitions(1, 100, 1) == [(None, None)]
    assert partitions(None, None, 4) == [(None, None)]
    parts = partitions(1, 100, 3)
    assert parts == [(None, 34), (34, 68), (68, None)]
    assert partitions(5, 6, 8) == [(None, 5), (5, None)]
