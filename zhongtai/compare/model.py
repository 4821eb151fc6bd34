"""The parity report as data: results of data parity, invariants and traffic parity.

Everything a renderer shows is here, already computed; renderers (terminal, HTML, Markdown,
JSON) only format. ``as_dict`` gives the JSON form, which is also what the state database
keeps for the history of runs. Values shown from rows pass :func:`shown` first, so a secret
inside a legacy text column (a payment notify's ``sign``) never reaches a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zhongtai.compare.diff import FAILING, KINDS, LABELS, Difference
from zhongtai.strangler.masking import mask_body

SHOWN_TEXT = 300  # characters of a value a report shows


def shown(value: Any) -> Any:
    """A row value fit for a report: secrets in JSON/XML/form text masked, long text cut."""
    if not isinstance(value, str):
        return value
    text = value
    if text.lstrip()[:1] in ("{", "[", "<"):
        text = mask_body(text.encode("utf-8"))
    elif "=" in text and "&" in text:
        text = mask_body(text.encode("utf-8"), "application/x-www-form-urlencoded")
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "…"


def difference_dict(d: Difference) -> dict:
    """A difference as JSON, with values passed through :func:`shown`."""
    out = d.as_dict()
    out["key"] = [shown(k) for k in out["key"]]
    for col in out.get("columns", ()):
        col["legacy"], col["platform"] = shown(col["legacy"]), shown(col["platform"])
    if "row" in out:
        out["row"] = {k: shown(v) for k, v in out["row"].items()}
    out["label"] = LABELS[d.kind]
    return out


@dataclass
class UnitResult:
    """Data parity of one center table."""

    name: str
    mode: str  # ranged | bucketed
    mappings: list[str]
    legacy_hash: str = "python"  # sql | python | sql+python
    platform_hash: str = "python"  # sql | python
    why_python: str | None = None
    legacy_rows: int = 0
    platform_rows: int = 0
    segments: int = 0
    mismatched_segments: int = 0
    rechecked_segments: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    sample: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failing(self) -> int:
        return sum(n for k, n in self.counts.items() if k in FAILING)

    @property
    def ok(self) -> bool:
        return self.failing == 0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "mode": self.mode,
            "mappings": list(self.mappings),
            "legacy_hash": self.legacy_hash,
            "platform_hash": self.platform_hash,
            "why_python": self.why_python,
            "legacy_rows": self.legacy_rows,
            "platform_rows": self.platform_rows,
            "segments": self.segments,
            "mismatched_segments": self.mismatched_segments,
            "rechecked_segments": self.rechecked_segments,
            "counts": dict(self.counts),
            "failing": self.failing,
            "ok": self.ok,
            "sample": [difference_dict(d) for d in self.sample],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class MappingOutcome:
    """What the comparison saw of one mapping's source rows."""

    name: str
    center: str
    rows_read: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "center": self.center,
            "rows_read": self.rows_read,
            "quarantined": dict(self.quarantined),
            "examples": {k: shown(v) for k, v in self.examples.items()},
        }


@dataclass
class DataParity:
    """A data parity run: one result per center table, the mappings' quarantine."""

    started_at: datetime
    finished_at: datetime | None = None
    units: list[UnitResult] = field(default_factory=list)
    mappings: list[MappingOutcome] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(u.ok for u in self.units)

    @property
    def seconds(self) -> float:
        end = self.finished_at or self.started_at
        return (end - self.started_at).total_seconds()

    @property
    def rows(self) -> int:
        return sum(u.legacy_rows + u.platform_rows for u in self.units)

    def as_dict(self) -> dict:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": round(self.seconds, 3),
            "rows_compared": self.rows,
            "ok": self.ok,
            "units": [u.as_dict() for u in self.units],
            "mappings": [m.as_dict() for m in self.mappings],
            "options": dict(self.options),
        }


@dataclass
class InvariantCheck:
    """One invariant over the migrated data (domain.md §3.5)."""

    name: str
    title: str
    checked: int = 0
    violations: int = 0
    examples: list[dict] = field(default_factory=list)
    breakdown: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "checked": self.checked,
            "violations": self.violations,
            "ok": self.ok,
            "examples": [{k: shown(v) for k, v in e.items()} for e in self.examples],
            "breakdown": dict(self.breakdown),
            "note": self.note,
        }


@dataclass
class Invariants:
    """The invariant checks of one run."""

    checks: list[InvariantCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


@dataclass
class FieldFinding:
    """One JSON path's raw (legacy vs platform) and noise (legacy vs legacy) rates."""

    path: str
    raw: int
    raw_rate: float
    noise: int
    noise_rate: float
    reported: bool

    def as_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class RouteParity:
    """Traffic parity of one route over the records read."""

    route: str
    stage: str = ""
    compared: int = 0
    mismatched: int = 0
    aa_samples: int = 0
    platform_errors: int = 0
    latency: dict[str, dict[str, float | None]] = field(default_factory=dict)
    fields: list[FieldFinding] = field(default_factory=list)
    examples: list[dict] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)
    gates: dict[str, Any] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)

    @property
    def mismatch_rate(self) -> float:
        return self.mismatched / self.compared if self.compared else 0.0

    @property
    def error_rate(self) -> float:
        return self.platform_errors / self.compared if self.compared else 0.0

    @property
    def ok(self) -> bool:
        return not self.breaches

    @property
    def verdict(self) -> str:
        """``FAIL`` when a gate breached; ``too few`` when fewer pairs were compared than the
        gate's minimum sample (rates shown, not judged); else ``ok``."""
        if self.breaches:
            return "FAIL"
        return "too few" if self.compared < self.gates.get("min_requests", 0) else "ok"

    def as_dict(self) -> dict:
        return {
            "route": self.route,
            "stage": self.stage,
            "compared": self.compared,
            "mismatched": self.mismatched,
            "mismatch_rate": round(self.mismatch_rate, 6),
            "aa_samples": self.aa_samples,
            "platform_errors": self.platform_errors,
            "error_rate": round(self.error_rate, 6),
            "latency": self.latency,
            "fields": [f.as_dict() for f in self.fields],
            "examples": self.examples,
            "series": self.series,
            "gates": self.gates,
            "breaches": list(self.breaches),
            "ok": self.ok,
        }


@dataclass
class TrafficParity:
    """Traffic parity of every route over a time window."""

    since: datetime | None
    until: datetime
    routes: list[RouteParity] = field(default_factory=list)
    records: int = 0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.routes)

    def as_dict(self) -> dict:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "records": self.records,
            "ok": self.ok,
            "routes": [r.as_dict() for r in self.routes],
        }


@dataclass
class Report:
    """Everything a reviewer gets: the three parts, the history of runs, the verdict."""

    generated_at: datetime
    data: DataParity | None = None
    invariants: Invariants | None = None
    traffic: TrafficParity | None = None
    history: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """One line per failed gate (empty when everything holds)."""
        out = []
        if self.data is not None:
            out += [
                f"data parity: {u.name} has {u.failing} failing difference(s)"
                for u in self.data.units
                if not u.ok
            ]
        if self.invariants is not None:
            out += [
                f"invariant {c.name}: {c.violations} violation(s)"
                for c in self.invariants.checks
                if not c.ok
            ]
        if self.traffic is not None:
            out += [f"traffic {r.route}: {b}" for r in self.traffic.routes for b in r.breaches]
        return out

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict:
        return {
            "generated_at": self.generated_at.isoformat(),
            "ok": self.ok,
            "failures": self.failures,
            "data": self.data.as_dict() if self.data else None,
            "invariants": self.invariants.as_dict() if self.invariants else None,
            "traffic": self.traffic.as_dict() if self.traffic else None,
            "history": self.history,
        }
