"""The report as one self-contained HTML page: inline CSS and inline SVG charts, no scripts.

Open it from disk anywhere (no network, no CDN). The tables are those of
:mod:`zhongtai.compare.tables`, the charts those of :mod:`zhongtai.compare.svg`.
"""

from __future__ import annotations

from html import escape

from zhongtai.compare import svg
from zhongtai.compare import tables as tb
from zhongtai.compare.diff import FAILING, KINDS, LABELS
from zhongtai.compare.model import Report

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#1f2d3d;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:22px}
main{padding:8px 28px 40px;max-width:1400px}section{margin-top:26px}
h2{border-bottom:2px solid #1f2d3d;padding-bottom:4px}
.verdict{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:bold}
.ok{background:#3a9a5b;color:#fff}.fail{background:#c23b3b;color:#fff}
table{border-collapse:collapse;margin:10px 0 4px;background:#fff;font-size:12.5px}
caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border:1px solid #ddd;padding:4px 7px;text-align:left;vertical-align:top;max-width:420px;
overflow-wrap:anywhere}th{background:#eef1f5}tr.failing td{background:#fdecec}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:12px;margin:2px 0 12px}
.chart{max-width:760px;width:100%;background:#fff;border:1px solid #e3e3e3;margin:8px 0}
nav a{color:#cfe0f5;margin-right:14px}ul.failures{margin:8px 0 0}
"""


def _num(text: str) -> bool:
    return (
        bool(text)
        and text.replace(",", "").replace(".", "").replace("%", "").replace("–", "").isdigit()
    )


def table_html(t: tb.Table) -> str:
    """A table as HTML, failing rows marked."""
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    body = []
    for i, row in enumerate(t.rows):
        cls = ' class="failing"' if i < len(t.failing) and t.failing[i] else ""
        cells = "".join(
            f'<td class="num">{escape(c)}</td>' if _num(c) else f"<td>{escape(c)}</td>" for c in row
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    if not t.rows:
        body.append(f'<tr><td colspan="{len(t.headers)}">nothing to show</td></tr>')
    note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
    return (
        f"<table><caption>{escape(t.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def _data(report: Report) -> str:
    data = report.data
    if data is None:
        return ""
    parts = ['<section id="data"><h2>Data parity</h2>']
    rows = [(u.name, {"legacy": u.legacy_rows, "platform": u.platform_rows}) for u in data.units]
    parts.append(
        svg.bar_chart("Rows per table: legacy (mapped) vs platform", rows, ["legacy", "platform"])
    )
    kinds = [k for k in KINDS if any(u.counts.get(k) for u in data.units)]
    if kinds:
        diff_rows = [
            (u.name, {LABELS[k]: u.counts.get(k, 0) for k in kinds})
            for u in data.units
            if any(u.counts.get(k) for k in kinds)
        ]
        parts.append(
            svg.bar_chart("Differences per table by kind", diff_rows, [LABELS[k] for k in kinds])
        )
    parts.append(table_html(tb.data_summary(data)))
    for t in tb.difference_tables(data):
        parts.append(table_html(t))
    quarantine = tb.quarantine_table(data)
    if quarantine.rows:
        parts.append(table_html(quarantine))
    parts.append("</section>")
    return "".join(parts)


def _invariants(report: Report) -> str:
    if report.invariants is None:
        return ""
    parts = [
        '<section id="invariants"><h2>Invariants</h2>',
        table_html(tb.invariants_table(report.invariants)),
    ]
    parts += [table_html(t) for t in tb.invariant_examples(report.invariants)]
    parts.append("</section>")
    return "".join(parts)


def _traffic(report: Report) -> str:
    traffic = report.traffic
    if traffic is None:
        return ""
    parts = ['<section id="traffic"><h2>Traffic parity</h2>']
    rates = [
        (r.route, {"mismatch rate %": round(r.mismatch_rate * 100, 3)})
        for r in traffic.routes
        if r.compared
    ]
    parts.append(
        svg.bar_chart(
            "Mismatch rate by route (noise filtered)", rates, ["mismatch rate %"], unit="%"
        )
    )
    latency = [
        (
            r.route,
            {
                "legacy p50": r.latency["legacy"]["p50"] or 0,
                "platform p50": r.latency["platform"]["p50"] or 0,
                "legacy p99": r.latency["legacy"]["p99"] or 0,
                "platform p99": r.latency["platform"]["p99"] or 0,
            },
        )
        for r in traffic.routes
        if r.compared
    ]
    parts.append(
        svg.bar_chart(
            "Latency of both sides (ms)",
            latency,
            ["legacy p50", "platform p50", "legacy p99", "platform p99"],
            unit=" ms",
        )
    )
    parts.append(table_html(tb.traffic_summary(traffic)))
    for r in traffic.routes:
        if r.series and r.mismatched:
            points = [p["at"][11:19] for p in r.series]
            lines = {"mismatched pairs": [p["mismatched"] for p in r.series]}
            for field in r.series[0]["fields"]:
                lines[field] = [p["fields"].get(field, 0) for p in r.series]
            parts.append(
                svg.line_chart(f"{r.route}: mismatches by field over time (UTC)", points, lines)
            )
    for t in tb.field_tables(traffic) + tb.example_tables(traffic):
        parts.append(table_html(t))
    parts.append("</section>")
    return "".join(parts)


def _history(report: Report) -> str:
    if not report.history:
        return ""
    parts = ['<section id="history"><h2>History</h2>']
    for kind, title in (
        ("data", "Failing data differences per run"),
        ("traffic", "Mismatched pairs per traffic run"),
    ):
        runs = [r for r in report.history if r["kind"] == kind]
        if len(runs) > 1:
            parts.append(
                svg.line_chart(
                    title,
                    [r["finished_at"][5:16] for r in runs],
                    {kind: [tb.failing_of(r) for r in runs]},
                )
            )
    parts.append(table_html(tb.history_table(report)))
    parts.append("</section>")
    return "".join(parts)


def render_html(report: Report) -> str:
    """The whole page."""
    verdict = (
        '<span class="verdict ok">all gates hold</span>'
        if report.ok
        else f'<span class="verdict fail">{len(report.failures)} gate(s) failed</span>'
    )
    failures = "".join(f"<li>{escape(f)}</li>" for f in report.failures)
    failures = f'<ul class="failures">{failures}</ul>' if failures else ""
    nav = " ".join(
        f'<a href="#{a}">{t}</a>'
        for a, t, part in (
            ("data", "Data parity", report.data),
            ("invariants", "Invariants", report.invariants),
            ("traffic", "Traffic parity", report.traffic),
            ("history", "History", report.history),
        )
        if part
    )
    failing_kinds = ", ".join(LABELS[k] for k in KINDS if k in FAILING)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>zhongtai parity report</title><style>{CSS}</style></head><body>"
        f"<header><h1>zhongtai parity report</h1><div>{verdict} "
        f"generated {escape(report.generated_at.isoformat(timespec='seconds'))}</div>{failures}"
        f"<nav>{nav}</nav></header><main>"
        f'<p class="note">Gates fail on: {escape(failing_kinds)}; invariant violations; '
        "routes over their mismatch or error gate. Differences within tolerance and rows "
        "that changed during the comparison are shown but do not fail.</p>"
        f"{_data(report)}{_invariants(report)}{_traffic(report)}{_history(report)}"
        "</main></body></html>"
    )
