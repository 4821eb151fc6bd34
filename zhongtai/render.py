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
    for section in ("serve", "legacy"):
        for key, value in data[section].items():
            table.add_row(f"{section}.{key}", str(value))
    table.add_row("security.operator_key", data["operator_key"] or "(not set)")
    return table
