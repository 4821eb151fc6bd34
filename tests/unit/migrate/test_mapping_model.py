"""The declarative mapping model on plain dicts: groups, quarantine, projections, ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from zhongtai.migrate.backfill import split_ranges
from zhongtai.migrate.mapping import (
    Group,
    Mapping,
    Quarantine,
    Record,
    Target,
    build_group,
    membership,
    normalise,
)
from zhongtai.migrate.mappings import all_mappings
from zhongtai.migrate.mappings.people import NEW_MEMBER_BASE
from zhongtai.migrate.transforms import TransformError, yuan_to_fen

md = sa.MetaData()
src = sa.Table("src", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Float))
dst = sa.Table(
    "dst", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("fen", sa.Integer)
)


def _transform(record: Record):
    if record.row["v"] is None:
        return Quarantine("no_value", f"row {record.row['id']} has no value")
    if record.row["v"] < 0:
        raise TransformError(f"negative {record.row['v']}")
    return {"dst": [{"id": record.row["id"], "fen": yuan_to_fen(record.row["v"])}]}


MAPPING = Mapping("demo", src, "order", (Target(dst, key=("id",), owner="id"),), _transform)


def test_apply_maps_splits_and_quarantines_instead_of_dropping():
    assert MAPPING.apply(Record({"id": 1, "v": 0.1 + 0.2})) == {"dst": [{"id": 1, "fen": 30}]}
    assert MAPPING.apply(Record({"id": 2, "v": None})) == Quarantine(
        "no_value", "row 2 has no value"
    )
    bad = MAPPING.apply(Record({"id": 3, "v": -1.0}))
    assert bad == Quarantine("bad_value", "negative -1.0")


def test_owned_rows_are_found_by_the_key_or_the_value_derived_from_it():
    assert MAPPING.targets[0].owned_by(7) == 7
    customers = all_mappings()["platform_customers"]
    assert [t.owned_by(7) for t in customers.targets] == [NEW_MEMBER_BASE + 7] * 2


def test_rows_for_an_undeclared_table_are_a_mapping_bug():
    broken = Mapping("broken", src, "order", (), lambda r: {"elsewhere": [{}]})
    with pytest.raises(ValueError, match="undeclared table"):
        broken.apply(Record({"id": 1, "v": 1.0}))


def test_groups_pick_the_lowest_rank_and_ignore_keyless_rows():
    rows = [
        {"id": 1, "phone": "a", "deleted": 1},
        {"id": 2, "phone": "a", "deleted": 0},
        {"id": 3, "phone": None, "deleted": 0},
        {"id": 4, "phone": "a", "deleted": 0},
        {"id": 5, "phone": "b", "deleted": 0},
    ]
    group = Group("people", src, ("phone",), key=lambda r: r["phone"],
                  rank=lambda r: (r["deleted"], r["id"]))  # fmt: skip
    index = build_group(rows, group)
    assert index.members["a"] == (2, 4, 1)  # live first, then by id
    assert index.survivor(1) == 2 and index.survivor(4) == 2 and index.survivor(3) == 3
    member = membership(index, 4)
    assert member.survivor == 2 and not member.is_survivor(4)
    assert membership(index, 3) is None
    assert index.survivor_of_key("b") == 5 and index.survivor_of_key("zz") is None


def test_group_outcome_does_not_depend_on_scan_order():
    rows = [{"id": i, "k": i % 3} for i in range(1, 30)]
    group = Group("g", src, ("k",), key=lambda r: r["k"])
    assert build_group(rows, group) == build_group(list(reversed(rows)), group)


def test_normalise_makes_engine_values_comparable():
    naive = datetime(2025, 1, 1, 8, 0, 0, 123)
    aware = datetime(2025, 1, 1, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    assert normalise(naive) == normalise(aware) == "2025-01-01T08:00:00+00:00"
    assert normalise(Decimal("12.00")) == 12 and normalise(Decimal("1.5")) == "1.5"
    assert normalise(True) == 1
    assert normalise({"b": 1, "a": [2]}) == '{"a":[2],"b":1}'
    assert MAPPING.project("dst", {"id": 1, "fen": 30}) == {"id": 1, "fen": 30}
    with pytest.raises(KeyError, match="no target table"):
        MAPPING.project("other", {})


@pytest.mark.parametrize(
    ("lo", "hi", "parts", "expected"),
    [
        (None, None, 4, [(0, None)]),
        (1, 100, 1, [(0, None)]),
        (1, 100, 4, [(0, 25), (25, 50), (50, 75), (75, None)]),
        (5, 6, 4, [(4, 5), (5, None)]),
    ],
)
def test_split_ranges_cover_the_key_space(lo, hi, parts, expected):
    assert split_ranges(lo, hi, parts) == expected


def test_split_ranges_never_lose_a_key():
    for lo, hi, parts in [(1, 1, 3), (1, 7, 3), (10, 1000, 7), (3, 4, 9)]:
        ranges = split_ranges(lo, hi, parts)
        covered = [
            k for k in range(lo, hi + 50) if any(a < k and (b is None or k <= b) for a, b in ranges)
        ]
        assert covered == list(range(lo, hi + 50)), (lo, hi, parts)


def test_datetime_helpers_are_utc():
    assert normalise(datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01T00:00:00+00:00"
