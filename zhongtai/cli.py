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
    """Drive live traffic of every client kind and print a summary."""
    from zhongtai.render import traffic_table
    from zhongtai.workload.traffic import run_traffic

    settings = state.settings
    summary = run_traffic(
        settings,
        target=target or settings.url_for("legacy"),
        rps=rps,
        duration=duration,
        seed=seed,
    )
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


@app.command()
def demo(
    orders: Annotated[int, typer.Option(min=0, help="Historical orders to seed.")] = 5_000,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of live traffic.")] = 10.0,
    rps: Annotated[float, typer.Option(min=1, help="Live requests per second.")] = 30.0,
) -> None:
    """Tell the story on the embedded default: seed, serve, drive traffic, summarise, stop."""
    from zhongtai.demo import run_demo

    run_demo(state.settings, console, orders=orders, duration=duration, rps=rps)


def run() -> None:
    """Console-script entry: run the app and turn ZhongtaiError into one line and an exit code."""
    try:
        rc = app(standalone_mode=False)
    except ZhongtaiError as exc:
        if state.debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            err_console.print(f"[dim]hint:[/] {exc.hint}")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    run()
