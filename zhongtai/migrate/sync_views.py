"""Rich renderings of capture results and sync reports (presentation only)."""

from __future__ import annotations

from rich.table import Table

from zhongtai.migrate.capture import CaptureResult
from zhongtai.migrate.syncloop import BatchOutcome, SyncReport


def capture_table(results: list[CaptureResult], *, removing: bool = False) -> Table:
    table = Table(title="change capture " + ("removed" if removing else "installed"))
    for column in ("database", "tables", "triggers", "other triggers (kept)"):
        table.add_column(column, overflow="fold")
    for r in results:
        if removing:
            triggers = f"{len(r.removed)} dropped"
            if r.discarded_changes:
                triggers += f", {r.discarded_changes:,} unapplied changes discarded"
        else:
            triggers = (
                f"{len(r.created)} created, {len(r.replaced)} replaced, "
                f"{len(r.unchanged)} unchanged"
            )
        table.add_row(
            f"{r.database}\n{r.url}",
            ", ".join(r.tables) or "–",
            triggers,
            ", ".join(r.other_triggers) or "–",
        )
    return table


def _lag(report: SyncReport) -> str:
    seconds = report.backlog.oldest_seconds
    return "0 s (caught up)" if seconds is None else f"{seconds:.2f} s"


def sync_table(report: SyncReport) -> Table:
    """One line per mapping, then the backlog left and its lag."""
    table = Table(title=f"sync {report.direction}", caption=(
        f"{report.changes:,} changes in {report.batches} batch(es), "
        f"{report.echoes:,} echoes skipped · backlog {report.backlog.count:,} · lag {_lag(report)}"
        + (f" · {report.pruned:,} agreed states past retention pruned" if report.pruned else "")
    ))  # fmt: skip
    counts = [("rows applied", report.applied), ("deferred", report.deferred),
              ("quarantined", report.quarantined)]  # fmt: skip
    if report.direction == "reverse":
        counts += [("of stores off platform", report.out_of_scope),
                   ("merged (both wrote)", report.merged),
                   ("conflicts (legacy kept)", report.conflicts)]  # fmt: skip
    else:
        counts += [("newer on platform (kept)", report.platform_newer),
                   ("both wrote (to merge)", report.concurrent)]  # fmt: skip
    table.add_column("mapping")
    for column, _ in counts:
        table.add_column(column, justify="right")
    for name in sorted(set().union(*(c for _, c in counts))):
        table.add_row(name, *(f"{c[name]:,}" for _, c in counts))
    return table


def batch_line(outcome: BatchOutcome) -> str:
    """A short progress line for ``--follow``."""
    applied = sum(outcome.applied.values())
    waiting = sum(outcome.deferred.values())
    return (
        f"changes {outcome.changes:,} (echoes {outcome.echoes:,}) · rows applied {applied:,}"
        + (f" · deferred {waiting:,}" if waiting else "")
        + f" · last id {outcome.last_id}"
    )
