import json

import pytest

from zhongtai.legacy.order_no import make_order_no
from zhongtai.strangler.keys import RequestView, extract_key, parse_key_spec


def view(**kw) -> RequestView:
    return RequestView(
        kw.get("params", {}),
        kw.get("query", {}),
        kw.get("headers", {}),
        kw.get("body", b""),
        kw.get("content_type", ""),
    )


def key(specs, **kw):
    return extract_key(tuple(parse_key_spec(s) for s in specs), view(**kw))


def test_path_query_header_sources():
    assert key(["path:store_id"], params={"store_id": "12"}) == "12"
    assert key(["query:store_code"], query={"store_code": "SH0012"}) == "SH0012"
    assert key(["header:X-Store"], headers={"x-store": "BJ0001"}) == "BJ0001"


def test_json_body_field_including_nested_and_numbers():
    body = json.dumps({"store_id": 12, "data": {"store": "SH0003"}}).encode()
    assert key(["json:store_id"], body=body) == "12"
    assert key(["json:data.store"], body=body) == "SH0003"
    assert key(["json:missing"], body=body) is None


def test_form_body_field_as_meituan_pushes_it():
    body = b"order_id=27061920012345&app_poi_code=6842101&sig=abc"
    assert key(["form:app_poi_code"], body=body) == "6842101"


def test_regex_over_an_order_number_gives_the_store_code():
    from datetime import date

    order_no = make_order_no(3, date(2025, 12, 1), "SH0012", 42)
    assert key(["path:order_no ~ order_no"], params={"order_no": order_no}) == "SH0012"
    # Not one of ours: no key rather than a wrong one.
    assert key(["path:order_no ~ order_no"], params={"order_no": "X123"}) is None


def test_xml_element_with_cdata():
    body = b"<xml><out_trade_no><![CDATA[3251201SH001200042]]></out_trade_no></xml>"
    assert key(["xml:out_trade_no ~ order_no"], body=body) == "SH0012"


def test_specs_are_tried_in_order_and_bad_bodies_give_none():
    body = json.dumps({"order_no": "3251201BJ000100001"}).encode()
    assert key(["json:store_code", "json:order_no ~ order_no"], body=body) == "BJ0001"
    assert key(["json:store_code"], body=b"{not json") is None
    assert key(["json:store_code"], body=b"[1, 2]") is None
    assert key(["form:x"], body=b"\xff\xfe") is None


@pytest.mark.parametrize(
    "spec, message",
    [
        ("store_id", "SOURCE:NAME"),
        ("cookie:sid", "unknown source"),
        ("json:", "not a field"),
        ("path:x ~ (", "bad regex"),
        ("path:x ~ [0-9]+", "exactly one group"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_key_spec(spec)
    assert repr(spec) in str(err.value)
