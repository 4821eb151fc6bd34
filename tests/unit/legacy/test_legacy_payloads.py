import pytest

from zhongtai.legacy.envelope import LegacyError
from zhongtai.legacy.payloads import (
    Fields,
    parse_form,
    parse_json_object,
    parse_xml,
    query_date,
    query_int,
    validation_message,
)

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(LegacyError) as info:
        fn(*args, **kwargs)
    assert info.value.code == 40001 and info.value.http_status == 400
    return info.value.msg


def test_form_is_parsed_strictly():
    assert parse_form(b"a=1&b=%E4%B8%AD&c=", FORM) == {"a": "1", "b": "中", "c": ""}
    assert parse_form(b"", FORM) == {}
    assert "Content-Type" in refused(parse_form, b"a=1", "application/json")
    assert "form-urlencoded" in refused(parse_form, b"a=1&broken", FORM)
    assert "UTF-8" in refused(parse_form, b"a=\xff\xfe", FORM)


def test_json_object_and_xml():
    assert parse_json_object(b'{"a": 1}') == {"a": 1}
    assert "not valid JSON" in refused(parse_json_object, b"{bad")
    assert "must be a JSON object" in refused(parse_json_object, "[1]")
    xml = b"<xml><total_fee>100</total_fee><id><![CDATA[ab]]></id></xml>"
    assert parse_xml(xml) == {"total_fee": "100", "id": "ab"}
    assert "well-formed" in refused(parse_xml, b"<xml><a>")
    assert "<root>" in refused(parse_xml, b"<root/>")
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><b>&a;</b></xml>'
    assert "XML" in refused(parse_xml, bomb)  # entities are refused, not expanded


def test_fields_name_the_field_and_the_value():
    f = Fields({"n": "12", "x": "1.5", "d": "12a", "j": "[1]", "b": "true", "e": ""}, "T")
    assert f.integer("n", low=1, high=20) == 12
    assert f.number("x") == 1.5 and f.boolean("b") is True
    assert f.text("e") is None and f.integer("e", default=3) == 3
    assert f.json_list("j") == [1]
    assert "'d'" in refused(f.digits, "d") and "'12a'" in refused(f.digits, "d")
    assert "1..5" in refused(f.integer, "n", low=1, high=5)
    assert "'x' must be an integer" in refused(f.integer, "x")
    assert "required" in refused(f.text, "missing", required=True)
    assert "JSON object" in refused(f.json_object, "j")
    assert Fields({"t": "abcdef"}, "T").text("t", max_len=3, clip=True) == "abc"
    assert "at most 3" in refused(Fields({"t": "abcdef"}, "T").text, "t", max_len=3)
    assert "finite" in refused(Fields({"v": "nan"}, "T").number, "v")


def test_query_parameters():
    assert query_int("page", "", default=1, low=1, high=9) == 1
    assert query_int("page", "3", default=1, low=1, high=9) == 3
    assert "1..9" in refused(query_int, "page", "10", default=1, low=1, high=9)
    assert query_date("d", "2025-12-01") == "2025-12-01"
    assert "2025-12-01" in refused(query_date, "d", "2025-1-1")


def test_validation_message_is_one_readable_sentence():
    errors = [
        {
            "type": "greater_than_equal",
            "loc": ("body", "items", 0, "quantity"),
            "msg": "Input should be greater than or equal to 1",
            "input": 0,
        },
        {"type": "missing", "loc": ("body", "store_id"), "msg": "Field required"},
    ]
    msg = validation_message(errors)
    assert "items.0.quantity: Input should be greater than or equal to 1 (got 0)" in msg
    assert "store_id: Field required" in msg
    bad_json = [
        {
            "type": "json_invalid",
            "loc": ("body", 1),
            "msg": "x",
            "ctx": {"error": "Expecting value"},
        }
    ]
    assert (
        validation_message(bad_json)
        == "body is not valid JSON (Expecting value); send a JSON object"
    )
