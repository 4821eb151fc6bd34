"""The report in the terminal: rich tables of the same figures, failing rows in red."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from zhongtai.compare import tables as tb
from zhongtai.compare.diff import LABELS
from zhongtai.compare.model import DataParity, Invariants, Report, TrafficParity

# A route's verdict: "too few" pairs are shown, not judged (the gate's minimum sample).
VERDICT_STYLES = {"ok": "green", "too few": "yellow", "FAIL": "bold red"}


def rich_table(t: tb.Table, *, skip: set[str] | frozenset[str] = frozenset()) -> Table:
    keep = [i for i, h in enumerate(t.headers) if h not in skip]
    table = Table(
        title=t.title, header_style="bold", caption=t.note or None, caption_justify="left"
    )
    for i in keep:
        numeric = any(_numeric(r[i]) for r in t.rows)
        table.add_column(t.headers[i], justify="right" if numeric else "left", overflow="fold")
    for r, row in enumerate(t.rows):
        failing = r < len(t.failing) and t.failing[r]
        table.add_row(*(Text(row[i], style="red" if failing else "") for i in keep))
    return table


def _numeric(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "").replace("%", "").isdigit()


def data_compact(data: DataParity) -> Table:
    """One line per table: rows on each side and the differences by kind, compactly."""
    table = Table(
        title="Data parity by table",
        header_style="bold",
        caption=tb.data_summary(data).note,
        caption_justify="left",
    )
    for name, justify in (
        ("table", "left"),
        ("hashed", "left"),
        ("legacy rows", "right"),
        ("platform rows", "right"),
        ("differences", "left"),
        ("", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # fmt: skip
    for u in data.units:
        found = ", ".join(f"{LABELS[k]} {n:,}" for k, n in u.counts.items() if n) or "none"
        style = "" if u.ok else "red"
        table.add_row(
            Text(u.name, style=style),
            f"{u.legacy_hash}/{u.platform_hash}",
            f"{u.legacy_rows:,}",
            f"{u.platform_rows:,}",
            Text(found, style=style),
            Text("ok" if u.ok else "FAIL", style="green" if u.ok else "bold red"),
        )
    return table


def traffic_compact(traffic: TrafficParity) -> Table:
    """One line per route: pairs compared, mismatch rate, errors, p99 of both sides."""
    table = Table(
        title="Traffic parity by route",
        header_style="bold",
        caption=tb.traffic_summary(traffic).note,
        caption_justify="left",
    )
    for name in ("route", "stage", "compared", "mismatch", "errors", "p99 ms legacy/platform", ""):
        table.add_column(
            name, justify="left" if name in ("route", "stage", "") else "right", overflow="fold"
        )
    for r in traffic.routes:
        lg, pf = r.latency.get("legacy", {}), r.latency.get("platform", {})
        table.add_row(
            Text(r.route, style="" if r.ok else "red"),
            r.stage,
            f"{r.compared:,}",
            f"{r.mismatched:,} ({r.mismatch_rate:.1%})",
            f"{r.platform_errors:,}",
            f"{tb.ms(lg.get('p99'))} / {tb.ms(pf.get('p99'))}",
            Text(r.verdict, style=VERDICT_STYLES[r.verdict]),
        )
    return table


def data_view(data: DataParity) -> Group:
    """Data parity for the terminal."""
    parts = [data_compact(data)]
    for t in tb.difference_tables(data)[:6]:
        t.rows, t.failing = t.rows[:10], t.failing[:10]
        parts.append(rich_table(t))
    quarantine = tb.quarantine_table(data)
    if quarantine.rows:
        parts.append(rich_table(quarantine, skip={"example"}))
    parts.append(_verdict(data.ok, "data parity"))
    return Group(*parts)


def invariants_view(inv: Invariants) -> Group:
    """Invariants for the terminal."""
    return Group(rich_table(tb.invariants_table(inv)), _verdict(inv.ok, "invariants"))


def traffic_view(traffic: TrafficParity) -> Group:
    """Traffic parity for the terminal."""
    parts = [traffic_compact(traffic)]
    for t in tb.field_tables(traffic):
        t.rows, t.failing = t.rows[:8], t.failing[:8]
        parts.append(rich_table(t))
    parts.append(_verdict(traffic.ok, "traffic parity"))
    return Group(*parts)


def report_view(report: Report) -> Group:
    """The report's summary for the terminal."""
    parts = []
    if report.data is not None:
        parts.append(data_compact(report.data))
    if report.invariants is not None:
        parts.append(rich_table(tb.invariants_table(report.invariants), skip={"rule"}))
    if report.traffic is not None:
        parts.append(traffic_compact(report.traffic))
    for failure in report.failures:
        parts.append(Text(f"✗ {failure}", style="red"))
    parts.append(_verdict(report.ok, "report"))
    return Group(*parts)


def _verdict(ok: bool, what: str) -> Text:
    if ok:
        return Text(f"✓ {what}: every gate holds", style="bold green")
    return Text(f"✗ {what}: gate failed", style="bold red")
