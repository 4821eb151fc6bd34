"""Rich renderings of backfill reports and migration status (presentation only)."""

from __future__ import annotations

from rich.table import Table

from zhongtai.migrate.backfill import BackfillReport
from zhongtai.migrate.status import MappingStatus


def _lag(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.1f}s"


def _reasons(reasons: list[tuple[str, int, str]], limit: int = 3) -> str:
    lines = [f"{n} {reason}: {example[:70]}" for reason, n, example in reasons[:limit]]
    if len(reasons) > limit:
        lines.append(f"… {len(reasons) - limit} more reasons")
    return "\n".join(lines)


def backfill_table(report: BackfillReport) -> Table:
    title = "backfill (dry run: nothing written)" if report.dry_run else "backfill"
    table = Table(title=title, header_style="bold")
    for name, justify in (
        ("mapping", "left"),
        ("center", "left"),
        ("status", "left"),
        ("rows", "right"),
        ("target rows", "right"),
        ("rows/s", "right"),
        ("quarantined", "right"),
        ("reasons", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")
    for o in report.outcomes:
        table.add_row(
            o.name,
            o.center,
            o.status,
            f"{o.rows_read:,}/{o.total:,}",
            f"{o.rows_written:,}",
            f"{o.rows_per_second:,.0f}" if o.seconds else "–",
            f"{o.quarantined:,}",
            _reasons(o.reasons),
        )
    return table


def _reason_codes(reasons: list[tuple[str, int, str]], limit: int = 3) -> str:
    codes = [f"{reason} {n:,}" for reason, n, _ in reasons[:limit]]
    return ", ".join(codes) + (" …" if len(reasons) > limit else "")


def status_table(statuses: list[MappingStatus]) -> Table:
    """One line per mapping; quarantine examples are in ``--json``."""
    table = Table(title="migration status", header_style="bold")
    table.add_column("mapping", no_wrap=True)
    table.add_column("center", no_wrap=True)
    table.add_column("backfill", overflow="fold")
    table.add_column("copied", justify="right", no_wrap=True)
    table.add_column("chunks", justify="right")
    table.add_column("quarantined", justify="right", overflow="fold")
    table.add_column("lag →", justify="right")  # sync legacy → centers
    table.add_column("lag ←", justify="right")  # reverse sync centers → legacy
    for s in statuses:
        quarantined = f"{s.quarantined:,}"
        if s.reasons:
            quarantined += f" ({_reason_codes(s.reasons)})"
        table.add_row(
            s.name,
            s.center,
            s.state,
            f"{s.rows_copied:,}/{s.total:,}",
            f"{s.chunks:,}",
            quarantined,
            _lag(s.sync_lag_seconds),
            _lag(s.reverse_lag_seconds),
        )
    kept = [f"{s.name} {s.agreed_states:,}" for s in statuses if s.agreed_states]
    if kept:
        table.caption = (
            f"agreed states kept to merge writes made on both sides: {', '.join(kept)} "
            "(sync prunes those quiet for migrate.agreed_retention_days)"
        )
    return table
