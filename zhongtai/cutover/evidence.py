"""What the gates judge (pure values): route figures over the analysis window, data parity,
sync lag and soak, gathered by :mod:`zhongtai.cutover.observe`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RouteObservation:
    """A route's live figures since its last stage change, summed over every proxy."""

    name: str
    stage: str = "legacy"
    percent: float | None = None
    compared: int = 0
    mismatched: int = 0
    platform_requests: int = 0
    platform_errors: int = 0
    platform_p99_ms: float | None = None
    reported_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataObservation:
    """One data-parity run: failing differences per center table (empty when all agree)."""

    failing: Mapping[str, int] = field(default_factory=dict)
    tables: int = 0
    rows: int = 0
    error: str | None = None  # the comparison could not run
    in_flight: int = 0  # differences seen once only: rows moving while they were compared

    @property
    def ok(self) -> bool:
        return self.error is None and not any(self.failing.values())


@dataclass(frozen=True)
class Observation:
    routes: Mapping[str, RouteObservation] = field(default_factory=dict)
    soak_s: float = 0.0
    sync_on: Mapping[str, bool] = field(default_factory=dict)
    sync_lag_s: Mapping[str, float | None] = field(default_factory=dict)
    data: DataObservation | None = None  # None: not checked in this evaluation
