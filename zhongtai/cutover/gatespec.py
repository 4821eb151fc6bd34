"""A step's gates as a plan file states them (pure): names, kinds of value, per-route limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StepGates:
    """What must hold before the plan leaves a step (None: not gated)."""

    min_shadow_sample: int | None = None  # legacy-vs-platform pairs compared, step routes summed
    min_platform_requests: int | None = None  # platform-side requests, step routes summed
    max_mismatch_rate: float | None = None  # share of compared pairs differing beyond noise
    max_error_rate: float | None = None  # platform 5xx or unreachable, share of its requests
    max_p99_ms: float | None = None  # platform-side p99 latency
    data_parity: tuple[str, ...] = ()  # mappings or groups compared; none may differ
    max_sync_lag_s: float | None = None  # every sync direction that is on
    min_soak_s: float | None = None  # time spent in the step
    min_route_sample: int = 20  # below this a single route's rates are judged only in the sum
    failure_limit: int = 0  # consecutive breached watch checks tolerated before rolling back
    per_route: tuple[tuple[str, str, float], ...] = ()  # (route, gate, limit) of its own

    def as_dict(self) -> dict:
        d = {k: v for k, v in vars(self).items() if v is not None}
        d["data_parity"] = list(self.data_parity)
        d["per_route"] = [{"route": r, "gate": g, "limit": v} for r, g, v in self.per_route]
        return d

    def own_limit(self, route: str, gate: str) -> float | None:
        """The limit ``route`` has of its own for ``gate`` (judged apart from the sum)."""
        return next((v for r, g, v in self.per_route if r == route and g == gate), None)


_INTS = ("min_shadow_sample", "min_platform_requests", "min_route_sample", "failure_limit")
_SHARES = ("max_mismatch_rate", "max_error_rate")
_SECONDS = ("max_p99_ms", "max_sync_lag_s", "min_soak_s")
GATE_NAMES = tuple(n for n in StepGates.__dataclass_fields__ if n != "per_route")
ROUTE_GATES = ("max_mismatch_rate", "max_error_rate", "max_p99_ms")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"gate {name} must be a number, got {value!r}")
    return float(value)


def parse_gates(data: Mapping) -> StepGates:
    """Gates from a TOML table; ValueError names the bad gate and value."""
    unknown = sorted(set(data) - set(GATE_NAMES))
    if unknown:
        raise ValueError(f"unknown gate(s) {unknown}; known: {', '.join(GATE_NAMES)}")
    values: dict[str, object] = {}
    for name, value in data.items():
        if name in _INTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"gate {name} must be a whole number >= 0, got {value!r}")
            values[name] = value
        elif name in _SHARES:
            share = _number(name, value)
            if not 0 <= share <= 1:
                raise ValueError(f"gate {name} is a share between 0 and 1, got {value!r}")
            values[name] = share
        elif name in _SECONDS:
            amount = _number(name, value)
            if amount < 0:
                raise ValueError(f"gate {name} must be >= 0, got {value!r}")
            values[name] = amount
        else:  # data_parity
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(f"gate data_parity lists mapping names, got {value!r}")
            values[name] = tuple(value)
    return StepGates(**values)
