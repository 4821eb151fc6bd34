"""Advance, rollback, retry and the watch over a real state database (SQLite).

The proxies' figures are planted the way a proxy process writes them (a snapshot per
process in the state database), so the gates read exactly what they read in production.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zhongtai.config import load_settings
from zhongtai.cutover import operations
from zhongtai.cutover.store import PlanMoveError
from zhongtai.cutover.watch import tick
from zhongtai.db import create_engine
from zhongtai.errors import ConfigError
from zhongtai.strangler.figures import RouteFigures
from zhongtai.strangler.operations import open_state
from zhongtai.strangler.records import Records

PLAN = """
[plan]
name = "pos-only"

[[step]]
id = "pos-shadow"
routes = ["pos.pull", "pos.ack"]
stage = "shadow"
gates = { min_shadow_sample = 20, max_mismatch_rate = 0.1, min_route_sample = 5 }

[[step]]
id = "pos-canary"
routes = ["pos.pull", "pos.ack"]
stage = "canary"
percent = 50
gates = { max_error_rate = 0.1, min_route_sample = 5, min_platform_requests = 10 }

[[step]]
id = "pos-platform"
routes = ["pos.pull", "pos.ack"]
stage = "platform"
gates = { min_soak_s = 0 }

[profiles.slow]
min_soak_s = 3600
"""


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings(tmp_path / "ws", env={}, cwd=tmp_path)


@pytest.fixture
def plan_file(tmp_path: Path) -> str:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return str(path)


def stages(settings) -> dict[str, tuple]:
    with open_state(settings) as (store, _):
        return {r.name: (r.stage.value, r.percent) for r in store.load_table().routes}


def plant(settings, route: str, *, compared=0, mismatched=0, requests=0, errors=0) -> None:
    """Figures for ``route``'s current revision, as a proxy process would save them."""
    with open_state(settings) as (store, _):
        revision = next(r.revision for r in store.load_table().routes if r.name == route)
    engine = create_engine(settings.database("state"))
    try:
        records = Records(engine)
        book = {}
        for snapshot in records.snapshots():
            book.update(snapshot)
        fig = RouteFigures(revision)
        fig.compared, fig.mismatched = compared, mismatched
        for i in range(requests):
            fig.sides["platform"].observe(0.01, error=i < errors)
        book[route] = fig.to_dict()
        records.save_snapshot("test-proxy", book)
    finally:
        engine.dispose()


def test_advance_holds_until_the_gates_hold_and_says_by_how_much(settings, plan_file):
    result, _ = operations.advance(settings, why="begin", plan_file=plan_file)
    assert result.moved and result.to_step == 1
    assert stages(settings)["pos.pull"] == ("shadow", None)
    assert stages(settings)["mp.menu"] == ("legacy", None)

    plant(settings, "pos.pull", compared=6, mismatched=0)
    held, _ = operations.advance(settings, why="try")
    assert held.action == "hold" and not held.moved
    sample = next(v for v in held.verdicts if v.gate == "min_shadow_sample")
    assert sample.status == "wait" and sample.by == "14 short"
    assert stages(settings)["pos.pull"] == ("shadow", None)

    plant(settings, "pos.ack", compared=20, mismatched=8)
    held, _ = operations.advance(settings, why="try again")
    failing = [v for v in held.verdicts if v.status == "fail"]
    assert {(v.subject, v.by) for v in failing} == {("pos.ack", "+30.0 points"),
                                                    ("step", "+20.8 points")}  # fmt: skip

    plant(settings, "pos.ack", compared=20, mismatched=1)
    dry, _ = operations.advance(settings, why="look", dry_run=True)
    assert dry.action == "advance" and not dry.moved
    assert {c["to"] for c in dry.changes} == {"canary 50%"}
    assert stages(settings)["pos.ack"] == ("shadow", None)

    moved, _ = operations.advance(settings, why="shadow is clean")
    assert moved.moved and stages(settings)["pos.ack"] == ("canary", 50.0)
    entry = operations.history(settings)[0]
    assert (entry.action, entry.from_step, entry.to_step, entry.why) == (
        "advance", 1, 2, "shadow is clean",
    )  # fmt: skip
    assert entry.who and any(v["gate"] == "min_shadow_sample" for v in entry.verdicts)
    assert {c["route"] for c in entry.changes} == {"pos.pull", "pos.ack"}


def test_the_watch_rolls_a_broken_canary_back_and_records_why(settings, plan_file):
    operations.advance(settings, why="begin", plan_file=plan_file)
    plant(settings, "pos.pull", compared=30)
    operations.advance(settings, why="to canary")
    assert tick(settings, who="watch").action == "watching"

    plant(settings, "pos.pull", requests=30, errors=12)
    result = tick(settings, who="watch (automatic)")
    assert result.action == "rollback" and result.result.to_step == 1
    assert stages(settings)["pos.pull"] == ("shadow", None)
    assert stages(settings)["pos.ack"] == ("shadow", None)
    entry = operations.history(settings)[0]
    assert entry.automatic and entry.who == "watch (automatic)"
    assert "platform error rate 40.0% (12/30)" in entry.why and "+30.0 points" in entry.why
    assert any(v["gate"] == "max_error_rate" and v["status"] == "fail" for v in entry.verdicts)


def test_the_plan_follows_a_route_the_proxy_rolled_back(settings, plan_file):
    operations.advance(settings, why="begin", plan_file=plan_file)
    plant(settings, "pos.pull", compared=30)
    operations.advance(settings, why="to canary")
    with open_state(settings) as (store, _):
        route = next(r for r in store.load_table().routes if r.name == "pos.ack")
        store.auto_rollback("pos.ack", route.revision, who="proxy", why="errors 50%", figures={})
    with pytest.raises(PlanMoveError, match="not where the plan left them"):
        operations.advance(settings, why="blind")
    result = tick(settings, who="watch")
    assert result.action == "rollback" and result.result.to_step == 1
    assert stages(settings)["pos.pull"] == ("shadow", None)
    entry = operations.history(settings)[0]
    assert entry.automatic and "pos.ack by proxy: errors 50%" in entry.why


def test_rollback_is_never_gated_and_retry_restarts_the_window(settings, plan_file):
    with pytest.raises(PlanMoveError, match="not started"):
        operations.rollback(settings, why="nothing yet")
    operations.advance(settings, why="begin", plan_file=plan_file)
    plant(settings, "pos.pull", compared=30, mismatched=20)  # the gates fail badly
    result, _ = operations.rollback(settings, why="changed our mind")
    assert result.moved and result.to_step == 0
    assert stages(settings)["pos.pull"] == ("legacy", None)
    with pytest.raises(PlanMoveError, match="needs a reason"):
        operations.advance(settings, why="  ")

    operations.advance(settings, why="again")
    plant(settings, "pos.pull", compared=30, mismatched=20)
    held, _ = operations.advance(settings, why="no")
    assert held.action == "hold"
    retried, _ = operations.retry(settings, why="fixed the comparison policy")
    assert retried.moved and operations.history(settings)[0].action == "retry"
    plant(settings, "pos.pull", compared=55, mismatched=21)  # 25 new pairs, one differs
    moved, _ = operations.advance(settings, why="clean since the fix")
    assert moved.moved and moved.to_step == 2


def test_a_plan_under_way_is_pinned(settings, plan_file):
    operations.advance(settings, why="begin", plan_file=plan_file)
    with pytest.raises(ConfigError, match="cannot take over halfway"):
        operations.show(settings, profile="slow")
    view = operations.show(settings)
    assert view.plan.name == "pos-only" and view.state.step == 1
    assert view.as_dict()["steps"][0]["routes"] == ["pos.pull", "pos.ack"]


def test_two_movers_from_the_same_step_cannot_both_move(settings, plan_file):
    from zhongtai.cutover import moves

    operations.advance(settings, why="begin", plan_file=plan_file)
    plant(settings, "pos.pull", compared=30)
    with moves.session(settings) as first, moves.session(settings) as second:
        moves.rollback(first, why="operator A", who="a")
        with pytest.raises(PlanMoveError, match="moved by someone else"):
            moves.rollback(second, why="operator B, from a stale view", who="b")
    assert [(e.who, e.action) for e in operations.history(settings)][0] == ("a", "rollback")
    assert len(operations.history(settings)) == 2  # begin, A's rollback: B wrote nothing
