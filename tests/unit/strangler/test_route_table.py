import re
from pathlib import Path

import pytest

from zhongtai.strangler.routes import RouteTable, compile_template, parse_route, parse_table
from zhongtai.strangler.stages import Stage
from zhongtai.strangler.state import read_routes_file

API_DOC = Path(__file__).parents[3] / "docs" / "legacy-api.md"


def route(**kw):
    return parse_route({"name": "r", "path": "/x", **kw})


def test_templates_match_whole_segments_and_decode_params():
    t = compile_template("/api/mp/orders/{order_no}/cancel")
    assert t.params == ("order_no",)
    assert t.match("/api/mp/orders/3251201SH001200042/cancel") == {"order_no": "3251201SH001200042"}
    assert t.match("/api/mp/orders/a%20b/cancel") == {"order_no": "a b"}
    assert t.match("/api/mp/orders/a/b/cancel") is None
    assert t.match("/api/mp/orders//cancel") is None
    assert compile_template("/a.b").match("/aXb") is None  # literal dots are literal


@pytest.mark.parametrize(
    "text, message",
    [("api/x", "must start with '/'"), ("/a/{x}/{x}", "repeats"), ("/a/x{y}", "whole")],
)
def test_bad_templates(text, message):
    with pytest.raises(ValueError, match=message):
        compile_template(text)


def test_first_match_wins_method_matters_and_default_is_legacy():
    table = RouteTable(
        [
            parse_route({"name": "pull", "method": "POST", "path": "/api/channel/{ch}/pull"}),
            parse_route({"name": "push", "method": "POST", "path": "/api/channel/meituan/{push}"}),
            parse_route({"name": "get", "method": ["GET", "HEAD"], "path": "/api/x/{id}"}),
        ]
    )
    assert table.match("POST", "/api/channel/meituan/pull").route.name == "pull"
    assert table.match("POST", "/api/channel/meituan/new").route.name == "push"
    m = table.match("HEAD", "/api/x/7?verbose=1")
    assert (m.route.name, m.params) == ("get", {"id": "7"})
    default = table.match("POST", "/api/x/7").route
    assert default.name == "default" and default.stage is Stage.LEGACY


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "Bad Name"}, "route name"),
        ({"colour": "red"}, "unknown field"),
        ({"method": "FETCH"}, "unknown method"),
        ({"key": "path:store_id"}, "names no parameter"),
        ({"key": "bogus"}, "SOURCE:NAME"),
        ({"stage": "canary"}, "needs --percent"),
        ({"aa_rate": 2}, "aa_rate"),
        ({"unkeyed": "both"}, "unkeyed"),
        ({"fallback": "yes"}, "fallback must be true or false"),
        ({"compare": {"ignore": "data.x"}}, "list of strings"),
        ({"compare": {"money_tolerance": -1}}, "money_tolerance"),
        ({"gates": {"max_error_rate": 5}}, "share between 0 and 1"),
        ({"gates": {"min_requests": 0}}, "min_requests"),
    ],
)
def test_bad_route_definitions_name_the_route_and_the_value(fields, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_route({"name": "r", "path": "/x", **fields})
    assert "'r'" in str(err.value) or "Bad Name" in str(err.value)


def test_defaults_fill_in_and_route_tables_merge_key_by_key():
    doc = {
        "defaults": {
            "salt": "s1",
            "compare": {"headers": ["content-type"], "ignore": ["a"]},
            "gates": {"min_requests": 5},
        },
        "route": [{"name": "r", "path": "/x", "compare": {"ignore": ["b"]}}],
    }
    (r,) = parse_table(doc)
    assert r.salt == "s1" and r.group == "r"
    assert r.compare.ignore == ("b",) and r.compare.headers == ("content-type",)
    assert r.gates.min_requests == 5 and r.gates.max_error_rate == 0.05
    # The stored definition is self-contained: it parses the same without the defaults.
    assert parse_route(r.definition) == r


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="unique"):
        parse_table({"route": [{"name": "a", "path": "/a"}, {"name": "a", "path": "/b"}]})


def _doc_endpoints():
    pattern = re.compile(r"`(GET|POST) (/[^` ?]*)")
    for method, path in pattern.findall(API_DOC.read_text(encoding="utf-8")):
        for variant in _expand(path):
            yield method, variant


def _expand(path: str):
    """/api/channel/{meituan|eleme}/pull → both; {param} → a sample value."""
    m = re.search(r"\{(\w+)\|(\w+)\}", path)
    if m:
        for choice in m.groups():
            yield from _expand(path[: m.start()] + choice + path[m.end() :])
        return
    yield re.sub(r"\{\w+\}", "3251201SH001200042", path)


def test_the_shipped_table_covers_every_endpoint_of_the_legacy_api():
    table = RouteTable(parse_table(read_routes_file()))
    endpoints = list(_doc_endpoints())
    assert len(endpoints) >= 18
    for method, path in endpoints:
        m = table.match(method, path)
        assert m.route.name != "default", f"{method} {path} has no route"
    # Store-scoped routes carry a sticky key.
    for name in ("pos.pull", "pos.ack", "mp.menu", "mp.order", "channel.meituan", "channel.eleme"):
        assert table.get(name).keys, name
    assert table.match("POST", "/api/channel/meituan/pull").route.name == "channel.pull"
    assert table.match("POST", "/api/channel/meituan/refund").route.name == "channel.meituan"
