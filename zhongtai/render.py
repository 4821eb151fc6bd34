"""Rich renderings of result objects for the terminal. Results are data; this is presentation."""

from __future__ import annotations

from rich.table import Table


def settings_table(data: dict) -> Table:
    table = Table(title="zhongtai settings", show_header=True, header_style="bold")
    table.add_column("setting")
    table.add_column("value", overflow="fold")
    table.add_row("config file", data["config_file"] or "(none: defaults + environment)")
    table.add_row("workspace", data["workspace"])
    for name, url in data["databases"].items():
        table.add_row(f"databases.{name}", url)
    for section in ("serve", "legacy", "proxy", "migrate"):
        for key, value in data[section].items():
            table.add_row(f"{section}.{key}", str(value))
    table.add_row("security.operator_key", data["operator_key"] or "(not set)")
    return table


def traffic_table(summary) -> Table:
    """A TrafficSummary: requests, errors and latency (from the scheduled time) per kind."""
    s = summary
    table = Table(title=f"traffic → {s.target}", header_style="bold")
    for name in ("kind", "requests", "errors", "p50 ms", "p99 ms"):
        table.add_column(name, justify="left" if name == "kind" else "right")
    for kind, count in sorted(s.requests.items()):
        lat = s.latency.get(kind, {})
        errors = s.errors_by_kind.get(kind, 0)
        table.add_row(
            kind,
            str(count),
            f"[red]{errors}[/]" if errors else "0",
            f"{lat.get('p50_ms', 0):.1f}",
            f"{lat.get('p99_ms', 0):.1f}",
        )
    for kind in sorted(set(s.errors_by_kind) - set(s.requests)):
        table.add_row(kind, "0", f"[red]{s.errors_by_kind[kind]}[/]", "", "")
    every = s.latency.get("all", {})
    table.add_section()
    table.add_row(
        "[bold]all[/]",
        str(s.total_requests),
        f"[bold red]{s.errors}[/]" if s.errors else "0",
        f"{every.get('p50_ms', 0):.1f}",
        f"{every.get('p99_ms', 0):.1f}",
    )
    lines = [
        f"{s.achieved_rps:.1f} req/s achieved ({s.rps:g} asked) over {s.elapsed:.1f}s · "
        f"run {s.run_id} · seed {s.seed}",
        f"{s.acked_writes} acknowledged writes logged to {s.acked_log}",
    ]
    if s.lost_pushes:
        lines.append(
            f"lost pushes: {s.lost_pushes.get('deposited', 0)} deposited, "
            f"{s.lost_pushes.get('recovered', 0)} recovered by compensation pulls"
        )
    if s.dropped:
        lines.append(f"[red]{s.dropped} arrivals dropped[/]: too many requests in flight")
    lines += list(s.notes)
    lines += [f"[red]{e['kind']}[/]: {e['error']}" for e in s.error_samples[:5]]
    table.caption = "\n".join(lines)
    table.caption_justify = "left"
    return table


def acked_table(check) -> Table:
    """An AckedCheck: was every acknowledged write found with the state acknowledged?"""
    lost = len(check.missing)
    verdict = f"[red]{lost} problems[/]" if lost else "[green]nothing lost[/]"
    table = Table(title=f"acknowledged writes · {verdict}", header_style="bold")
    table.add_column("check")
    table.add_column("value", justify="right")
    table.add_row("log", check.source)
    table.add_row("acknowledged writes", str(check.writes))
    table.add_row("orders they touched", str(check.orders))
    table.add_row("missing or different", str(len(check.missing)))
    for problem in check.missing[:10]:
        table.add_row("[red]problem[/]", problem)
    return table


def seed_table(report) -> Table:
    """Rows per legacy table and quirk counts of a ``workload.seed.SeedReport``."""
    table = Table(
        title=f"legacy seed {report.seed}: {report.total_rows:,} rows, {report.seconds:.1f} s, "
        f"{report.rows_per_second:,.0f} rows/s",
        header_style="bold",
    )
    table.add_column("table / quirk")
    table.add_column("rows", justify="right")
    for name, count in report.rows.items():
        table.add_row(name, f"{count:,}")
    table.add_section()
    for name, hits in report.quirks.items():
        among = report.eligible.get(name, 0)
        share = f" ({hits / among:.1%} of {among:,})" if among else ""
        table.add_row(f"[dim]quirk[/] {name}", f"{hits:,}{share}")
    return table
