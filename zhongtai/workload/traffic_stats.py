"""Counting a traffic run: requests, errors and latency per kind, and the summary (pure).

Request kinds are ``<client>.<what>`` (``meituan.new``, ``pos.ack``, ``mp.pay_notify``), so
figures roll up per client kind too. Latency is measured from the *scheduled* arrival time,
which charges a late start (a backed-up generator or connection pool) to the target.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_ERROR_SAMPLES = 20


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks.

    Matches numpy's default method; NaN for an empty sequence.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q!r} is not between 0 and 100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def client_of(kind: str) -> str:
    return kind.split(".", 1)[0]


class StatsRecorder:
    """Accumulates what each request did; ``summary`` turns it into a TrafficSummary."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[dict] = []

    def record(self, kind: str, latency_s: float, *, error: str | None = None) -> None:
        """One finished request; ``error`` describes what was wrong, None if it was fine."""
        self.latencies[kind].append(latency_s)
        if error is not None:
            self.errors[kind] += 1
            if len(self.samples) < MAX_ERROR_SAMPLES:
                self.samples.append({"kind": kind, "error": error[:300]})

    def note_error(self, kind: str, error: str) -> None:
        """An error found after the request itself succeeded (e.g. a pull that lost an order)."""
        self.errors[kind] += 1
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append({"kind": kind, "error": error[:300]})

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def _latency(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
    }


@dataclass
class TrafficSummary:
    """What a traffic run did. ``errors`` is the total of unexpected errors (0 = clean run)."""

    target: str
    rps: float
    duration: float
    seed: int
    run_id: str
    elapsed: float
    requests: dict[str, int]
    errors_by_kind: dict[str, int]
    latency: dict[str, dict[str, float]]  # per kind, plus "all"
    dropped: int = 0
    acked_log: str = ""
    acked_writes: int = 0
    lost_pushes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error_samples: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(self.errors_by_kind.values())

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def achieved_rps(self) -> float:
        return self.total_requests / self.elapsed if self.elapsed > 0 else 0.0

    def by_client(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for kind, n in self.requests.items():
            out[client_of(kind)] += n
        return dict(out)

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "run_id": self.run_id,
            "seed": self.seed,
            "rps": self.rps,
            "duration_s": self.duration,
            "elapsed_s": round(self.elapsed, 3),
            "achieved_rps": round(self.achieved_rps, 2),
            "total_requests": self.total_requests,
            "errors": self.errors,
            "dropped": self.dropped,
            "requests": dict(sorted(self.requests.items())),
            "requests_by_client": dict(sorted(self.by_client().items())),
            "errors_by_kind": dict(sorted(self.errors_by_kind.items())),
            "latency": self.latency,
            "acked_log": self.acked_log,
            "acked_writes": self.acked_writes,
            "lost_pushes": self.lost_pushes,
            "notes": self.notes,
            "error_samples": self.error_samples,
        }


def summarize(recorder: StatsRecorder, *, elapsed: float, **fields) -> TrafficSummary:
    """Freeze a recorder into a summary; ``fields`` fill the remaining TrafficSummary fields."""
    latency = {kind: _latency(v) for kind, v in sorted(recorder.latencies.items()) if v}
    every = [x for v in recorder.latencies.values() for x in v]
    if every:
        latency["all"] = _latency(every)
    return TrafficSummary(
        elapsed=elapsed,
        requests={k: len(v) for k, v in sorted(recorder.latencies.items())},
        errors_by_kind={k: n for k, n in sorted(recorder.errors.items()) if n},
        latency=latency,
        error_samples=list(recorder.samples),
        **fields,
    )
