"""The report's tables as plain data (pure), shared by the HTML, Markdown and terminal renderers.

Each function returns ``Table(title, headers, rows)`` with cells already formatted as text,
so every output shows the same figures in the same order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from zhongtai.compare.diff import KINDS, LABELS
from zhongtai.compare.model import DataParity, Invariants, Report, TrafficParity, difference_dict


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    failing: list[bool] = field(default_factory=list)  # per row: show as failing


def n(value: int | float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def pct(value: float) -> str:
    return f"{value:.2%}"


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def data_summary(data: DataParity) -> Table:
    """One row per center table: rows on each side, differences by kind."""
    kinds = [k for k in KINDS]
    t = Table(
        "Data parity by table",
        ["table", "mappings", "walk", "hashed (legacy / platform)", "legacy rows", "platform rows"]
        + [LABELS[k] for k in kinds]
        + ["verdict"],
    )
    for u in data.units:
        t.rows.append(
            [
                u.name,
                ", ".join(u.mappings),
                u.mode,
                f"{u.legacy_hash} / {u.platform_hash}",
                n(u.legacy_rows),
                n(u.platform_rows),
                *[n(u.counts.get(k, 0)) for k in kinds],
                "ok" if u.ok else "FAIL",
            ]
        )
        t.failing.append(not u.ok)
    t.note = (
        f"{n(data.rows)} rows compared in {data.seconds:.1f} s; "
        f"money tolerance ±{data.options.get('money_tolerance')} fen. "
        "Hashed 'sql': checksums computed inside the database; 'python': rows read and hashed "
        "in Python (the transform, JSON or float columns need it)."
    )
    return t


def difference_tables(data: DataParity) -> list[Table]:
    """A sample of each failing table's differences."""
    out = []
    for u in data.units:
        if not u.sample:
            continue
        t = Table(
            f"Differences in {u.name} (sample)", ["kind", "key", "column", "legacy", "platform"]
        )
        for d in u.sample:
            dd = difference_dict(d)
            key = ", ".join(_cell(k) for k in dd["key"])
            if dd.get("columns"):
                for c in dd["columns"]:
                    kind = dd["label"] + (
                        " (within tolerance)" if c["tolerated"] and d.kind != "tolerated" else ""
                    )
                    t.rows.append(
                        [kind, key, c["column"], _cell(c["legacy"]), _cell(c["platform"])]
                    )
                    t.failing.append(d.failing and not c["tolerated"])
            elif d.kind == "duplicate":
                t.rows.append(
                    [
                        dd["label"],
                        key,
                        "",
                        f"{d.copies} copies" if d.side == "legacy" else "",
                        f"{d.copies} copies" if d.side == "platform" else "",
                    ]
                )
                t.failing.append(True)
            else:
                row = json.dumps(dd.get("row") or {}, ensure_ascii=False, default=str)
                row = row if len(row) <= 240 else row[:240] + "…"
                legacy, platform = (row, "(none)") if d.kind == "missing" else ("(none)", row)
                t.rows.append([dd["label"], key, "", legacy, platform])
                t.failing.append(d.failing)
        if u.notes:
            t.note = " ".join(u.notes[:3])
        out.append(t)
    return out


def quarantine_table(data: DataParity) -> Table:
    """Legacy rows the mappings quarantine, by reason."""
    t = Table(
        "Legacy rows the mappings quarantine (known quirks, not migrated)",
        ["mapping", "rows read", "reason", "rows", "example"],
    )
    for m in data.mappings:
        if not m.quarantined:
            continue
        for reason, count in sorted(m.quarantined.items(), key=lambda kv: -kv[1]):
            t.rows.append([m.name, n(m.rows_read), reason, n(count), m.examples.get(reason, "")])
            t.failing.append(False)
    return t


def invariants_table(inv: Invariants) -> Table:
    """One row per invariant."""
    t = Table("Invariants", ["invariant", "rule", "checked", "violations", "verdict"])
    for c in inv.checks:
        t.rows.append([c.name, c.title, n(c.checked), n(c.violations), "ok" if c.ok else "FAIL"])
        t.failing.append(not c.ok)
    return t


def invariant_examples(inv: Invariants) -> list[Table]:
    """Examples of each broken invariant."""
    out = []
    for c in inv.checks:
        if not c.examples:
            continue
        headers = sorted({k for e in c.examples for k in e})
        t = Table(f"{c.name}: examples", headers)
        for e in c.examples:
            t.rows.append([_cell(e.get(h)) for h in headers])
            t.failing.append(True)
        out.append(t)
    return out


def traffic_summary(traffic: TrafficParity) -> Table:
    """One row per route: pairs, mismatches, errors, latency, gate."""
    t = Table(
        "Traffic parity by route",
        ["route", "stage", "compared", "mismatched", "mismatch rate", "A/A samples",
         "platform errors", "legacy p50 ms", "legacy p99 ms", "platform p50 ms",
         "platform p99 ms", "gate", "verdict"],
    )  # fmt: skip
    for r in traffic.routes:
        lg, pf = r.latency.get("legacy", {}), r.latency.get("platform", {})
        gate = (
            f"≤ {pct(r.gates.get('max_mismatch_rate', 0))} (n ≥ {r.gates.get('min_requests', 0)})"
        )
        t.rows.append(
            [r.route, r.stage, n(r.compared), n(r.mismatched), pct(r.mismatch_rate),
             n(r.aa_samples), n(r.platform_errors), ms(lg.get("p50")), ms(lg.get("p99")),
             ms(pf.get("p50")), ms(pf.get("p99")), gate, r.verdict]
        )  # fmt: skip
        t.failing.append(not r.ok)
    t.note = (
        f"{n(traffic.records)} shadow records"
        + (f" since {traffic.since.isoformat()}" if traffic.since else "")
        + ". A pair is mismatched when a field differs more often than it does between two "
        "legacy answers (A/A noise)."
    )
    return t


def field_tables(traffic: TrafficParity) -> list[Table]:
    """Per route: each differing JSON path with its raw and noise rates."""
    out = []
    for r in traffic.routes:
        if not r.fields:
            continue
        t = Table(
            f"{r.route}: differing fields",
            ["JSON path", "raw", "raw rate", "noise", "noise rate", "reported"],
        )
        for f in r.fields:
            t.rows.append(
                [
                    f.path,
                    n(f.raw),
                    pct(f.raw_rate),
                    n(f.noise),
                    pct(f.noise_rate),
                    "signal" if f.reported else "noise",
                ]
            )
            t.failing.append(f.reported)
        out.append(t)
    return out


def example_tables(traffic: TrafficParity) -> list[Table]:
    """Per route: kept examples (request and both answers)."""
    out = []
    for r in traffic.routes:
        if not r.examples:
            continue
        t = Table(
            f"{r.route}: examples", ["at", "request", "fields", "legacy answer", "platform answer"]
        )
        for e in r.examples:
            ex = e.get("example") or {}
            req = ex.get("request") or {}
            legacy, other = ex.get("legacy") or {}, ex.get("other") or {}
            method = req.get("method", e.get("method"))
            request = f"{method} {req.get('path', e.get('path'))} {req.get('body', '')}".strip()
            t.rows.append(
                [e["at"], request, ", ".join(e["fields"]),
                 f"{legacy.get('status', '')} {legacy.get('body', '')}",
                 f"{other.get('status', '')} {other.get('body', '')}"]
            )  # fmt: skip
            t.failing.append(True)
        out.append(t)
    return out


def history_table(report: Report) -> Table:
    """The latest recorded runs."""
    t = Table("History of parity runs", ["run", "kind", "finished (UTC)", "failing", "verdict"])
    for run in report.history[-20:]:
        t.rows.append(
            [
                str(run["id"]),
                run["kind"],
                run["finished_at"][:19],
                n(failing_of(run)),
                "ok" if run["ok"] else "FAIL",
            ]
        )
        t.failing.append(not run["ok"])
    return t


def failing_of(run: dict) -> int:
    """Failing differences (data) or mismatched pairs (traffic) of a recorded run."""
    s = run.get("summary") or {}
    if run["kind"] == "data":
        return sum(
            sum(
                v
                for k, v in u.get("counts", {}).items()
                if k in ("missing", "extra", "differs", "duplicate")
            )
            for u in s.get("units", {}).values()
        )
    return sum(r.get("mismatched", 0) for r in s.get("routes", {}).values())
