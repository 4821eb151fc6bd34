"""Gate evaluation (pure): a step's gates and the observed figures in, verdicts out.

Every verdict says which gate, about what (the step's routes summed, one route, a sync
direction, a table), what was seen, the limit, and by how much it misses. A verdict is

* ``pass`` — the gate holds;
* ``fail`` — the figures break it (a latency, a lag, a data difference; a rate only when
  even the low end of its 95 % Wilson interval is over the limit, so one unlucky request
  among thirty neither rolls a canary back nor passes as noise);
* ``wait`` — there is not enough evidence yet (sample, soak time, a figure nobody measured,
  a rate over its limit by less than chance explains);
* ``skip`` — not judged on its own: a route with too few observations is judged only in the
  step's sum, so one quiet route neither blocks nor passes a step by luck.

A step's gates *hold* when no verdict is ``fail`` or ``wait``. The watch rolls a canary back
only on ``fail`` of a health gate (error rate, mismatch rate, p99): waiting is not a fault.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhongtai.cutover.evidence import DataObservation, Observation, RouteObservation
from zhongtai.cutover.gatespec import StepGates

HEALTH = ("max_error_rate", "max_mismatch_rate", "max_p99_ms")
STEP = "step"


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
    over = f"+{(rate - limit) * 100:.1f} points"
    low = wilson_lower(hits, total)
    if low <= limit:  # above the limit, but a few more requests could bring it back under
        text += f" > {_pct(limit)}, not yet significant (95% lower bound {_pct(low)})"
        return Verdict(gate, subject, "wait", round(rate, 4), limit, text, over)
    return Verdict(gate, subject, "fail", round(rate, 4), limit, f"{text} > {_pct(limit)}", over)


def wilson_lower(hits: int, total: int, z: float = 1.96) -> float:
    """Lower end of the Wilson score interval: the least the true rate plausibly is."""
    if total <= 0:
        return 0.0
    p = hits / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + z * z / total))


def _rate_gate(
    gates: StepGates, routes: Sequence[RouteObservation], gate: str, what: str, figures
) -> list[Verdict]:
    """A rate gate over the step's routes summed, plus every route with enough figures.

    A route with a limit of its own is judged only against that limit, outside the sum.
    """
    limit = getattr(gates, gate)
    n = gates.min_route_sample
    own = {r.name: gates.own_limit(r.name, gate) for r in routes}
    pooled = [r for r in routes if own[r.name] is None]
    out: list[Verdict] = []
    if limit is not None and pooled:
        hits = sum(figures(r)[0] for r in pooled)
        total = sum(figures(r)[1] for r in pooled)
        out.append(_rate(gate, STEP, what, hits, total, limit, n))
    for r in routes:
        mine = own[r.name] if own[r.name] is not None else limit
        if mine is None:
            continue
        verdict = _rate(gate, r.name, what, *figures(r), mine, n)
        if verdict.status != "skip" or own[r.name] is not None:
            out.append(verdict)  # quiet pooled routes are covered by the sum above
    return out


def _route_gates(gates: StepGates, routes: Sequence[RouteObservation]) -> list[Verdict]:
    out = _rate_gate(
        gates, routes, "max_mismatch_rate", "mismatch rate", lambda r: (r.mismatched, r.compared)
    )
    out += _rate_gate(
        gates,
        routes,
        "max_error_rate",
        "platform error rate",
        lambda r: (r.platform_errors, r.platform_requests),
    )
    n = gates.min_route_sample
    limits = {r.name: gates.own_limit(r.name, "max_p99_ms") or gates.max_p99_ms for r in routes}
    judged = [
        r
        for r in routes
        if limits[r.name] is not None and r.platform_requests >= n and r.platform_p99_ms is not None
    ]
    for r in judged:
        seen, limit = r.platform_p99_ms, limits[r.name]
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
                )  # fmt: skip
            )
    if not judged and any(v is not None for v in limits.values()):
        out.append(
            Verdict(
                "max_p99_ms",
                STEP,
                "skip",
                None,
                gates.max_p99_ms,
                f"platform p99: no route has {n} platform requests yet",
            )  # fmt: skip
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
        if data.in_flight:
            text += f" ({data.in_flight} seen once while rows moved, gone on a second look)"
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
