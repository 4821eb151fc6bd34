"""Gate evaluation (pure): a step's gates and the observed figures in, verdicts out.

Every verdict says which gate, about what (the step's routes summed, one route, a sync
direction, a table), what was seen, the limit, and by how much it misses. A verdict is

* ``pass`` — the gate holds;
* ``fail`` — the figures break it (a rate, a latency, a lag, a data difference);
* ``wait`` — there is not enough evidence yet (sample, soak time, a figure nobody measured);
* ``skip`` — not judged on its own: a route with too few observations is judged only in the
  step's sum, so one quiet route neither blocks nor passes a step by luck.

A step's gates *hold* when no verdict is ``fail`` or ``wait``. The watch rolls a canary back
only on ``fail`` of a health gate (error rate, mismatch rate, p99): waiting is not a fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from zhongtai.cutover.plan import StepGates

HEALTH = ("max_error_rate", "max_mismatch_rate", "max_p99_ms")
STEP = "step"


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


@dataclass(frozen=True)
class Verdict:
    gate: str
    subject: str
    status: str  # pass | fail | wait | skip
    observed: float | int | None
    limit: float | int | None
    message: str
    by: str = ""  # how far from holding, as people say it ("162 short", "+4.2 points")

    @property
    def holds(self) -> bool:
        return self.status in ("pass", "skip")

    def as_dict(self) -> dict:
        return dict(vars(self))


def holds(verdicts: Iterable[Verdict]) -> bool:
    """True when every gate holds."""
    return all(v.holds for v in verdicts)


def blocking(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """The verdicts that stop a step from being left."""
    return [v for v in verdicts if not v.holds]


def breaches(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """Health gates the figures break: what makes the watch roll a canary back."""
    return [v for v in verdicts if v.status == "fail" and v.gate in HEALTH]


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _minimum(
    gate: str, subject: str, what: str, seen: float, need: float, unit: str = ""
) -> Verdict:
    if seen >= need:
        return Verdict(
            gate, subject, "pass", seen, need, f"{what} {seen:g}{unit} >= {need:g}{unit}"
        )
    short = need - seen
    by = f"{short:.0f}{unit} to go" if unit == "s" else f"{short:g} short"
    return Verdict(gate, subject, "wait", seen, need, f"{what} {seen:g}{unit} < {need:g}{unit}", by)


def _rate(
    gate: str, subject: str, what: str, hits: int, total: int, limit: float, min_sample: int
) -> Verdict:
    if total < min_sample:
        return Verdict(
            gate,
            subject,
            "skip",
            None,
            limit,
            f"{what}: {total} observed < {min_sample}, judged in the step's sum",
        )
    rate = hits / total
    text = f"{what} {_pct(rate)} ({hits}/{total})"
    if rate <= limit:
        return Verdict(gate, subject, "pass", round(rate, 4), limit, f"{text} <= {_pct(limit)}")
    over = (rate - limit) * 100
    return Verdict(
        gate,
        subject,
        "fail",
        round(rate, 4),
        limit,
        f"{text} > {_pct(limit)}",
        f"+{over:.1f} points",
    )


def _route_gates(gates: StepGates, routes: Sequence[RouteObservation]) -> list[Verdict]:
    out: list[Verdict] = []
    n = gates.min_route_sample
    pairs = [
        ("max_mismatch_rate", "mismatch rate", lambda r: (r.mismatched, r.compared)),
        (
            "max_error_rate",
            "platform error rate",
            lambda r: (r.platform_errors, r.platform_requests),
        ),
    ]
    for gate, what, figures in pairs:
        limit = getattr(gates, gate)
        if limit is None:
            continue
        hits = sum(figures(r)[0] for r in routes)
        total = sum(figures(r)[1] for r in routes)
        out.append(_rate(gate, STEP, what, hits, total, limit, n))
        for r in routes:
            verdict = _rate(gate, r.name, what, *figures(r), limit, n)
            if verdict.status != "skip":  # quiet routes are covered by the sum above
                out.append(verdict)
    if gates.max_p99_ms is not None:
        judged = [r for r in routes if r.platform_requests >= n and r.platform_p99_ms is not None]
        for r in judged:
            seen, limit = r.platform_p99_ms, gates.max_p99_ms
            text = f"platform p99 {seen:.0f} ms"
            if seen <= limit:
                out.append(
                    Verdict("max_p99_ms", r.name, "pass", seen, limit, f"{text} <= {limit:g} ms")
                )
            else:
                out.append(
                    Verdict(
                        "max_p99_ms",
                        r.name,
                        "fail",
                        seen,
                        limit,
                        f"{text} > {limit:g} ms",
                        f"+{seen - limit:.0f} ms",
                    )
                )
        if not judged:
            out.append(
                Verdict(
                    "max_p99_ms",
                    STEP,
                    "skip",
                    None,
                    gates.max_p99_ms,
                    f"platform p99: no route has {n} platform requests yet",
                )
            )
    return out


def _sync_gates(gates: StepGates, obs: Observation) -> list[Verdict]:
    limit = gates.max_sync_lag_s
    if limit is None:
        return []
    out = []
    for direction, on in obs.sync_on.items():
        if not on:
            continue
        lag = obs.sync_lag_s.get(direction)
        if lag is None:
            out.append(
                Verdict(
                    "max_sync_lag_s",
                    direction,
                    "wait",
                    None,
                    limit,
                    f"{direction} sync lag unknown: no sync has run yet",
                    "start `zhongtai migrate sync --follow`",
                )
            )
        elif lag <= limit:
            text = f"{direction} sync lag {lag:.1f}s <= {limit:g}s"
            out.append(Verdict("max_sync_lag_s", direction, "pass", round(lag, 2), limit, text))
        else:
            out.append(
                Verdict(
                    "max_sync_lag_s",
                    direction,
                    "fail",
                    round(lag, 2),
                    limit,
                    f"{direction} sync lag {lag:.1f}s > {limit:g}s",
                    f"+{lag - limit:.1f}s",
                )
            )
    return out


def _data_gates(gates: StepGates, data: DataObservation | None) -> list[Verdict]:
    if not gates.data_parity:
        return []
    subject = ",".join(gates.data_parity)
    if data is None:
        return [
            Verdict(
                "data_parity",
                subject,
                "wait",
                None,
                0,
                "data parity not checked in this evaluation (advance checks it)",
            )
        ]
    if data.error:
        return [
            Verdict(
                "data_parity", subject, "fail", None, 0, f"data parity could not run: {data.error}"
            )
        ]
    failing = {t: n for t, n in data.failing.items() if n}
    if not failing:
        text = f"data parity: {data.tables} tables, {data.rows:,} rows, no differences"
        return [Verdict("data_parity", subject, "pass", 0, 0, text)]
    total = sum(failing.values())
    where = ", ".join(f"{t} {n}" for t, n in sorted(failing.items()))
    return [
        Verdict(
            "data_parity",
            subject,
            "fail",
            total,
            0,
            f"data parity: {total} failing difference(s) ({where})",
            f"{total} to fix",
        )
    ]


def evaluate(gates: StepGates, routes: Sequence[str], obs: Observation) -> list[Verdict]:
    """Judge ``gates`` for a step moving ``routes`` on the observed figures."""
    seen = [obs.routes.get(name) or RouteObservation(name) for name in routes]
    out: list[Verdict] = []
    if gates.min_soak_s is not None:
        out.append(_minimum("min_soak_s", STEP, "soak", round(obs.soak_s), gates.min_soak_s, "s"))
    if gates.min_shadow_sample is not None:
        total = sum(r.compared for r in seen)
        out.append(
            _minimum("min_shadow_sample", STEP, "shadow sample", total, gates.min_shadow_sample)
        )
    if gates.min_platform_requests is not None:
        total = sum(r.platform_requests for r in seen)
        out.append(
            _minimum(
                "min_platform_requests",
                STEP,
                "platform requests",
                total,
                gates.min_platform_requests,
            )
        )
    out += _route_gates(gates, seen)
    out += _sync_gates(gates, obs)
    out += _data_gates(gates, obs.data)
    return out
