"""Prometheus text exposition of the proxy's figures (pure).

Counters count since a route's current revision; the ``revision`` label makes every stage
change a new series, so each series only ever goes up.
"""

from __future__ import annotations

from collections.abc import Mapping

from zhongtai.strangler.figures import BUCKETS, RouteFigures
from zhongtai.strangler.routes import RouteTable
from zhongtai.strangler.stages import LADDER


def _labels(**labels: object) -> str:
    def esc(v: object) -> str:
        return str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in labels.items()) + "}"


def render(table: RouteTable, figures: Mapping[str, RouteFigures]) -> str:
    """The text a Prometheus scrape of ``/_zhongtai/metrics`` returns."""
    out: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")

    family("zhongtai_route_stage", "gauge", "1 for the stage each route is at.")
    for route in table.routes:
        for stage in LADDER:
            value = int(route.stage is stage)
            out.append(
                f"zhongtai_route_stage{_labels(route=route.name, stage=stage.value)} {value}"
            )
    family("zhongtai_route_canary_percent", "gauge", "Share of keys sent to the platform.")
    for route in table.routes:
        out.append(
            f"zhongtai_route_canary_percent{_labels(route=route.name)} {route.percent or 0:g}"
        )

    sides = [(n, f, s, side) for n, f in sorted(figures.items()) for s, side in f.sides.items()]
    family("zhongtai_requests_total", "counter", "Requests per route and side since the revision.")
    for name, fig, s, side in sides:
        lbl = _labels(route=name, side=s, revision=fig.revision)
        out.append(f"zhongtai_requests_total{lbl} {side.requests}")
    family("zhongtai_errors_total", "counter", "5xx answers and unreachable upstreams.")
    for name, fig, s, side in sides:
        lbl = _labels(route=name, side=s, revision=fig.revision)
        out.append(f"zhongtai_errors_total{lbl} {side.errors}")
    family("zhongtai_request_duration_seconds", "histogram", "Upstream latency per side.")
    for name, fig, s, side in sides:
        cumulative = 0
        for bound, count in zip((*BUCKETS, float("inf")), side.buckets, strict=True):
            cumulative += count
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            lbl = _labels(route=name, side=s, revision=fig.revision, le=le)
            out.append(f"zhongtai_request_duration_seconds_bucket{lbl} {cumulative}")
        lbl = _labels(route=name, side=s, revision=fig.revision)
        out.append(f"zhongtai_request_duration_seconds_sum{lbl} {side.seconds:.6f}")
        out.append(f"zhongtai_request_duration_seconds_count{lbl} {side.requests}")
    for metric, attr, text in (
        ("zhongtai_shadow_compared_total", "compared", "Legacy-vs-platform pairs compared."),
        ("zhongtai_shadow_mismatched_total", "mismatched", "Pairs differing beyond noise."),
        ("zhongtai_shadow_aa_samples_total", "aa_samples", "Legacy-vs-legacy noise samples."),
        ("zhongtai_shadow_dropped_total", "dropped", "Shadows dropped: the pool was full."),
        ("zhongtai_fallbacks_total", "fallbacks", "Canary reads answered by legacy instead."),
        ("zhongtai_unknown_store_keys_total", "unknown_keys", "Store ids the directory lacked."),
    ):
        family(metric, "counter", text)
        for name, fig in sorted(figures.items()):
            out.append(f"{metric}{_labels(route=name, revision=fig.revision)} {getattr(fig, attr)}")
    return "\n".join(out) + "\n"
