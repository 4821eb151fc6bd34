"""The plan model: parsing, checks, cumulative route states, rollback targets, profiles."""

from __future__ import annotations

import tomllib

import pytest

from zhongtai.cutover.gatespec import parse_gates
from zhongtai.cutover.ladder import (
    breach_target,
    desired_routes,
    desired_sync,
    follow_back,
    rank,
    route_changes,
)
from zhongtai.cutover.plan import parse_plan
from zhongtai.cutover.planfile import load_plan, read_source
from zhongtai.errors import ConfigError
from zhongtai.strangler.routes import parse_table
from zhongtai.strangler.stages import Stage
from zhongtai.strangler.state import read_routes_file

ROUTES = ("pos.pull", "pos.ack", "mp.menu", "mp.order")


def doc(text: str) -> dict:
    return tomllib.loads('[plan]\nname = "t"\n' + text)


STEPS = """
[gatesets.canary]
max_error_rate = 0.01
min_soak_s = 60

[[step]]
id = "sync"
sync = { forward = true }
gates = { max_sync_lag_s = 5 }

[[step]]
id = "pos-shadow"
routes = ["pos.*"]
stage = "shadow"

[[step]]
id = "pos-canary-10"
routes = ["pos.*"]
stage = "canary"
percent = 10
sync = { reverse = true }
gates = { use = "canary", min_soak_s = 600 }

[[step]]
id = "pos-canary-50"
routes = ["pos.*"]
stage = "canary"
percent = 50
gates = { use = "canary" }

[[step]]
id = "pos-platform"
routes = ["pos.*"]
stage = "platform"

[profiles.quick]
min_soak_s = 2
"""


def test_steps_are_cumulative_and_globs_resolve_in_table_order():
    plan = parse_plan(doc(STEPS), ROUTES)
    assert plan.steps[1].routes == ("pos.pull", "pos.ack")
    assert desired_routes(plan, 0)["pos.pull"] == (Stage.LEGACY, None)
    assert desired_routes(plan, 3)["pos.ack"] == (Stage.CANARY, 10.0)
    assert desired_routes(plan, 5)["pos.pull"] == (Stage.PLATFORM, None)
    assert desired_routes(plan, 5)["mp.menu"] == (Stage.LEGACY, None)
    assert desired_sync(plan, 2) == {"forward": True, "reverse": False}
    assert desired_sync(plan, 3) == {"forward": True, "reverse": True}


def test_gate_sets_merge_under_step_gates_and_profiles_replace_only_gated_values():
    plan = parse_plan(doc(STEPS), ROUTES)
    assert plan.steps[2].gates.min_soak_s == 600
    assert plan.steps[2].gates.max_error_rate == 0.01
    assert plan.steps[3].gates.min_soak_s == 60
    quick = parse_plan(doc(STEPS), ROUTES, profile="quick")
    assert quick.steps[2].gates.min_soak_s == 2 and quick.steps[3].gates.min_soak_s == 2
    assert quick.steps[1].gates.min_soak_s is None  # not gated on soak: stays ungated


def test_a_broken_canary_falls_back_to_the_step_before_the_canary_began():
    plan = parse_plan(doc(STEPS), ROUTES)
    assert breach_target(plan, 3) == 2
    assert breach_target(plan, 4) == 2
    assert breach_target(plan, 5) == 2


def test_the_plan_follows_routes_moved_back_outside_it():
    plan = parse_plan(doc(STEPS), ROUTES)
    actual = dict(desired_routes(plan, 4))
    assert follow_back(plan, 4, actual) == 4
    actual["pos.ack"] = (Stage.SHADOW, None)  # the proxy's own gate rolled it back
    assert follow_back(plan, 4, actual) == 2
    changes = route_changes(desired_routes(plan, 2), actual)
    assert [(n, a, b) for n, a, b in changes] == [
        ("pos.pull", (Stage.CANARY, 50.0), (Stage.SHADOW, None))
    ]
    assert rank((Stage.CANARY, 10.0)) < rank((Stage.CANARY, 50.0)) < rank((Stage.PLATFORM, None))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[step]]\nid = "a"\nroutes = ["pos.pull"]\nstage = "canary"\npercent = 5', "jumps"),
        ('[[step]]\nid = "a"\nroutes = ["nope.*"]\nstage = "shadow"', "matches no route"),
        ('[[step]]\nid = "a"\nroutes = ["pos.pull"]\nstage = "canary"', "needs percent"),
        ('[[step]]\nid = "a"\nsync = { reverse = false }', "only be switched on"),
        ('[[step]]\nid = "a"', "does nothing"),
        ('[[step]]\nid = "A b"\nsync = { forward = true }', "id must be"),
        ('[[step]]\nid = "a"\nsync = { forward = true }\ngates = { max_error_rate = 2 }', "share"),
        ('[[step]]\nid = "a"\nsync = { forward = true }\ngates = { soak = 1 }', "unknown gate"),
        ('[[step]]\nid = "a"\nsync = { forward = true }\ngates = { use = "x" }', "gate set"),
        (
            '[[step]]\nid = "a"\nroutes = ["pos.pull"]\nstage = "shadow"\n'
            '[[step]]\nid = "b"\nroutes = ["pos.pull"]\nstage = "shadow"',
            "already at shadow",
        ),
        (
            '[[step]]\nid = "a"\nroutes = ["pos.pull"]\nstage = "shadow"\n'
            '[[step]]\nid = "b"\nroutes = ["pos.pull"]\nstage = "canary"\npercent = 50\n'
            '[[step]]\nid = "c"\nroutes = ["pos.pull"]\nstage = "canary"\npercent = 10',
            "larger share",
        ),
        (
            '[[step]]\nid = "a"\nsync = { forward = true }\n[[step]]\nid = "a"\n'
            "sync = { reverse = true }",
            "used twice",
        ),  # fmt: skip
    ],
)
def test_bad_plans_are_refused_with_the_reason(text: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_plan(doc(text), ROUTES)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ValueError, match="the plan has: quick"):
        parse_plan(doc(STEPS), ROUTES, profile="fast")


def test_gates_validate_their_values():
    assert parse_gates({"data_parity": "orders"}).data_parity == ("orders",)
    with pytest.raises(ValueError, match="whole number"):
        parse_gates({"min_shadow_sample": 1.5})
    with pytest.raises(ValueError, match="must be >= 0"):
        parse_gates({"max_p99_ms": -1})


def test_the_reference_plan_loads_in_the_articles_order():
    names = [r.name for r in parse_table(read_routes_file())]
    plan = load_plan(read_source(), names)
    domains = []
    for step in plan.steps:
        if step.domain not in domains:
            domains.append(step.domain)
    assert domains[0] == "data"
    assert domains[1].startswith("order flows")
    assert domains[2].startswith("mini-program")
    assert domains[3].startswith("stores and menus")
    assert domains[4] == "members"
    final = desired_routes(plan, len(plan.steps))
    assert {n for n, (stage, _) in final.items() if stage is not Stage.PLATFORM} == {"ops.healthz"}
    # reverse sync goes on with the first step that sends stores to the platform
    first_canary = next(i for i, s in enumerate(plan.steps, 1) if s.stage is Stage.CANARY)
    assert desired_sync(plan, first_canary)["reverse"]
    assert not desired_sync(plan, first_canary - 1)["reverse"]
    demo = load_plan(read_source(profile="demo"), names)
    assert all(s.gates.min_soak_s <= 4 for s in demo.steps)


def test_a_plan_file_that_is_wrong_is_a_config_error(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text('[plan]\nname = "x"\n[[step]]\nid = "a"\nroutes = ["zzz"]\nstage = "shadow"\n')
    with pytest.raises(ConfigError, match="matches no route"):
        load_plan(read_source(path), ROUTES)
    with pytest.raises(ConfigError, match="does not exist"):
        read_source(tmp_path / "missing.toml")
    path.write_text("[plan\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_plan(read_source(path), ROUTES)
