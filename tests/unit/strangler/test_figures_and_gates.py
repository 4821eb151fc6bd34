import pytest

from zhongtai.strangler.figures import FigureBook, RouteFigures, SideFigures, combine
from zhongtai.strangler.gates import Gates, enforce, evaluate, parse_gates
from zhongtai.strangler.prometheus import render
from zhongtai.strangler.routes import RouteTable, parse_route


def test_quantiles_come_back_from_the_histogram():
    side = SideFigures()
    for ms in range(1, 101):  # 1..100 ms
        side.observe(ms / 1000)
    assert side.quantile(0.5) == pytest.approx(0.05, rel=0.25)
    assert side.quantile(0.99) == pytest.approx(0.099, rel=0.35)
    assert SideFigures().quantile(0.5) is None
    side.observe(99.0, error=True)  # beyond the last bucket
    assert side.errors == 1 and side.quantile(1.0) >= 30


def test_books_reset_on_a_new_revision_and_merge_across_processes():
    book = FigureBook()
    book.route("r", 1).sides["legacy"].observe(0.01)
    assert book.route("r", 1).sides["legacy"].requests == 1
    assert book.route("r", 2).sides["legacy"].requests == 0  # the stage changed: start over
    a, b = FigureBook(), FigureBook()
    for book, n in ((a, 2), (b, 3)):
        fig = book.route("r", 7)
        fig.compared, fig.mismatched = n, 1
        fig.count_fields(["data.x", "data.x"], noise=False)
    old = FigureBook()
    old.route("r", 6).compared = 100
    merged = combine([a.to_dict(), b.to_dict(), old.to_dict()], {"r": 7})["r"]
    assert (merged.compared, merged.mismatched, merged.raw_fields) == (5, 2, {"data.x": 2})
    assert RouteFigures.from_dict(merged.to_dict()).to_dict() == merged.to_dict()


def canary_figures(requests=0, errors=0, compared=0, mismatched=0, revision=3) -> RouteFigures:
    fig = RouteFigures(revision)
    for i in range(requests):
        fig.sides["platform"].observe(0.01, error=i < errors)
    fig.compared, fig.mismatched = compared, mismatched
    return fig


def test_gates_judge_only_with_enough_observations():
    gates = Gates(max_error_rate=0.05, max_mismatch_rate=0.1, min_requests=20)
    assert not evaluate(canary_figures(requests=19, errors=19), gates).breached
    check = evaluate(canary_figures(requests=20, errors=2), gates)
    assert check.breached and "10.0% (2/20) > gate 5.0%" in check.reasons[0]
    assert check.figures["error_rate"] == 0.1 and check.figures["platform_requests"] == 20
    assert not evaluate(canary_figures(requests=100, errors=5), gates).breached  # 5% is allowed
    check = evaluate(canary_figures(compared=40, mismatched=5), gates)
    assert check.breached and "mismatch rate 12.5%" in check.reasons[0]


class FakeStore:
    """The one method gates.enforce needs, recording what it was asked."""

    def __init__(self):
        self.calls = []

    def auto_rollback(self, name, revision, *, who, why, figures):
        self.calls.append((name, revision, why, figures))
        return True


def test_enforce_rolls_back_only_breaking_canaries_of_the_current_revision():
    def route(name, stage, percent=None):
        r = parse_route({"name": name, "path": f"/{name}", "gates": {"min_requests": 5}})
        return r.with_state(stage, percent, 3)

    table = RouteTable([route("a", "canary", 10), route("b", "canary", 10), route("c", "shadow"),
                        route("d", "canary", 10)])  # fmt: skip
    figures = {
        "a": canary_figures(requests=10, errors=10),
        "b": canary_figures(requests=10, errors=0),
        "c": canary_figures(requests=10, errors=10),
        "d": canary_figures(requests=10, errors=10, revision=2),  # judged an older stage
    }
    store = FakeStore()
    assert enforce(store, table, figures, who="proxy") == ["a"]
    (name, revision, why, figs) = store.calls[0]
    assert (name, revision) == ("a", 3) and why.startswith("automatic rollback: platform error")
    assert figs["platform_errors"] == 10


def test_parse_gates_validates():
    assert parse_gates({"min_requests": 3}).max_error_rate == 0.05
    with pytest.raises(ValueError, match="unknown gate"):
        parse_gates({"max_p99": 1})


def test_prometheus_text_carries_every_family_with_labels():
    route = parse_route({"name": "mp.order", "path": "/o/{n}"}).with_state("canary", 25.0, 4)
    table = RouteTable([route])
    book = FigureBook()
    fig = book.route("mp.order", 4)
    fig.sides["platform"].observe(0.02, error=True)
    fig.dropped = 2
    fig.count_unknown("meituan_poi", "mt_x")
    text = render(table, {"mp.order": fig})
    assert 'zhongtai_route_stage{route="mp.order",stage="canary"} 1' in text
    assert 'zhongtai_route_canary_percent{route="mp.order"} 25' in text
    assert 'zhongtai_errors_total{route="mp.order",side="platform",revision="4"} 1' in text
    bucket = 'zhongtai_request_duration_seconds_bucket{route="mp.order",side="platform",'
    assert bucket + 'revision="4",le="+Inf"} 1' in text
    assert 'zhongtai_shadow_dropped_total{route="mp.order",revision="4"} 2' in text
    assert 'zhongtai_unknown_store_keys_total{route="mp.order",revision="4"} 1' in text
    assert text.count("# TYPE") == 11 and text.endswith("\n")
