"""The three-way merge of a row both systems wrote since their agreed state (pure)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from zhongtai.legacy.status import later_status
from zhongtai.migrate.agreed import image, merge
from zhongtai.migrate.mappings.order_inverse import raw_ext

BASE = {
    "id": 7,
    "status": 2,
    "remark": None,
    "pos_sync_status": 0,
    "pos_pull_time": None,
    "total_amount": 31.5,
    "ext_json": '{"a":1}',
    "version": 3,
    "update_time": datetime(2026, 12, 1, 9, 0, 0),
}


def _agreed() -> dict:
    return json.loads(json.dumps(image(BASE)))  # as the state database gives it back


def test_fields_only_one_side_changed_come_from_that_side():
    legacy = {**BASE, "status": 9, "version": 4}  # cancelled on legacy
    pulled = datetime(2026, 12, 1, 9, 0, 2)
    platform = {**BASE, "pos_sync_status": 1, "pos_pull_time": pulled, "version": 4}
    merged = merge(_agreed(), legacy, platform)
    assert merged.changes == {"pos_sync_status": 1, "pos_pull_time": pulled}
    assert merged.clashes == []


def test_a_field_both_changed_differently_keeps_legacys_and_is_named():
    legacy = {**BASE, "remark": "no onions", "status": 9}
    platform = {**BASE, "remark": "ring twice", "pos_sync_status": 1}
    merged = merge(_agreed(), legacy, platform)
    assert merged.changes == {"pos_sync_status": 1}
    assert merged.clashes == ["remark"]


def test_equal_values_in_other_forms_are_not_changes():
    # Decimal vs float yuan, an engine's datetime with microseconds, JSON spaced differently:
    # neither side changed them.
    legacy = {**BASE, "total_amount": Decimal("31.50"), "ext_json": '{"a": 1}'}
    platform = {**BASE, "update_time": datetime(2026, 12, 1, 9, 0, 0, 250_000)}
    merged = merge(_agreed(), legacy, platform, {"ext_json": raw_ext})
    assert merged.changes == {} and merged.clashes == []


def test_identity_and_bookkeeping_columns_are_never_merged():
    legacy = {**BASE, "version": 5, "update_time": datetime(2026, 12, 1, 9, 1)}
    platform = {**BASE, "id": 8, "version": 6, "update_time": datetime(2026, 12, 1, 9, 2)}
    assert merge(_agreed(), legacy, platform).changes == {}


def test_a_column_the_agreed_state_does_not_know_is_a_clash_not_a_guess():
    base = {k: v for k, v in _agreed().items() if k != "remark"}
    merged = merge(base, {**BASE, "remark": "a"}, {**BASE, "remark": "b"})
    assert merged.changes == {} and merged.clashes == ["remark"]


def test_a_column_rule_settles_what_both_changed():
    # The POS cancelled on the platform while legacy's customer asked for a refund: the
    # status rule keeps the one that comes after (cancelled is final); the remark both
    # changed has no rule and keeps legacy's.
    legacy = {**BASE, "status": 7, "remark": "a"}
    platform = {**BASE, "status": 6, "remark": "b"}
    merged = merge(_agreed(), legacy, platform, rules={"status": later_status})
    assert merged.changes == {"status": 6}
    assert merged.settled == ["status"] and merged.clashes == ["remark"]
    kept = merge(
        _agreed(), {**BASE, "status": 6}, {**BASE, "status": 3}, rules={"status": later_status}
    )
    assert kept.changes == {} and kept.settled == ["status"]


def test_later_status_follows_the_legacy_state_machine():
    assert later_status(2, 6) == 6 and later_status(6, 2) == 6  # a final status comes after
    assert later_status(2, 3) == 3 and later_status(3, 2) == 3  # accepted → making
    assert later_status(5, 7) is None  # completed ↔ refunding: both ways
    assert later_status(6, 8) is None  # two final statuses
    assert later_status(1, 99) is None  # not a status
    assert later_status(4, 4) == 4
