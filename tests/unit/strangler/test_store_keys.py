"""The store key directory (pure): aliases, resolution, learned orders, the shipped table."""

from __future__ import annotations

import json

import pytest

from zhongtai.strangler.bucketing import on_platform, stores_on_platform
from zhongtai.strangler.decision import choose_side
from zhongtai.strangler.keys import RequestView, find_key, order_ids, parse_key_spec
from zhongtai.strangler.routes import RouteTable, parse_table
from zhongtai.strangler.state import read_routes_file
from zhongtai.strangler.storekeys import (
    DirectoryError,
    LearnedOrders,
    StoreDirectory,
    StoreKeys,
    aliases_from_stores,
    diff_aliases,
)

SALT = "zhongtai-o2o"


def store_json(i: int, code: str, *, mt=True, ele=True, legacy_id=None) -> dict:
    bindings = []
    if mt:
        bindings.append({"channel": "MEITUAN", "channel_store_id": f"mt_{code.lower()}"})
    if ele:
        bindings.append(
            {"channel": "ELEME", "channel_store_id": str(9000 + i), "external_ref": f"open{i}"}
        )
    return {
        "id": i,
        "legacy_id": legacy_id if legacy_id is not None else i,
        "store_code": code,
        "channel_bindings": bindings,
    }


CODES = [f"{city}{n:04d}" for city in ("SH", "BJ", "HZ", "NJ", "CD") for n in range(1, 9)]
STORES = [store_json(i, code) for i, code in enumerate(CODES, start=1)]


def keys_for(stores=STORES) -> StoreKeys:
    return StoreKeys(StoreDirectory(aliases_from_stores(stores), version=1))


def test_every_identifier_of_a_store_becomes_an_alias_of_its_code():
    aliases = aliases_from_stores([store_json(12, "SH0012", legacy_id=12)])
    assert aliases == {
        ("store_code", "SH0012"): "SH0012",
        ("store_id", "12"): "SH0012",
        ("meituan_poi", "mt_sh0012"): "SH0012",
        ("eleme_shop", "9012"): "SH0012",
        ("eleme_open", "open12"): "SH0012",
    }
    counts = StoreDirectory(aliases).counts()
    assert counts == {"store_code": 1, "store_id": 1, "meituan_poi": 1, "eleme_shop": 1,
                      "eleme_open": 1}  # fmt: skip


def test_a_platform_born_store_is_known_by_its_id_and_unknown_channels_are_ignored():
    store = {"id": 90001, "legacy_id": None, "store_code": "SZ0001",
             "channel_bindings": [{"channel": "DOUYIN", "channel_store_id": "dy1"}]}  # fmt: skip
    assert aliases_from_stores([store]) == {
        ("store_code", "SZ0001"): "SZ0001",
        ("store_id", "90001"): "SZ0001",
    }


def test_two_stores_claiming_one_alias_is_refused_naming_both():
    a, b = store_json(1, "SH0001"), store_json(2, "SH0002")
    b["channel_bindings"][0]["channel_store_id"] = "mt_sh0001"
    with pytest.raises(DirectoryError, match="mt_sh0001.*SH0001 and SH0002"):
        aliases_from_stores([a, b])
    with pytest.raises(DirectoryError, match="no usable store_code"):
        aliases_from_stores([{"id": 3, "store_code": ""}])


def test_resolution_known_unknown_and_order_ids():
    keys = keys_for()
    assert keys.resolve("meituan_poi", "mt_bj0003") == ("BJ0003", True)
    assert keys.resolve("eleme_shop", str(9000 + CODES.index("HZ0002") + 1)) == ("HZ0002", True)
    assert keys.resolve("store_id", "1") == ("SH0001", True)
    assert keys.resolve("store_code", "SH0001") == ("SH0001", True)
    # Unknown store aliases fall back to the raw value, flagged unknown.
    assert keys.resolve("meituan_poi", "mt_nowhere") == ("mt_nowhere", False)
    assert keys.resolve("store_code", "XX9999") == ("XX9999", False)
    # Unknown channel orders give no key at all: hashing an order id would scatter a store.
    assert keys.resolve("meituan_order", "2701") == (None, False)
    keys.learn("meituan_order", "2701", "SH0001")
    assert keys.resolve("meituan_order", "2701") == ("SH0001", True)


def test_learning_queues_only_news_and_stays_bounded():
    keys = StoreKeys(limit=3)
    keys.learn("meituan_order", "1", "SH0001")
    keys.learn("meituan_order", "1", "SH0001")  # already known: nothing to write
    keys.learn("meituan_order", "2", "SH0002")
    keys.learn("store_id", "3", "SH0003")  # not an order kind: never learned
    keys.learn("meituan_order", "9" * 65, "SH0003")  # longer than the column: skipped
    assert keys.pending == [("meituan_order", "1", "SH0001"), ("meituan_order", "2", "SH0002")]
    assert keys.absorb([("meituan_order", "3", "SH0003"), ("eleme_order", "4", "SH0004")]) == 2
    assert len(keys.orders) == 3 and keys.orders.get("meituan_order", "1") is None  # oldest out
    book = LearnedOrders(limit=2)
    assert book.put("k", "a", "X") and not book.put("k", "a", "X") and book.put("k", "a", "Y")


def test_diff_names_added_removed_and_moved_aliases():
    old = {("store_id", "1"): "SH0001", ("store_id", "2"): "SH0002"}
    new = {("store_id", "1"): "SH0009", ("store_id", "3"): "SH0003"}
    diff = diff_aliases(old, new)
    assert (diff.added, diff.removed) == (1, 1)
    assert diff.as_dict()["moved"] == [
        {"kind": "store_id", "value": "1", "from": "SH0001", "to": "SH0009"}
    ]


def test_key_specs_name_their_kind():
    spec = parse_key_spec("form:app_poi_code as meituan_poi")
    assert (spec.source, spec.name, spec.kind) == ("form", "app_poi_code", "meituan_poi")
    regex = parse_key_spec(r"xml:out_trade_no ~ ^P?\d{7}([A-Z]{2}\d{4})\d{5}$ as store_code")
    assert regex.kind == "store_code" and regex.pattern.pattern.endswith(r"\d{5}$")
    assert parse_key_spec("path:order_no ~ order_no").kind is None
    with pytest.raises(ValueError, match="unknown store key kind 'shop'"):
        parse_key_spec("json:shopId as shop")


def view(body=b"", **kw) -> RequestView:
    return RequestView(kw.get("params", {}), kw.get("query", {}), {}, body)


def specs(*texts):
    return tuple(parse_key_spec(t) for t in texts)


def test_find_key_falls_through_an_unknown_order_and_reports_the_miss():
    keys = keys_for()
    meituan = specs("form:app_poi_code as meituan_poi", "form:order_id as meituan_order")
    push = view(b"order_id=2701&app_poi_code=mt_sh0002")
    hit = find_key(meituan, push, keys.resolve)
    assert (hit.key, hit.known, hit.raw) == ("SH0002", True, "mt_sh0002")
    assert order_ids(meituan, push) == [("meituan_order", "2701")]
    refund = view(b"order_id=2701&notify_type=apply")
    miss = find_key(meituan, refund, keys.resolve)
    assert miss.key is None and not miss.known and miss.spec.kind == "meituan_order"
    keys.learn("meituan_order", "2701", hit.key)
    assert find_key(meituan, refund, keys.resolve).key == "SH0002"
    assert find_key(meituan, view(b"sig=x"), keys.resolve) is None
    raw = find_key(specs("json:erp_code"), view(b'{"erp_code": "E1"}'), keys.resolve)
    assert (raw.key, raw.known) == ("E1", True)  # no kind: the value as it is


def test_a_json_path_walks_into_a_json_string_field():
    body = json.dumps({"shopId": "9001", "message": json.dumps({"orderId": "88"})}).encode()
    hit = find_key(specs("json:message.orderId"), view(body), StoreKeys().resolve)
    assert hit.key == "88"
    assert find_key(specs("json:message.orderId"), view(b'{"message": "{bad"}'), None) is None


def shipped_routes(stage="canary", percent=50.0) -> RouteTable:
    routes = parse_table(read_routes_file())
    return RouteTable([r.with_state(stage, percent if stage == "canary" else None, 1)
                       for r in routes])  # fmt: skip


def requests_of(i: int, code: str) -> dict[str, tuple[dict, bytes]]:
    """One request per store-keyed route, each naming the store the way its client does."""
    order_no = f"1250601{code}00042"
    eleme = {"type": 10, "shopId": str(9000 + i), "message": "{}"}
    return {
        "channel.pull": ({}, json.dumps({"store_code": code}).encode()),
        "channel.meituan": ({"push": "new"}, f"order_id=27{i:05d}&app_poi_code=mt_{code.lower()}"
                            .encode()),
        "channel.eleme": ({}, json.dumps(eleme).encode()),
        "mp.menu": ({"store_id": str(i)}, b""),
        "mp.order-create": ({}, json.dumps({"store_id": i}).encode()),
        "mp.pay-notify": ({}, f"<xml><out_trade_no>P{order_no}</out_trade_no></xml>".encode()),
        "mp.order": ({"order_no": order_no}, b""),
        "pos.pull": ({}, json.dumps({"store_code": code}).encode()),
        "pos.ack": ({}, json.dumps({"order_no": order_no}).encode()),
        "admin.orders": ({"query_store_code": code}, b""),
    }  # fmt: skip


def sides_of(table: RouteTable, keys: StoreKeys, i: int, code: str) -> dict[str, str]:
    out = {}
    for name, (params, body) in requests_of(i, code).items():
        route = table.get(name)
        query = (
            {"store_code": params.pop("query_store_code")} if "query_store_code" in params else {}
        )
        hit = find_key(route.keys, RequestView(params, query, {}, body), keys.resolve)
        assert hit is not None and hit.key == code and hit.known, (name, hit)
        out[name] = choose_side(route, hit.key)
    return out


@pytest.mark.parametrize("percent", [10, 37.5, 50, 90])
def test_a_store_lands_on_the_same_side_on_every_route_of_the_shipped_table(percent):
    table, keys = shipped_routes(percent=percent), keys_for()
    on = stores_on_platform("store_code", percent, SALT, CODES)
    assert 0 < len(on) < len(CODES)  # both sides are represented, or the test proves nothing
    for i, code in enumerate(CODES, start=1):
        sides = sides_of(table, keys, i, code)
        assert set(sides.values()) == {"platform" if code in on else "legacy"}, (code, sides)


def test_every_store_keyed_route_of_the_shipped_table_shares_one_group_and_salt():
    keyed = [r for r in shipped_routes().routes if any(s.kind for s in r.keys)]
    assert len(keyed) >= 14
    assert {(r.group, r.salt) for r in keyed} == {("store_code", SALT)}


def test_unknown_aliases_fall_back_to_hashing_the_raw_value():
    table, keys = shipped_routes(percent=50), keys_for()
    route = table.get("channel.meituan")
    for n in range(200):
        raw = f"mt_unknown_{n}"
        hit = find_key(route.keys, view(f"app_poi_code={raw}".encode()), keys.resolve)
        assert (hit.key, hit.known) == (raw, False)
        expected = "platform" if on_platform("store_code", SALT, raw, 50) else "legacy"
        assert choose_side(route, hit.key) == expected


def test_stores_on_platform_only_grows_with_the_percentage():
    previous: frozenset[str] = frozenset()
    for percent in (0, 1, 5, 10, 25, 50, 75, 99, 100):
        now = stores_on_platform("store_code", percent, SALT, CODES)
        assert previous <= now
        previous = now
    assert previous == frozenset(CODES)
    assert stores_on_platform("store_code", 0, SALT, CODES) == frozenset()


def test_reverse_sync_scope_agrees_with_the_proxy_on_the_shipped_table():
    # zhongtai.migrate.scope asks choose_side with each route group's store attribute; with
    # every store-keyed route in group store_code, that is the store code the proxy resolves.
    from zhongtai.migrate.scope import Scope
    from zhongtai.migrate.scope import StoreKeys as Keys

    table = shipped_routes(percent=40)
    scope = Scope(table.routes)
    on = stores_on_platform("store_code", 40, SALT, CODES)
    for i, code in enumerate(CODES, start=1):
        keys = Keys(i, code, f"mt_{code.lower()}", str(9000 + i))
        assert scope.on_platform(keys) == (code in on)
