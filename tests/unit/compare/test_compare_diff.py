"""The diff engine on a planted corpus: every planted difference found, nothing else."""

from __future__ import annotations

from zhongtai.compare.diff import (
    DIFFERS,
    DUPLICATE,
    EXTRA,
    MISSING,
    TOLERATED,
    Spec,
    count_by_kind,
    diff_rows,
)

SPEC = Spec(
    columns=("order_id", "line", "name", "amount", "lng", "note"),
    key=("order_id", "line"),
    tolerance={"amount": 1.0, "lng": 1e-6},
)


def _clean(n: int = 50) -> list[tuple]:
    return [(i, 1, f"item {i}", 1000 + i, 121.4737 + i / 1000, None) for i in range(1, n + 1)]


def test_identical_sides_have_no_differences():
    rows = _clean()
    assert diff_rows(rows, list(reversed(rows)), SPEC) == []
    assert diff_rows([], [], SPEC) == []


def test_every_planted_difference_is_found_and_classified_and_nothing_else():
    legacy, platform = _clean(), _clean()
    by_key = {r[:2]: i for i, r in enumerate(platform)}

    def edit(key, **changes):
        i = by_key[key]
        row = list(platform[i])
        for col, value in changes.items():
            row[SPEC.columns.index(col)] = value
        platform[i] = tuple(row)

    edit((3, 1), amount=1003 + 1)  # money drift of 1 fen: within tolerance
    edit((4, 1), amount=1004 + 7)  # 7 fen: outside
    edit((5, 1), lng=121.4737 + 0.005 + 1e-9)  # float noise: within tolerance
    edit((6, 1), lng=121.4737 + 0.006 + 0.01)  # a coordinate that moved: outside
    edit((7, 1), name="renamed", amount=1007 + 1)  # one real change next to a tolerated one
    edit((8, 1), note="now set")  # NULL → value
    edit((9, 1), name=None)  # value → NULL
    thirty = platform[by_key[(30, 1)]]
    platform += [thirty, thirty]  # three copies on the platform
    legacy.append(legacy[19])  # the same key twice on the legacy side
    del platform[by_key[(10, 1)]]  # missing on the platform
    platform.append((99, 1, "stray", 1, 0.0, None))  # extra on the platform
    found = diff_rows(legacy, platform, SPEC)
    got = {(d.kind, d.key, tuple(c.column for c in d.columns)) for d in found}
    assert got == {
        (TOLERATED, (3, 1), ("amount",)),
        (DIFFERS, (4, 1), ("amount",)),
        (TOLERATED, (5, 1), ("lng",)),
        (DIFFERS, (6, 1), ("lng",)),
        (DIFFERS, (7, 1), ("name", "amount")),
        (DIFFERS, (8, 1), ("note",)),
        (DIFFERS, (9, 1), ("name",)),
        (MISSING, (10, 1), ()),
        (EXTRA, (99, 1), ()),
        (DUPLICATE, (20, 1), ()),
        (DUPLICATE, (30, 1), ()),
    }
    assert len(found) == len(got)
    by = {(d.kind, d.key): d for d in found}
    assert by[(DUPLICATE, (20, 1))].side == "legacy" and by[(DUPLICATE, (20, 1))].copies == 2
    assert by[(DUPLICATE, (30, 1))].side == "platform" and by[(DUPLICATE, (30, 1))].copies == 3
    seven = {c.column: c for c in by[(DIFFERS, (7, 1))].columns}
    assert seven["amount"].tolerated and not seven["name"].tolerated
    assert seven["name"].legacy == "item 7" and seven["name"].platform == "renamed"
    eight = by[(DIFFERS, (8, 1))].columns[0]
    assert eight.legacy is None and eight.platform == "now set"
    assert by[(MISSING, (10, 1))].row["name"] == "item 10"
    assert by[(EXTRA, (99, 1))].row == {"order_id": 99, "line": 1, "name": "stray", "amount": 1,
                                        "lng": 0.0, "note": None}  # fmt: skip
    counts = count_by_kind(found)
    assert counts[DIFFERS] == 5 and counts[TOLERATED] == 2 and counts["changed"] == 0
    assert [d.failing for d in found].count(True) == len(found) - 2


def test_tolerance_applies_to_numbers_only_and_never_to_types():
    spec = Spec(("id", "amount"), ("id",), {"amount": 1.0})
    found = diff_rows([(1, 100), (2, 100), (3, None)], [(1, "100"), (2, True), (3, 0)], spec)
    assert {d.key: d.kind for d in found} == {(1,): DIFFERS, (2,): DIFFERS, (3,): DIFFERS}


def test_big_integer_keys_and_values_stay_exact():
    spec = Spec(("id", "v"), ("id",))
    big = 2**62 + 1
    assert diff_rows([(big, big)], [(big, big)], spec) == []
    (d,) = diff_rows([(big, big)], [(big, big - 1)], spec)
    assert d.kind == DIFFERS and d.columns[0].legacy - d.columns[0].platform == 1


def test_declared_leaves_of_a_json_column_are_compared_within_their_tolerance():
    # Legacy's FLOAT coordinates come back with six significant digits (MariaDB): the order's
    # customer snapshot on the platform keeps the channel's exact figures.
    spec = Spec(("id", "snap"), ("id",), {"snap.lng": 1e-3, "snap.lat": 1e-3})
    exact = {"name": "李", "lng": 121.549531, "lat": 31.129017}
    legacy = [
        (1, '{"name": "李", "lng": 121.55, "lat": 31.129}'),  # FLOAT rounding: tolerated
        (2, {"name": "王", "lng": 121.55, "lat": 31.129}),  # another leaf differs
        (3, {"name": "李", "lng": 121.56, "lat": 31.129}),  # beyond the tolerance
        (4, {"name": "李", "lng": 121.549531}),  # a leaf missing
        (5, {"name": "李", "lng": "121.549531", "lat": 31.129017}),  # text is not a number
    ]
    platform = [(i, exact) for i in range(1, 6)]
    found = {d.key: d.kind for d in diff_rows(legacy, platform, spec)}
    assert found == {(1,): TOLERATED, (2,): DIFFERS, (3,): DIFFERS, (4,): DIFFERS, (5,): DIFFERS}
    plain = Spec(("id", "snap"), ("id",))  # no declared leaves: any difference counts
    assert {d.kind for d in diff_rows(legacy[:1], platform[:1], plain)} == {DIFFERS}
