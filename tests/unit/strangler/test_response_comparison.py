import json

import pytest

from zhongtai.strangler.comparison import (
    ComparePolicy,
    Reply,
    compare_replies,
    diff_json,
    matches,
    parse_policy,
)


def paths(a, b, **policy):
    return sorted((d.path, d.kind) for d in diff_json(a, b, ComparePolicy(**policy)))


def test_equal_documents_have_no_differences():
    doc = {"code": 0, "data": {"items": [{"a": 1}, {"a": 2}]}}
    assert paths(doc, json.loads(json.dumps(doc))) == []


def test_differences_are_reported_by_flattened_field_path():
    a = {"data": {"status": 1, "items": [{"price": 1.0, "name": "x"}], "gone": 1}}
    b = {"data": {"status": "1", "items": [{"price": 2.0, "name": "x"}], "new": 1}}
    assert paths(a, b) == [
        ("data.gone", "missing"),
        ("data.items[].price", "value"),
        ("data.new", "extra"),
        ("data.status", "type"),
    ]


def test_array_size_and_order():
    assert paths({"l": [1, 2]}, {"l": [1]}) == [("l", "size")]
    assert paths({"l": [1, 2]}, {"l": [2, 1]}) == [("l[]", "value")] * 2
    assert paths({"l": [1, 2]}, {"l": [2, 1]}, unordered=("l",)) == []
    rows_a = [{"id": 1, "t": "x"}, {"id": 2, "t": "y"}]
    rows_b = [{"id": 2, "t": "y"}, {"id": 1, "t": "x"}]
    assert paths({"d": rows_a}, {"d": rows_b}, unordered=("d",)) == []


def test_ignored_paths_cover_their_subtree_and_globs():
    a = {"data": {"order_no": "1", "meta": {"t": 1}, "items": [{"id": 1, "q": 1}]}}
    b = {"data": {"order_no": "2", "meta": {"t": 2}, "items": [{"id": 9, "q": 1}]}}
    assert paths(a, b, ignore=("data.order_no", "data.meta", "data.items[].id")) == []
    assert paths(a, b, ignore=("data.*",)) == []
    assert matches("data.*_amount", "data.total_amount")
    assert not matches("data.*_amount", "data.total_amount.x")


def test_money_tolerance_applies_to_money_paths_only():
    a, b = (
        {"data": {"total_amount": 12.30, "qty": 1.0}},
        {"data": {"total_amount": 12.3049, "qty": 1.004}},
    )
    assert paths(a, b, money=("data.*_amount",), money_tolerance=0.005) == [("data.qty", "value")]
    assert paths({"p": 1.0}, {"p": 1.02}, money=("p",), money_tolerance=0.005) == [("p", "value")]
    assert paths({"p": 12}, {"p": 12.0}) == []  # 12 and 12.0 are the same JSON number


def test_replies_compare_status_allowlisted_headers_and_non_json_bodies():
    policy = ComparePolicy(headers=("content-type",))
    left = Reply(200, {"Content-Type": "application/json", "Date": "Mon"}, b'{"a": 1}')
    right = Reply(200, {"content-type": "application/json", "Date": "Tue"}, b'{"a": 1}')
    assert compare_replies(left, right, policy) == []  # Date is not on the allow-list
    right = Reply(500, {"content-type": "text/plain"}, b"boom")
    found = {d.path for d in compare_replies(left, right, policy)}
    assert found == {"<status>", "<header:content-type>", "<body>"}
    xml = b"<xml><return_code>SUCCESS</return_code></xml>"
    assert compare_replies(Reply(200, {}, xml), Reply(200, {}, xml), policy) == []


def test_parse_policy_validates():
    p = parse_policy({"ignore": ["a"], "headers": ["Content-Type"], "money_tolerance": 0.01})
    assert p.headers == ("content-type",) and p.money_tolerance == 0.01
    with pytest.raises(ValueError, match="unknown compare setting"):
        parse_policy({"ignored": []})


def test_booleans_are_not_numbers_even_inside_equal_looking_subtrees():
    policy = ComparePolicy()
    left = Reply(200, {}, b'{"data": {"sold_out": true, "n": 1}}')
    right = Reply(200, {}, b'{"data": {"sold_out": 1, "n": 1}}')
    assert [(d.path, d.kind) for d in compare_replies(left, right, policy)] == [
        ("data.sold_out", "type")
    ]
    same = Reply(200, {}, b'{"data": {"n": 1.0, "list": [1, 2]}}')
    assert (
        compare_replies(Reply(200, {}, b'{"data": {"n": 1, "list": [1, 2]}}'), same, policy) == []
    )
