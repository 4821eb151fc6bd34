import random

from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.decision import AFTER, ALONGSIDE, choose_side, plan_shadow, want_aa
from zhongtai.strangler.masking import mask_body, mask_headers
from zhongtai.strangler.routes import parse_route


def route(stage, percent=None, **kw):
    r = parse_route({"name": "r", "path": "/x", "group": "g", "salt": "s", **kw})
    return r.with_state(stage, percent, 1)


def test_sides_per_stage():
    assert choose_side(route("legacy"), "k") == "legacy"
    assert choose_side(route("shadow"), "k") == "legacy"
    assert choose_side(route("platform"), "k") == "platform"
    keys = [str(i) for i in range(200)]
    canary = route("canary", 30)
    assert [choose_side(canary, k) for k in keys] == [
        "platform" if on_platform("g", "s", k, 30) else "legacy" for k in keys
    ]


def test_unkeyed_requests_and_forced_sides():
    assert choose_side(route("canary", 100), None) == "legacy"
    assert choose_side(route("canary", 1, unkeyed="platform"), None) == "platform"
    assert choose_side(route("legacy"), "k", forced="platform") == "platform"
    assert choose_side(route("platform"), "k", forced="legacy") == "legacy"
    assert choose_side(route("legacy"), "k", forced="sideways") == "legacy"


def test_shadow_plans_reads_after_and_writes_alongside():
    assert plan_shadow(route("shadow"), "GET", "legacy") == AFTER
    assert plan_shadow(route("shadow"), "POST", "legacy") == ALONGSIDE
    assert plan_shadow(route("shadow", shadow_writes=False), "POST", "legacy") is None
    assert plan_shadow(route("canary", 10), "GET", "legacy") == AFTER
    assert plan_shadow(route("canary", 10), "GET", "platform") is None
    assert plan_shadow(route("legacy"), "GET", "legacy") is None
    assert plan_shadow(route("platform"), "GET", "platform") is None


def test_aa_sampling_only_for_shadowed_reads_at_the_route_or_default_rate():
    rng = random.Random(1)
    sampled = sum(want_aa(route("shadow"), "GET", AFTER, 0.25, rng) for _ in range(4000))
    assert 850 < sampled < 1150
    assert all(want_aa(route("shadow", aa_rate=1.0), "GET", AFTER, 0.0) for _ in range(10))
    assert not want_aa(route("shadow", aa_rate=1.0), "POST", ALONGSIDE, 1.0)
    assert not want_aa(route("shadow", aa_rate=0.0), "GET", AFTER, 1.0)


def test_examples_mask_secrets_and_stay_small():
    assert '"sig": "****"' in mask_body(b'{"order_id": 1, "sig": "abc"}')
    form = mask_body(b"order_id=1&sig=abc&app_poi_code=7", "application/x-www-form-urlencoded")
    assert "abc" not in form and "app_poi_code=7" in form
    assert "<sign>****</sign>" in mask_body(b"<xml><sign>ABC</sign></xml>")
    assert mask_body(b"x" * 10_000).endswith("(5904 more chars)")
    assert mask_headers({"Cookie": "s=1", "Accept": "*/*"}) == {"Cookie": "****", "Accept": "*/*"}
