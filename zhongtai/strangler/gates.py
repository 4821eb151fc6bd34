"""Canary gates: judge a route's live figures, and roll the route back when a gate breaks.

``evaluate`` is pure. ``enforce`` is the edge the proxy's control loop calls about once a
second: for every canary route whose figures (summed over all proxy processes) break a gate,
it moves the route back to shadow with an audit record carrying the figures. The state store
makes that move conditional on the route's revision, so when several processes see the same
breach only one rollback happens.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from zhongtai.strangler.figures import RouteFigures

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gates:
    max_error_rate: float = 0.05  # platform 5xx + unreachable, as a share of platform requests
    max_mismatch_rate: float = 0.10  # compared pairs differing beyond noise
    min_requests: int = 20  # below this many observations a rate is not judged

    def as_dict(self) -> dict:
        return {
            "max_error_rate": self.max_error_rate,
            "max_mismatch_rate": self.max_mismatch_rate,
            "min_requests": self.min_requests,
        }


def parse_gates(data: Mapping) -> Gates:
    """Gates from a mapping (a TOML table); ValueError names the bad value."""
    unknown = set(data) - set(Gates.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown gate(s) {sorted(unknown)}; known: {list(Gates().as_dict())}")
    values = {**Gates().as_dict(), **data}
    for name in ("max_error_rate", "max_mismatch_rate"):
        v = values[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ValueError(f"gates.{name} must be a share between 0 and 1, got {v!r}")
    n = values["min_requests"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"gates.min_requests must be an integer >= 1, got {n!r}")
    return Gates(float(values["max_error_rate"]), float(values["max_mismatch_rate"]), n)


@dataclass(frozen=True)
class GateCheck:
    breached: bool
    reasons: tuple[str, ...]
    figures: dict


def evaluate(fig: RouteFigures, gates: Gates) -> GateCheck:
    """Does ``fig`` break ``gates``? The figures and the reasons come back for the audit."""
    platform = fig.sides.get("platform")
    requests = platform.requests if platform else 0
    errors = platform.errors if platform else 0
    error_rate = errors / requests if requests else 0.0
    figures = {
        "platform_requests": requests,
        "platform_errors": errors,
        "error_rate": round(error_rate, 4),
        "compared": fig.compared,
        "mismatched": fig.mismatched,
        "mismatch_rate": round(fig.mismatch_rate, 4),
        "gates": gates.as_dict(),
    }
    reasons = []
    if requests >= gates.min_requests and error_rate > gates.max_error_rate:
        reasons.append(
            f"platform error rate {error_rate:.1%} ({errors}/{requests}) "
            f"> gate {gates.max_error_rate:.1%}"
        )
    if fig.compared >= gates.min_requests and fig.mismatch_rate > gates.max_mismatch_rate:
        reasons.append(
            f"mismatch rate {fig.mismatch_rate:.1%} ({fig.mismatched}/{fig.compared}) "
            f"> gate {gates.max_mismatch_rate:.1%}"
        )
    return GateCheck(bool(reasons), tuple(reasons), figures)


def enforce(store, table, figures: Mapping[str, RouteFigures], *, who: str) -> list[str]:
    """Roll back every canary route of ``table`` whose figures break its gates.

    Returns the names of the routes this call rolled back.
    """
    rolled = []
    for route in table.routes:
        fig = figures.get(route.name)
        if route.stage != "canary" or fig is None or fig.revision != route.revision:
            continue
        check = evaluate(fig, route.gates)
        if not check.breached:
            continue
        why = "automatic rollback: " + "; ".join(check.reasons)
        if store.auto_rollback(route.name, route.revision, who=who, why=why, figures=check.figures):
            logger.warning("rolled back %s: %s", route.name, why)
            rolled.append(route.name)
    return rolled
