"""Judging answers per client style (pure)."""

from __future__ import annotations

import pytest

from zhongtai.workload.traffic_http import judge

WX_OK = "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>"
WX_FAIL = "<xml><return_code>FAIL</return_code><return_msg>amount</return_msg></xml>"


@pytest.mark.parametrize(
    ("style", "status", "body", "expect", "ok"),
    [
        ("envelope", 200, {"code": 0, "msg": "ok", "data": {}}, 0, True),
        ("envelope", 200, {"code": 40901, "msg": "no"}, 0, False),
        ("envelope", 409, {"code": 40901, "msg": "no"}, 0, False),
        ("envelope", 404, {"code": 40403, "msg": "unknown order"}, 40403, True),
        ("envelope", 200, {"code": 0, "data": {}}, 40403, False),  # provoked, but it passed
        ("envelope", 500, "Internal Server Error", 0, False),
        ("meituan", 200, {"data": "ok"}, 0, True),
        ("meituan", 400, {"data": "ng", "error": {"code": 40001, "msg": "x"}}, 0, False),
        ("eleme", 200, {"message": "ok"}, 0, True),
        ("eleme", 400, {"message": "bad", "code": 40001}, 0, False),
        ("wechat", 200, WX_OK, 0, True),
        ("wechat", 200, WX_FAIL, 0, False),
        ("wechat", 200, "not xml", 0, False),
        ("plain", 201, {"seq": 1}, 0, True),
        ("plain", 400, {"error": "x"}, 0, False),
    ],
)
def test_judge(style, status, body, expect, ok):
    got, _code, why = judge(style, status, body, expect)
    assert got is ok
    assert (why == "") is ok


def test_judge_reports_the_code_and_why():
    ok, code, why = judge("meituan", 400, {"data": "ng", "error": {"code": 40001, "msg": "m"}})
    assert not ok and code == 40001 and "HTTP 400" in why
    ok, code, why = judge("envelope", 409, {"code": 40901, "msg": "cannot go 5 -> 6"})
    assert code == 40901 and "cannot go 5 -> 6" in why


def test_judge_refuses_unknown_styles():
    with pytest.raises(ValueError, match="unknown reply style"):
        judge("soap", 200, {})
