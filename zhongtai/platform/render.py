"""Rich rendering of platform results for the terminal (data in, tables out)."""

from __future__ import annotations

from rich.table import Table

from zhongtai.platform.migrations import CenterRevision


def upgrade_table(results: list[CenterRevision]) -> Table:
    """Center → database (masked) → revision before/after → head."""
    table = Table(title="middle platform: center schemas", header_style="bold")
    table.add_column("center")
    table.add_column("database", overflow="fold")
    table.add_column("was")
    table.add_column("revision")
    table.add_column("state")
    for r in results:
        state = "[green]at head[/]" if r.at_head else f"[red]behind {r.head}[/]"
        table.add_row(r.center, r.url, r.before or "(empty)", r.revision or "-", state)
    return table


def upgrade_json(results: list[CenterRevision]) -> list[dict]:
    """The upgrade results for ``--json``."""
    return [
        {
            "center": r.center,
            "database": r.url,
            "before": r.before,
            "revision": r.revision,
            "head": r.head,
            "at_head": r.at_head,
        }
        for r in results
    ]
