"""Rich renderings of the strangler's data for the terminal (presentation only)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

STAGE_STYLE = {
    "legacy": "dim",
    "shadow": "cyan",
    "canary": "yellow",
    "platform": "green",
    "retired": "magenta",
}


def _stage(route: dict) -> Text:
    label = route["stage"] + (f" {route['percent']:g}%" if route.get("percent") else "")
    return Text(label, style=STAGE_STYLE.get(route["stage"], ""))


def routes_table(routes: list[dict]) -> Table:
    table = Table(title="strangler routes (first match wins; anything else → legacy)")
    for col in ("route", "method", "path", "stage", "sticky key", "group", "rev"):
        table.add_column(col, overflow="fold")
    for r in routes:
        table.add_row(
            r["name"],
            ",".join(r["methods"]),
            r["path"],
            _stage(r),
            " | ".join(r["keys"]) or "-",
            r["group"],
            str(r["revision"]),
        )
    return table


def audit_line(record: dict) -> str:
    frm = record["from_stage"] or "(new)"
    if record.get("from_percent"):
        frm += f" {record['from_percent']:g}%"
    to = record["to_stage"] + (f" {record['to_percent']:g}%" if record.get("to_percent") else "")
    return f"{record['route']}: {frm} → {to} by {record['who']} at {record['at']} — {record['why']}"


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


def status_table(data: dict) -> Table:
    table = Table(
        title=f"strangler status (route table version {data['version']}; figures since "
        "each route's last change, all proxy processes)"
    )
    for col in (
        "route",
        "stage",
        "side",
        "requests",
        "errors",
        "p50 ms",
        "p99 ms",
        "compared",
        "mismatch",
        "A/A",
        "dropped",
        "fallbacks",
    ):
        justify = "left" if col in ("route", "stage", "side") else "right"
        table.add_column(col, justify=justify)
    for r in data["routes"]:
        f = r["figures"]
        if not any(s["requests"] for s in f["sides"].values()):
            table.add_row(r["name"], _stage(r), Text("no traffic", style="dim"), *[""] * 9)
            continue
        for i, (side, s) in enumerate(f["sides"].items()):
            first = i == 0
            err = f"{s['errors']} ({s['error_rate']:.1%})" if s["errors"] else "0"
            table.add_row(
                r["name"] if first else "",
                _stage(r) if first else "",
                side,
                str(s["requests"]),
                Text(err, style="red" if s["errors"] else ""),
                _num(s["p50_ms"]),
                _num(s["p99_ms"]),
                str(f["compared"]) if first else "",
                Text(f"{f['mismatch_rate']:.1%}", style="red" if f["mismatched"] else "")
                if first and f["compared"]
                else "",
                str(f["aa_samples"]) if first else "",
                str(f["shadows_dropped"]) if first else "",
                str(f["fallbacks"]) if first else "",
            )
        if f["reported_fields"]:
            table.add_row(
                "", "", Text("fields: " + ", ".join(f["reported_fields"]), style="red"), *[""] * 9
            )
        if f.get("unknown_keys"):
            seen = ", ".join(f["unknown_examples"])
            text = f"unknown store keys: {f['unknown_keys']} ({seen})"
            table.add_row("", "", Text(text, style="yellow"), *[""] * 9)
    keys = data.get("store_keys")
    if keys:
        table.caption = (
            f"store key directory v{keys['version']}: {keys['stores']} stores, "
            f"{keys['aliases']} aliases, refreshed {keys['last_refresh'] or 'never'}"
        )
    return table


def store_keys_refresh_line(result: dict) -> str:
    """One line for `zhongtai route stores refresh`."""
    c = result["changes"]
    aliases = ", ".join(f"{k} {n}" for k, n in result["aliases"].items())
    what = "would load" if result["dry_run"] else f"loaded (version {result['version']})"
    moved = f", {c['moved_count']} moved to another store" if c["moved_count"] else ""
    return (
        f"{what} {result['stores']} stores from {result['source']}: {aliases}; "
        f"+{c['added']} -{c['removed']} aliases{moved}"
    )


def store_keys_table(summary: dict) -> Table:
    """The directory and which stores each store-keyed route sends to the platform."""
    refresh = summary["last_refresh"]
    when = (
        f"refreshed {refresh['at']} by {refresh['who']} from {refresh['source']}"
        if refresh
        else "never refreshed: zhongtai route stores refresh"
    )
    aliases = ", ".join(f"{k} {n}" for k, n in summary["aliases"].items())
    table = Table(  # Text, not markup: a URL may hold brackets
        title=Text(
            f"store key directory v{summary['version']}: {summary['stores']} stores "
            f"({aliases}); {summary['learned_orders']} learned channel orders; {when}"
        )
    )
    for col in ("route", "group", "stage", "stores on the platform", "store codes"):
        table.add_column(col, overflow="fold")
    for r in summary["routes"]:
        more = " …" if r["stores_on_platform"] > len(r["codes"]) else ""
        table.add_row(
            r["route"],
            r["group"],
            r["stage"],
            f"{r['stores_on_platform']} / {r['stores']}",
            " ".join(r["codes"]) + more,
        )
    if not summary["routes"]:
        table.caption = "no store-keyed route is past shadow: every store is on legacy"
    return table
