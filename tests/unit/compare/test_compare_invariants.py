"""Invariant rules as pure functions of rows."""

from __future__ import annotations

from zhongtai.compare.invariants import item_problem, order_money, status_problem

ORDER = {
    "goods_amount": 3000,
    "package_fee": 200,
    "delivery_fee": 500,
    "discount_amount": 700,
    "merchant_subsidy": 400,
    "platform_subsidy": 300,
    "paid_amount": 3000,
}
LINES = {"line_total": 3000, "bad_lines": 0}
DISCOUNTS = {"amount": 700, "merchant_part": 400, "platform_part": 300, "bad_parts": 0}


def test_a_conserved_order_passes_and_the_legacy_float_total_may_drift_one_fen():
    assert order_money(ORDER, LINES, DISCOUNTS, 30.0) == []
    assert order_money(ORDER, LINES, DISCOUNTS, 30.009999999) == []
    assert order_money(ORDER, LINES, DISCOUNTS, None) == []
    (problem,) = order_money(ORDER, LINES, DISCOUNTS, 30.05)
    assert "legacy total 30.05" in problem


def test_each_broken_rule_is_named():
    broken = dict(ORDER, paid_amount=2999, merchant_subsidy=500)
    found = order_money(broken, dict(LINES, bad_lines=1), dict(DISCOUNTS, bad_parts=2), None)
    text = " | ".join(found)
    assert "1 line(s)" in text and "2 discount(s)" in text
    assert "merchant_subsidy 500 ≠ Σ merchant_part 400" in text
    assert "= 3000 ≠ paid 2999" in text
    assert order_money(ORDER, {"line_total": 2900}, DISCOUNTS, None) == [
        "goods_amount 3000 ≠ Σ line_total 2900"
    ]


def test_statuses_map_or_say_why_not():
    assert status_problem(5, 0, 1) is None
    assert status_problem(8, 5, 2) is None
    assert "refund status" in status_problem(5, 9, 1)
    assert "no main status" in status_problem(42, 0, 1)


def test_items_resolve_to_a_sku_or_are_flagged_unmapped():
    skus = {1, 2}
    assert item_problem(1, None, skus) is None
    assert item_problem(None, "MT-FOOD-9", skus) is None
    assert "does not exist" in item_problem(3, "x", skus)
    assert "neither" in item_problem(None, None, skus)
