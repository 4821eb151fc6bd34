"""The ``zhongtai`` command: wires settings to the parts and renders their results.

It holds no logic of its own. ZhongtaiError is caught once here: one line on stderr and a
non-zero exit (``--debug`` shows the traceback).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from zhongtai import __version__
from zhongtai.config import CONFIG_FILE, CONFIG_TEMPLATE, Settings, load_settings
from zhongtai.errors import ConfigError, ZhongtaiError

console = Console()
err_console = Console(stderr=True)


class _State:
    workspace: Path | None = None
    config: Path | None = None
    debug: bool = False
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.workspace, config_file=self.config)
        return self._settings


state = _State()

app = typer.Typer(
    name="zhongtai",
    help="中台 middle platform toolkit: move a monolith route by route, store by store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
serve_app = typer.Typer(help="Run a server: legacy, platform, proxy or the simulated channel API.")
app.add_typer(serve_app, name="serve")
platform_app = typer.Typer(help="The middle platform's centers: schemas (alembic).")
app.add_typer(platform_app, name="platform")


def _version(value: bool) -> None:
    if value:
        console.print(f"zhongtai {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="ZHONGTAI_WORKSPACE",
            help="Workspace folder (default ./.zhongtai).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", envvar="ZHONGTAI_CONFIG", help="Config file (default ./zhongtai.toml)."
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    state.workspace, state.config, state.debug = workspace, config, debug
    state._settings = None
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented zhongtai.toml in the current folder and create the workspace."""
    path = Path.cwd() / CONFIG_FILE
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists", hint="edit it, or pass --force to overwrite")
    path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    settings = state.settings
    settings.workspace.mkdir(parents=True, exist_ok=True)
    console.print(f"wrote [bold]{path}[/] · workspace [bold]{settings.workspace}[/]")


@app.command()
def config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Show the effective settings (passwords masked)."""
    s = state.settings
    data = {
        "config_file": str(s.config_file) if s.config_file else None,
        "workspace": str(s.workspace),
        "databases": s.masked_databases(),
        "serve": vars(s.serve),
        "legacy": vars(s.legacy),
        "proxy": vars(s.proxy),
        "migrate": vars(s.migrate),
        "operator_key": str(s.operator_key),
    }
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    from zhongtai.render import settings_table

    console.print(settings_table(data))


@app.command()
def seed(
    stores: Annotated[int, typer.Option(min=1, help="Number of stores.")] = 20,
    members: Annotated[int, typer.Option(min=0, help="Number of members.")] = 2_000,
    orders: Annotated[int, typer.Option(min=0, help="Number of historical orders.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same data.")] = 42,
    reset: Annotated[
        bool, typer.Option("--reset", help="Drop and recreate the legacy tables first.")
    ] = False,
) -> None:
    """Fill the legacy database with deterministic, realistic history (quirks included)."""
    from zhongtai.render import seed_table
    from zhongtai.workload.seed import seed_legacy

    report = seed_legacy(
        state.settings.database("legacy"),
        stores=stores,
        members=members,
        orders=orders,
        seed=seed,
        reset=reset,
        progress=True,
    )
    console.print(seed_table(report))


@app.command()
def traffic(
    target: Annotated[
        str, typer.Option(help="Base URL to drive (legacy, platform or proxy).")
    ] = "",
    rps: Annotated[float, typer.Option(min=0.1, help="Requests per second, all kinds.")] = 20.0,
    duration: Annotated[float, typer.Option(min=0.1, help="Seconds to run.")] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the traffic mix.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Drive live traffic of every client kind and print a summary (Ctrl-C or SIGTERM ends
    the run early, with the summary of what ran)."""
    import signal
    import threading

    from zhongtai.render import traffic_table
    from zhongtai.workload.traffic import run_traffic

    settings = state.settings
    stop = threading.Event()
    stopping = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in stopping}
    try:
        summary = run_traffic(
            settings,
            target=target or settings.url_for("legacy"),
            rps=rps,
            duration=duration,
            seed=seed,
            stop=stop,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if as_json:
        print(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    else:
        console.print(traffic_table(summary))
    if summary.errors:
        raise typer.Exit(1)


@serve_app.command("legacy")
def serve_legacy(
    port: Annotated[
        int | None, typer.Option(help="Port (default serve.legacy_port, 8001).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default serve.host).")] = None,
) -> None:
    """Serve the legacy O2O monolith."""
    from zhongtai.legacy.app import create_app
    from zhongtai.serving import serve_app as run

    s = state.settings
    run(create_app(s), host or s.serve.host, port or s.serve.legacy_port, name="legacy")


@serve_app.command("platform")
def serve_platform(
    port: Annotated[
        int | None, typer.Option(help="Port (default serve.platform_port, 8002).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default serve.host).")] = None,
    split: Annotated[
        bool, typer.Option("--split", help="Run each center as its own process.")
    ] = False,
    center: Annotated[
        str | None, typer.Option(hidden=True, help="Serve this one center alone.")
    ] = None,
) -> None:
    """Serve the middle platform's centers (schemas are upgraded to head first)."""
    from zhongtai.platform.serve import serve_platform as run

    s = state.settings
    port = port or s.serve.platform_port
    run(s, host=host or s.serve.host, port=port, split=split, center=center)


@platform_app.command("upgrade")
def platform_upgrade(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Take every center's database to its alembic head and show center → revision."""
    from zhongtai.platform.migrations import upgrade_all
    from zhongtai.platform.render import upgrade_json, upgrade_table

    results = upgrade_all(state.settings)
    if as_json:
        print(json.dumps(upgrade_json(results), indent=2))
    else:
        console.print(upgrade_table(results))


@serve_app.command("channel")
def serve_channel(
    port: Annotated[
        int | None, typer.Option(help="Port (default serve.channel_port, 8009).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default serve.host).")] = None,
) -> None:
    """Serve the simulated Meituan/Eleme open API that compensation pulls call."""
    from zhongtai.serving import serve_app as run
    from zhongtai.workload.channel_api import create_app

    s = state.settings
    run(create_app(s), host or s.serve.host, port or s.serve.channel_port, name="channel")


# --- strangler proxy: serve proxy, route list|set|rollback, status -----------------------------
route_app = typer.Typer(help="The strangler proxy's routes: list, set a stage, roll back.")
app.add_typer(route_app, name="route")


@serve_app.command("proxy")
def serve_proxy(
    port: Annotated[int | None, typer.Option(help="Port (default serve.proxy_port, 8000).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default serve.host).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Proxy processes sharing the port (SO_REUSEPORT).")
    ] = 1,
) -> None:
    """Serve the strangler proxy in front of legacy and the platform."""
    from zhongtai.strangler.proxy import serve_proxy as run

    s = state.settings
    run(s, host=host or s.serve.host, port=port or s.serve.proxy_port, workers=workers)


@route_app.command("list")
def route_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Every route in match order, with its stage and sticky key."""
    from zhongtai.strangler.operations import list_routes
    from zhongtai.strangler.views import routes_table

    routes = list_routes(state.settings)
    if as_json:
        print(json.dumps(routes, indent=2, ensure_ascii=False))
    else:
        console.print(routes_table(routes))


@route_app.command("set")
def route_set(
    route: Annotated[str, typer.Argument(help="Route name (see `zhongtai route list`).")],
    stage: Annotated[str, typer.Argument(help="legacy, shadow, canary, platform or retired.")],
    why: Annotated[str, typer.Option("--why", help="Why (kept in the audit log).")],
    percent: Annotated[
        float | None, typer.Option("--percent", help="Canary share of keys on the platform.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Allow skipping stages.")] = False,
) -> None:
    """Move a route to a stage; running proxies follow within a second."""
    from zhongtai.strangler.operations import set_route
    from zhongtai.strangler.views import audit_line

    record = set_route(state.settings, route, stage, percent, why=why, force=force)
    console.print(audit_line(record))


@route_app.command("rollback")
def route_rollback(
    route: Annotated[str, typer.Argument(help="Route name.")],
    why: Annotated[str, typer.Option("--why", help="Why (kept in the audit log).")],
) -> None:
    """Move a route one stage back (to canary: its last percentage)."""
    from zhongtai.strangler.operations import rollback_route
    from zhongtai.strangler.views import audit_line

    console.print(audit_line(rollback_route(state.settings, route, why=why)))


@route_app.command("history")
def route_history(
    route: Annotated[str | None, typer.Argument(help="Only this route.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many changes.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """The audit log of route changes, newest first."""
    from zhongtai.strangler.operations import route_audit
    from zhongtai.strangler.views import audit_line

    records = route_audit(state.settings, route, limit)
    if as_json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
    for record in [] if as_json else records:
        console.print(audit_line(record))


@route_app.command("headers")
def route_headers(
    method: Annotated[str, typer.Argument(help="HTTP method of the request.")],
    path: Annotated[str, typer.Argument(help="Path with the query string, e.g. /api/x?a=1.")],
    side: Annotated[str | None, typer.Option(help="Force the side: legacy or platform.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Ask for a dry run.")] = False,
) -> None:
    """Print signed control headers (valid 5 minutes) as curl -H arguments."""
    from zhongtai.strangler.operations import control_headers

    headers = control_headers(state.settings, method, path, side=side, dry_run=dry_run)
    print(" ".join(f"-H '{k}: {v}'" for k, v in headers.items()))


@route_app.command("load")
def route_load(
    file: Annotated[
        str | None, typer.Option("--file", help="Route file (default proxy.routes_file).")
    ] = None,
) -> None:
    """Refresh the route definitions (keys, groups, policies) from the route file; stages stay."""
    from zhongtai.strangler.operations import load_routes

    done = load_routes(state.settings, file)
    console.print(f"{done['source']}: {done['created']} routes created, {done['updated']} updated")


stores_app = typer.Typer(help="The store key directory: every store identifier → its store code.")
route_app.add_typer(stores_app, name="stores")


@stores_app.command("refresh")
def route_stores_refresh(
    source: Annotated[
        str | None,
        typer.Option("--from", help="Store center base URL (default: the platform's one)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes only.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Load every store's ids from the store center; running proxies follow within a second."""
    from zhongtai.strangler.storekeys_ops import refresh_store_keys
    from zhongtai.strangler.views import store_keys_refresh_line

    result = refresh_store_keys(state.settings, source=source, dry_run=dry_run)
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        console.print(escape(store_keys_refresh_line(result)))


@stores_app.command("show")
def route_stores_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """The store key directory, and which stores each store-keyed route sends to the platform."""
    from zhongtai.strangler.storekeys_ops import store_keys_summary
    from zhongtai.strangler.views import store_keys_table

    summary = store_keys_summary(state.settings)
    if as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    else:
        console.print(store_keys_table(summary))


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Routes, stages and live figures per side (requests, errors, p50/p99, mismatches)."""
    from zhongtai.strangler.operations import status as strangler_status
    from zhongtai.strangler.views import status_table

    data = strangler_status(state.settings)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        console.print(status_table(data))


# --- data migration: migrate backfill|status|capture|sync ----------------------------------------
migrate_app = typer.Typer(help="Data migration legacy → centers: backfill, capture, sync, status.")
app.add_typer(migrate_app, name="migrate")


@migrate_app.command("backfill")
def migrate_backfill(
    mappings: Annotated[
        list[str] | None, typer.Argument(help="Mappings or groups (default: all, in order).")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Producers reading and transforming chunks ahead (this "
            "process is one of them; N - 1 more are spawned).",
        ),
    ] = 1,
    chunk: Annotated[int, typer.Option(min=1, help="Source rows per chunk.")] = 2_000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Transform and count only; write nothing.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last run's checkpoints.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Copy legacy rows into the centers through the mappings (idempotent, resumable)."""
    from zhongtai.migrate.backfill import backfill
    from zhongtai.migrate.views import backfill_table

    report = backfill(
        state.settings,
        mappings or [],
        workers=workers,
        chunk_size=chunk,
        dry_run=dry_run,
        resume=resume,
        console=None if as_json else err_console,
    )
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        console.print(backfill_table(report))


@migrate_app.command("status")
def migrate_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Per mapping: rows copied of total, chunks, quarantined rows and reasons, sync lag."""
    from zhongtai.migrate.status import migrate_status as collect
    from zhongtai.migrate.views import status_table

    statuses = collect(state.settings)
    if as_json:
        print(json.dumps([s.as_dict() for s in statuses], indent=2, ensure_ascii=False))
    else:
        console.print(status_table(statuses))


capture_app = typer.Typer(help="Change-log triggers (install before the backfill).")
migrate_app.add_typer(capture_app, name="capture")
_REVERSE_HELP = "On the center databases (for reverse sync) instead of legacy."


@capture_app.command("install")
def capture_install(
    reverse: Annotated[bool, typer.Option("--reverse", help=_REVERSE_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Add change-log triggers (idempotent; unchanged triggers are left in place)."""
    from zhongtai.migrate.capture import install_capture
    from zhongtai.migrate.sync_views import capture_table

    results = install_capture(state.settings, reverse=reverse)
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        console.print(capture_table(results))


@capture_app.command("remove")
def capture_remove(
    reverse: Annotated[bool, typer.Option("--reverse", help=_REVERSE_HELP)] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Discard changes no sync applied yet.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Drop the triggers and the change log (refused while changes wait, unless --force)."""
    from zhongtai.migrate.capture import remove_capture
    from zhongtai.migrate.sync_views import capture_table

    results = remove_capture(state.settings, reverse=reverse, force=force)
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        console.print(capture_table(results, removing=True))


@migrate_app.command("sync")
def migrate_sync(
    follow: Annotated[
        bool, typer.Option("--follow/--once", help="Keep applying (Ctrl-C stops) or drain once.")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, help="Changes per batch.")] = 500,
    reverse: Annotated[
        bool, typer.Option("--reverse", help="Platform → legacy: every write the platform took.")
    ] = False,
    poll: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Seconds from the start of a batch that drained the log "
            "to the next batch (at once if it took longer).",
        ),
    ] = 0.2,
    refresh: Annotated[
        float,
        typer.Option(min=0, help="--follow: rebuild merge facts at most every S s (0: always)."),
    ] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Apply captured changes in order and in batches (idempotent); report lag."""
    import signal
    import threading
    import time

    from zhongtai.migrate.sync import run_sync
    from zhongtai.migrate.sync_views import batch_line, sync_table

    stop = threading.Event()
    last = [0.0]

    def progress(outcome) -> None:
        if follow and not as_json and time.monotonic() - last[0] >= 5 and outcome.changes:
            last[0] = time.monotonic()
            err_console.print(batch_line(outcome))

    # Ctrl-C or a service manager's SIGTERM ends --follow after the batch in hand (settled).
    signals = (signal.SIGINT, signal.SIGTERM) if follow else ()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    try:
        report = run_sync(
            state.settings, reverse=reverse, follow=follow, batch=batch, poll=poll,
            refresh=refresh, stop=stop, on_batch=progress,
        )  # fmt: skip
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        console.print(sync_table(report))


# --- parity checks and reports: compare data|traffic, report -----------------------------------
compare_app = typer.Typer(help="Parity checks: data through the mappings, traffic from shadows.")
app.add_typer(compare_app, name="compare")


@compare_app.command("data")
def compare_data(
    mappings: Annotated[
        list[str] | None, typer.Argument(help="Mappings or groups (default: all).")
    ] = None,
    chunk: Annotated[int, typer.Option(min=1, help="Legacy rows per segment.")] = 2_000,
    tolerance_fen: Annotated[
        float, typer.Option(min=0, help="Money columns may differ by this many fen.")
    ] = 1.0,
    settle: Annotated[
        float, typer.Option(min=0, help="Seconds to wait before re-reading differences.")
    ] = 1.0,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes walking key-range partitions of a mapping.")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Compare center tables with their legacy rows; exit 1 on a difference."""
    from zhongtai.compare.data import compare_data as run_compare
    from zhongtai.compare.render_terminal import data_view
    from zhongtai.compare.run import Options

    options = Options(
        chunk_size=chunk, money_tolerance=tolerance_fen, settle_seconds=settle, workers=workers
    )
    with err_console.status("comparing…", spinner="dots") if not as_json else _quiet():
        parity = run_compare(state.settings, mappings or [], options=options)
    if as_json:
        print(json.dumps(parity.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        console.print(data_view(parity))
    if not parity.ok:
        raise typer.Exit(1)


@compare_app.command("traffic")
def compare_traffic(
    route: Annotated[str | None, typer.Option("--route", help="Only this route.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO time (UTC) or a span back: 30m, 2h, 1d.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Mismatch rate and differing fields per route, from shadows; exit 1 on a broken gate."""
    from zhongtai.compare.render_terminal import traffic_view
    from zhongtai.compare.report import compare_traffic as run_traffic
    from zhongtai.compare.traffic import parse_since

    traffic = run_traffic(state.settings, route=route, since=parse_since(since))
    if as_json:
        print(json.dumps(traffic.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        console.print(traffic_view(traffic))
    if not traffic.ok:
        raise typer.Exit(1)


@app.command()
def report(
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the files (default WORKSPACE/report).")
    ] = None,
    mappings: Annotated[
        list[str] | None, typer.Argument(help="Mappings to compare (default: all).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Traffic since: ISO time or 30m, 2h, 1d.")
    ] = None,
    data: Annotated[
        bool, typer.Option("--data/--no-data", help="Run data parity and invariants.")
    ] = True,
) -> None:
    """Write the parity report (HTML, Markdown, JSON); exit 1 when a gate fails."""
    from zhongtai.compare.render_terminal import report_view
    from zhongtai.compare.report import build_report, write_report
    from zhongtai.compare.traffic import parse_since

    settings = state.settings
    with err_console.status("checking parity…", spinner="dots"):
        result = build_report(
            settings, mappings or [], data=data, invariants=data, since=parse_since(since)
        )
    paths = write_report(result, out or settings.workspace / "report")
    console.print(report_view(result))
    for kind, path in paths.items():
        console.print(f"{kind:>8}: {path}")
    if not result.ok:
        raise typer.Exit(1)


def _quiet():
    from contextlib import nullcontext

    return nullcontext()


# --- cutover plan: plan show|advance|rollback|watch|history -------------------------------------
plan_app = typer.Typer(help="The staged cutover plan: show, advance, roll back, watch.")
app.add_typer(plan_app, name="plan")
PlanFile = Annotated[
    str | None,
    typer.Option("--plan", help="Plan file (default: the plan under way, else the reference)."),
]
PlanProfile = Annotated[
    str | None, typer.Option("--profile", help="Gate profile of the plan file (e.g. demo).")
]
PlanJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


@plan_app.command("show")
def plan_show(
    plan_file: PlanFile = None,
    profile: PlanProfile = None,
    data: Annotated[bool, typer.Option("--data", help="Also run the data-parity gate.")] = False,
    as_json: PlanJson = False,
) -> None:
    """Every step, where the plan stands, and the current step's gate verdicts."""
    from zhongtai.cutover.operations import show
    from zhongtai.cutover.views import plan_table, verdict_table

    view = show(state.settings, plan_file=plan_file, profile=profile, data=data)
    if as_json:
        print(json.dumps(view.as_dict(), indent=2, ensure_ascii=False, default=str))
        return
    console.print(plan_table(view.plan, view.state))
    if view.verdicts:
        console.print(verdict_table(view.verdicts, "gates of the current step"))


@plan_app.command("advance")
def plan_advance(
    why: Annotated[str, typer.Option("--why", help="Why (kept in the audit log).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Judge the gates and show the moves; change nothing.")
    ] = False,
    plan_file: PlanFile = None,
    profile: PlanProfile = None,
    as_json: PlanJson = False,
) -> None:
    """Apply the next step if every gate of the current one holds; exit 1 if one fails."""
    from zhongtai.cutover.gates import blocking
    from zhongtai.cutover.operations import advance
    from zhongtai.cutover.views import move_lines, verdict_table

    result, plan = advance(
        state.settings, why=why, dry_run=dry_run, plan_file=plan_file, profile=profile
    )
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        failing = blocking(result.verdicts)
        if failing:
            console.print(verdict_table(failing, "gates that do not hold"))
        for line in move_lines(result, plan):
            console.print(escape(line))
    if result.action == "hold":
        raise typer.Exit(1)


@plan_app.command("rollback")
def plan_rollback(
    why: Annotated[str, typer.Option("--why", help="Why (kept in the audit log).")],
    to: Annotated[int | None, typer.Option("--to", min=0, help="Go back to this step.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the moves only.")] = False,
    as_json: PlanJson = False,
) -> None:
    """Go back one step (or --to N); never gated, reverse sync drained first."""
    from zhongtai.cutover.operations import rollback
    from zhongtai.cutover.views import move_lines

    result, plan = rollback(state.settings, why=why, to=to, dry_run=dry_run)
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str))
        return
    for line in move_lines(result, plan):
        console.print(escape(line))


@plan_app.command("retry")
def plan_retry(
    why: Annotated[str, typer.Option("--why", help="What was fixed (kept in the audit log).")],
) -> None:
    """Restart the current step's analysis: soak and figures count from now (audited)."""
    from zhongtai.cutover.operations import retry
    from zhongtai.cutover.views import move_lines

    result, plan = retry(state.settings, why=why)
    for line in move_lines(result, plan):
        console.print(escape(line))


@plan_app.command("watch")
def plan_watch(
    interval: Annotated[float, typer.Option(min=0.2, help="Seconds between checks.")] = 2.0,
    promote: Annotated[
        bool, typer.Option("--promote", help="Also advance when every gate holds.")
    ] = False,
    once: Annotated[bool, typer.Option("--once", help="Check once and exit.")] = False,
    timeout: Annotated[
        float | None, typer.Option(min=1, help="Stop after this many seconds.")
    ] = None,
) -> None:
    """Follow canary steps; roll back by itself when a health gate breaks (Ctrl-C stops)."""
    import signal
    import threading

    from zhongtai.cutover.views import tick_line
    from zhongtai.cutover.watch import watch
    from zhongtai.strangler.state import operator_name

    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        watch(
            state.settings, who=f"{operator_name()} (plan watch, automatic)", interval=interval,
            promote=promote, once=once, timeout=timeout, stop=stop,
            report=lambda tick: console.print(escape(tick_line(tick))),
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)


@plan_app.command("history")
def plan_history(
    limit: Annotated[int, typer.Option(min=1, help="How many moves.")] = 20,
    as_json: PlanJson = False,
) -> None:
    """The plan's moves, newest first: who, when, from, to, why, gate figures."""
    from zhongtai.cutover.operations import history
    from zhongtai.cutover.views import audit_table

    entries = history(state.settings, limit)
    if as_json:
        print(json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False))
    else:
        console.print(audit_table(entries))


@app.command()
def demo(
    orders: Annotated[int, typer.Option(min=0, help="Historical orders to seed.")] = 1_000,
    rps: Annotated[float, typer.Option(min=1, help="Live requests per second.")] = 20.0,
    fault: Annotated[
        bool, typer.Option("--fault/--no-fault", help="Kill the platform during a canary.")
    ] = True,
    profile: Annotated[
        str, typer.Option(help="Gate profile of the reference plan: demo, or ci (shortest).")
    ] = "demo",
    story: Annotated[
        str, typer.Option(help="full: the whole cutover; legacy: the monolith and its clients.")
    ] = "full",
    duration: Annotated[
        float, typer.Option(min=1, help="Seconds of traffic (the legacy story).")
    ] = 10.0,
    step_timeout: Annotated[
        float, typer.Option(min=10, help="Seconds a step may take to pass its gates.")
    ] = 120.0,
) -> None:
    """Tell the story on the embedded default. --story full: seed, serve, traffic, migrate,
    walk the cutover plan (with an induced fault the watch rolls back), prove parity, report."""
    from zhongtai.demo import StoryOptions, run_demo, run_legacy_demo

    options = StoryOptions(
        orders=orders, rps=rps, fault=fault, profile=profile, step_timeout=step_timeout
    )
    if story == "legacy":
        run_legacy_demo(state.settings, console, options, duration)
    elif story == "full":
        run_demo(state.settings, console, options)
    else:
        raise ConfigError(f"--story must be full or legacy, got {story!r}")


def run() -> None:
    """Console-script entry: run the app and turn ZhongtaiError into one line and an exit code."""
    try:
        rc = app(standalone_mode=False)
    except ZhongtaiError as exc:
        if state.debug:
            raise
        # escape: messages carry "[url]" and "[store]" that rich would eat as markup
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}")
        if exc.hint:
            err_console.print(f"[dim]hint:[/] {escape(exc.hint)}")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        # typer >= 0.22 raises its vendored click's exceptions, not click's.
        vendored = type(exc).__module__.startswith("typer._click")
        if isinstance(exc, click.ClickException) or (vendored and hasattr(exc, "show")):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    run()
