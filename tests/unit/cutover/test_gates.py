"""Gate evaluation: verdicts with figures and by how much a gate misses; analysis windows."""

from __future__ import annotations

from zhongtai.cutover.evidence import DataObservation, Observation, RouteObservation
from zhongtai.cutover.gates import (
    blocking,
    breaches,
    evaluate,
    holds,
)
from zhongtai.cutover.gatespec import StepGates
from zhongtai.cutover.observe import since
from zhongtai.strangler.figures import RouteFigures

ROUTES = ("pos.pull", "pos.ack")


def obs(*routes: RouteObservation, **kw) -> Observation:
    return Observation(routes={r.name: r for r in routes}, **kw)


def by_gate(verdicts, gate, subject="step"):
    return next(v for v in verdicts if v.gate == gate and v.subject == subject)


def test_minimums_wait_and_say_how_far_they_are():
    gates = StepGates(min_soak_s=60, min_shadow_sample=200, min_platform_requests=50)
    seen = obs(
        RouteObservation("pos.pull", compared=30, platform_requests=30),
        RouteObservation("pos.ack", compared=8, platform_requests=30),
        soak_s=12.4,
    )
    verdicts = evaluate(gates, ROUTES, seen)
    soak = by_gate(verdicts, "min_soak_s")
    assert (soak.status, soak.by) == ("wait", "48s to go")
    sample = by_gate(verdicts, "min_shadow_sample")
    assert (sample.status, sample.observed, sample.by) == ("wait", 38, "162 short")
    assert by_gate(verdicts, "min_platform_requests").status == "pass"
    assert not holds(verdicts) and not breaches(verdicts)


def test_rates_fail_with_the_excess_in_points_per_route_and_in_the_sum():
    gates = StepGates(max_mismatch_rate=0.02, max_error_rate=0.01, min_route_sample=20)
    seen = obs(
        RouteObservation("pos.pull", compared=100, mismatched=1, platform_requests=100),
        RouteObservation(
            "pos.ack", compared=50, mismatched=9, platform_requests=50, platform_errors=5
        ),  # fmt: skip
    )
    verdicts = evaluate(gates, ROUTES, seen)
    ack = by_gate(verdicts, "max_mismatch_rate", "pos.ack")
    assert ack.status == "fail" and ack.observed == 0.18 and ack.by == "+16.0 points"
    assert "9/50" in ack.message
    assert by_gate(verdicts, "max_mismatch_rate", "pos.pull").status == "pass"
    total = by_gate(verdicts, "max_mismatch_rate")
    assert total.status == "fail" and total.observed == round(10 / 150, 4)
    errors = by_gate(verdicts, "max_error_rate", "pos.ack")
    assert errors.status == "fail" and errors.by == "+9.0 points"
    assert {v.gate for v in breaches(verdicts)} == {"max_mismatch_rate", "max_error_rate"}


def test_quiet_routes_are_judged_only_in_the_sum():
    gates = StepGates(max_error_rate=0.05, min_route_sample=20)
    seen = obs(
        RouteObservation("pos.pull", platform_requests=15, platform_errors=15),
        RouteObservation("pos.ack", platform_requests=10),
    )
    verdicts = evaluate(gates, ROUTES, seen)
    assert [v.subject for v in verdicts] == ["step"]  # no per-route verdict below 20
    assert verdicts[0].status == "fail" and verdicts[0].observed == 0.6
    few = evaluate(gates, ROUTES, obs(RouteObservation("pos.pull", platform_requests=3)))
    assert few[0].status == "skip" and holds(few)


def test_p99_is_judged_per_route_with_enough_platform_requests():
    gates = StepGates(max_p99_ms=500, min_route_sample=20)
    seen = obs(
        RouteObservation("pos.pull", platform_requests=40, platform_p99_ms=812.0),
        RouteObservation("pos.ack", platform_requests=40, platform_p99_ms=120.0),
    )
    verdicts = evaluate(gates, ROUTES, seen)
    slow = by_gate(verdicts, "max_p99_ms", "pos.pull")
    assert slow.status == "fail" and slow.by == "+312 ms"
    assert by_gate(verdicts, "max_p99_ms", "pos.ack").status == "pass"
    quiet = evaluate(gates, ROUTES, obs())
    assert quiet[0].status == "skip"


def test_sync_lag_is_judged_for_each_direction_that_is_on():
    gates = StepGates(max_sync_lag_s=5)
    seen = obs(sync_on={"forward": True, "reverse": True}, sync_lag_s={"forward": 7.5})
    verdicts = evaluate(gates, (), seen)
    forward = by_gate(verdicts, "max_sync_lag_s", "forward")
    assert forward.status == "fail" and forward.by == "+2.5s"
    reverse = by_gate(verdicts, "max_sync_lag_s", "reverse")
    assert reverse.status == "wait" and "migrate sync" in reverse.by
    off = evaluate(gates, (), obs(sync_on={"forward": True, "reverse": False},
                                  sync_lag_s={"forward": 0.4}))  # fmt: skip
    assert [(v.subject, v.status) for v in off] == [("forward", "pass")]


def test_data_parity_waits_until_checked_then_counts_failing_differences():
    gates = StepGates(data_parity=("orders",))
    assert evaluate(gates, (), obs())[0].status == "wait"
    bad = obs(data=DataObservation(failing={"order.orders": 3, "order.order_items": 0}, tables=2))
    verdict = evaluate(gates, (), bad)[0]
    assert (
        verdict.status == "fail" and verdict.observed == 3 and "order.orders 3" in verdict.message
    )
    good = obs(data=DataObservation(failing={"order.orders": 0}, tables=1, rows=200))
    assert evaluate(gates, (), good)[0].status == "pass"
    broken = obs(data=DataObservation(error="legacy is not reachable"))
    assert "could not run" in evaluate(gates, (), broken)[0].message
    assert len(blocking(evaluate(gates, (), broken))) == 1


def test_an_analysis_window_counts_only_what_came_after_its_baseline():
    base = RouteFigures(3)
    base.compared, base.mismatched = 100, 40
    for _ in range(10):
        base.sides["platform"].observe(0.004, error=True)
    now = RouteFigures.from_dict(base.to_dict())
    now.compared, now.mismatched = 160, 41
    for _ in range(50):
        now.sides["platform"].observe(0.002)
    window = since(now, base)
    assert (window.compared, window.mismatched) == (60, 1)
    platform = window.sides["platform"]
    assert (platform.requests, platform.errors) == (50, 0)
    assert platform.quantile(0.99) <= 0.002
    moved_on = RouteFigures(4)  # the route changed since: its figures already start afresh
    assert since(moved_on, base) is moved_on


def test_a_rate_over_its_limit_by_chance_waits_for_more_evidence():
    gates = StepGates(max_mismatch_rate=0.02, min_route_sample=15)
    one_in_32 = evaluate(gates, ("pos.cancel",), obs(RouteObservation("pos.cancel", compared=32,
                                                                      mismatched=1)))  # fmt: skip
    verdict = one_in_32[0]
    assert verdict.status == "wait" and "not yet significant" in verdict.message
    assert not breaches(one_in_32) and not holds(one_in_32)
    many = evaluate(gates, ("pos.cancel",), obs(RouteObservation("pos.cancel", compared=3200,
                                                                 mismatched=100)))  # fmt: skip
    assert many[0].status == "fail"  # 3.1% over 3,200 pairs is no accident


def test_a_route_with_a_limit_of_its_own_is_judged_apart_from_the_sum():
    gates = StepGates(max_mismatch_rate=0.02, min_route_sample=10,
                      per_route=(("pos.pull", "max_mismatch_rate", 1.0),))  # fmt: skip
    seen = obs(
        RouteObservation("pos.pull", compared=50, mismatched=25),
        RouteObservation("pos.ack", compared=400, mismatched=2),
    )
    verdicts = evaluate(gates, ROUTES, seen)
    total = by_gate(verdicts, "max_mismatch_rate")
    assert total.status == "pass" and "(2/400)" in total.message
    assert by_gate(verdicts, "max_mismatch_rate", "pos.pull").status == "pass"
    assert holds(verdicts)


def test_only_differences_seen_twice_with_the_same_values_count():
    from datetime import UTC, datetime

    from zhongtai.compare.diff import ColumnDiff, Difference
    from zhongtai.compare.model import DataParity, UnitResult
    from zhongtai.cutover.observe import stable_differences

    def run(*diffs: Difference) -> DataParity:
        unit = UnitResult("order.orders", "ranged", ["orders"])
        for d in diffs:
            unit.counts[d.kind] += 1
        unit.sample = list(diffs)
        return DataParity(datetime.now(UTC), units=[unit])

    wrong = Difference("differs", (7,), (ColumnDiff("pickup_code", None, "1234"),))
    moving = Difference("differs", (9,), (ColumnDiff("main_status", "PAID", "ACCEPTED"),))
    moved_on = Difference("differs", (9,), (ColumnDiff("main_status", "ACCEPTED", "PREPARING"),))
    gone = Difference("missing", (11,), row={"id": 11})
    failing, in_flight = stable_differences(run(wrong, moving, gone), run(wrong, moved_on))
    assert failing == {"order.orders": 1}  # the pickup code, the same both times
    assert in_flight == 3


def test_tables_not_read_again_held_and_count_no_difference():
    from datetime import UTC, datetime

    from zhongtai.compare.diff import ColumnDiff, Difference
    from zhongtai.compare.model import DataParity, UnitResult
    from zhongtai.cutover.observe import stable_differences

    def unit(name: str, *diffs: Difference) -> UnitResult:
        out = UnitResult(name, "ranged", [name.split(".")[0]])
        for d in diffs:
            out.counts[d.kind] += 1
        out.sample = list(diffs)
        return out

    wrong = Difference("differs", (7,), (ColumnDiff("pickup_code", None, "1234"),))
    first = DataParity(datetime.now(UTC), units=[unit("order.orders", wrong), unit("store.store")])
    second = DataParity(datetime.now(UTC), units=[unit("order.orders", wrong)])  # orders only
    failing, in_flight = stable_differences(first, second)
    assert failing == {"order.orders": 1, "store.store": 0}
    assert in_flight == 0
