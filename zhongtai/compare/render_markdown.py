"""The report as Markdown: the same tables as the HTML page, for reviews and pull requests."""

from __future__ import annotations

from zhongtai.compare import tables as tb
from zhongtai.compare.model import Report


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def table_md(t: tb.Table) -> str:
    """A table as Markdown, failing rows marked ❌."""
    lines = [f"**{t.title}**", ""]
    lines.append("| " + " | ".join(_cell(h) for h in t.headers) + " |")
    lines.append("|" + "|".join("---" for _ in t.headers) + "|")
    for i, row in enumerate(t.rows):
        mark = i < len(t.failing) and t.failing[i]
        cells = [_cell(c) for c in row]
        if mark:
            cells[0] = f"❌ {cells[0]}"
        lines.append("| " + " | ".join(cells) + " |")
    if not t.rows:
        lines.append("| " + " | ".join(["nothing to show"] + [""] * (len(t.headers) - 1)) + " |")
    if t.note:
        lines += ["", f"_{t.note}_"]
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    """The whole report as one Markdown document."""
    out = ["# zhongtai parity report", ""]
    stamp = report.generated_at.isoformat(timespec="seconds")
    if report.ok:
        out.append(f"**Verdict: all gates hold** (generated {stamp})")
    else:
        out.append(f"**Verdict: {len(report.failures)} gate(s) failed** (generated {stamp})")
        out += [""] + [f"- {f}" for f in report.failures]
    out.append("")
    if report.data is not None:
        out += ["## Data parity", "", table_md(tb.data_summary(report.data))]
        out += [table_md(t) for t in tb.difference_tables(report.data)]
        quarantine = tb.quarantine_table(report.data)
        if quarantine.rows:
            out.append(table_md(quarantine))
    if report.invariants is not None:
        out += ["## Invariants", "", table_md(tb.invariants_table(report.invariants))]
        out += [table_md(t) for t in tb.invariant_examples(report.invariants)]
    if report.traffic is not None:
        out += ["## Traffic parity", "", table_md(tb.traffic_summary(report.traffic))]
        out += [table_md(t) for t in tb.field_tables(report.traffic)]
        out += [table_md(t) for t in tb.example_tables(report.traffic)]
    if report.history:
        out += ["## History", "", table_md(tb.history_table(report))]
    return "\n".join(out).rstrip() + "\n"
