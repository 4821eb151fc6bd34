"""Live figures per route and side (pure): counts, errors, latency histogram, mismatches.

Figures count *since the route's current revision* (its last stage change), so a gate judges
the canary it is guarding and not what came before. Latencies go into fixed histogram buckets,
which merge exactly across proxy processes; p50/p99 are read back by interpolation.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Upper bounds in seconds; a final +Inf bucket is implied.
BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0015,
    0.002,
    0.003,
    0.004,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.15,
    0.2,
    0.3,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    3.0,
    5.0,
    10.0,
    30.0,
)
SIDES = ("legacy", "platform")
COUNTERS = ("compared", "mismatched", "aa_samples", "dropped", "fallbacks", "unknown_keys")
MAX_FIELDS = 200  # per route, so a field-name explosion cannot eat memory
MAX_UNKNOWN_EXAMPLES = 20  # per route: which unknown store identifiers were seen


@dataclass
class SideFigures:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))

    def observe(self, seconds: float, *, error: bool = False) -> None:
        self.requests += 1
        self.errors += int(error)
        self.seconds += seconds
        self.buckets[bisect_left(BUCKETS, seconds)] += 1  # the first bound >= seconds, or +Inf

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def quantile(self, q: float) -> float | None:
        """Estimated ``q`` quantile in seconds (None with no requests)."""
        total = sum(self.buckets)
        if not total:
            return None
        rank, seen = q * total, 0
        for i, count in enumerate(self.buckets):
            if count and seen + count >= rank:
                low = BUCKETS[i - 1] if i else 0.0
                high = BUCKETS[i] if i < len(BUCKETS) else BUCKETS[-1] * 2
                return low + (high - low) * max(rank - seen, 0) / count
            seen += count
        return BUCKETS[-1]

    def merge(self, other: SideFigures) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]

    def to_dict(self) -> dict:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": self.seconds,
            "buckets": list(self.buckets),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> SideFigures:
        buckets = list(d.get("buckets") or [])
        if len(buckets) != len(BUCKETS) + 1:  # written by a version with other buckets
            buckets = [0] * len(BUCKETS) + [int(d.get("requests", 0))]
        return cls(int(d["requests"]), int(d["errors"]), float(d["seconds"]), buckets)


@dataclass
class RouteFigures:
    revision: int
    stage: str = ""
    sides: dict[str, SideFigures] = field(default_factory=lambda: {s: SideFigures() for s in SIDES})
    compared: int = 0  # legacy-vs-platform pairs compared
    mismatched: int = 0  # pairs with at least one field beyond noise
    aa_samples: int = 0  # legacy-vs-legacy pairs compared
    dropped: int = 0  # shadows not sent because the shadow pool was full
    fallbacks: int = 0  # canary reads answered by legacy after the platform failed
    unknown_keys: int = 0  # store identifiers the store key directory did not know
    unknown_examples: dict[str, int] = field(default_factory=dict)  # "kind:value" → count
    raw_fields: dict[str, int] = field(default_factory=dict)
    noise_fields: dict[str, int] = field(default_factory=dict)

    @property
    def mismatch_rate(self) -> float:
        return self.mismatched / self.compared if self.compared else 0.0

    def count_fields(self, paths: Iterable[str], *, noise: bool) -> None:
        target = self.noise_fields if noise else self.raw_fields
        for p in set(paths):
            if p in target or len(target) < MAX_FIELDS:
                target[p] = target.get(p, 0) + 1

    def count_unknown(self, kind: str, value: str) -> None:
        self.unknown_keys += 1
        label = f"{kind}:{value}"
        if label in self.unknown_examples or len(self.unknown_examples) < MAX_UNKNOWN_EXAMPLES:
            self.unknown_examples[label] = self.unknown_examples.get(label, 0) + 1

    def merge(self, other: RouteFigures) -> None:
        for name, side in other.sides.items():
            self.sides.setdefault(name, SideFigures()).merge(side)
        for attr in COUNTERS:
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        for mine, theirs in (
            (self.raw_fields, other.raw_fields),
            (self.noise_fields, other.noise_fields),
            (self.unknown_examples, other.unknown_examples),
        ):
            for p, n in theirs.items():
                mine[p] = mine.get(p, 0) + n

    def to_dict(self) -> dict:
        return {
            "revision": self.revision,
            "stage": self.stage,
            "sides": {k: v.to_dict() for k, v in self.sides.items()},
            "compared": self.compared,
            "mismatched": self.mismatched,
            "aa_samples": self.aa_samples,
            "dropped": self.dropped,
            "fallbacks": self.fallbacks,
            "unknown_keys": self.unknown_keys,
            "unknown_examples": dict(self.unknown_examples),
            "raw_fields": dict(self.raw_fields),
            "noise_fields": dict(self.noise_fields),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> RouteFigures:
        fig = cls(int(d["revision"]), str(d.get("stage", "")))
        fig.sides = {k: SideFigures.from_dict(v) for k, v in d.get("sides", {}).items()}
        for attr in COUNTERS:
            setattr(fig, attr, int(d.get(attr, 0)))
        fig.raw_fields = {k: int(v) for k, v in d.get("raw_fields", {}).items()}
        fig.noise_fields = {k: int(v) for k, v in d.get("noise_fields", {}).items()}
        fig.unknown_examples = {k: int(v) for k, v in d.get("unknown_examples", {}).items()}
        return fig


class FigureBook:
    """One process's figures; a route's entry starts over when its revision changes."""

    def __init__(self) -> None:
        self.routes: dict[str, RouteFigures] = {}

    def route(self, name: str, revision: int, stage: str = "") -> RouteFigures:
        fig = self.routes.get(name)
        if fig is None or fig.revision != revision:
            fig = self.routes[name] = RouteFigures(revision, stage)
        return fig

    def to_dict(self) -> dict:
        return {name: fig.to_dict() for name, fig in self.routes.items()}


def combine(books: Iterable[Mapping], revisions: Mapping[str, int]) -> dict[str, RouteFigures]:
    """Sum several processes' books, keeping only figures of each route's current revision."""
    out: dict[str, RouteFigures] = {}
    for book in books:
        for name, data in book.items():
            fig = RouteFigures.from_dict(data)
            if revisions.get(name) != fig.revision:
                continue
            if name in out:
                out[name].merge(fig)
            else:
                out[name] = fig
    return out
