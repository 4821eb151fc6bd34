"""``zhongtai demo``: the story on the embedded default, in its own workspace.

Today the story is the legacy side: seed a realistic history into the monolith, serve it with
the simulated channel open API beside it, drive live traffic of every client kind, check that
every acknowledged write is in the database, print the summary and stop every process.

The demo never touches the user's configured databases: it runs in ``<workspace>/demo`` on
SQLite files, on free ports when the configured ones are taken.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

from rich.console import Console

from zhongtai.config import DATABASES, Settings, load_settings
from zhongtai.serving import ServiceProcess, free_port, port_is_free


def demo_settings(base: Settings) -> Settings:
    """Settings for the demo: SQLite in ``<workspace>/demo``, free ports."""
    workspace = base.workspace / "demo"
    env = {f"ZHONGTAI_DATABASES_{name.upper()}": "" for name in DATABASES}
    settings = load_settings(workspace, env=env, config_file=None, cwd=Path.cwd())
    host = base.serve.host

    def pick(port: int) -> int:
        return port if port_is_free(host, port) else free_port(host)

    serve = dataclasses.replace(
        base.serve,
        legacy_port=pick(base.serve.legacy_port),
        platform_port=pick(base.serve.platform_port),
        proxy_port=pick(base.serve.proxy_port),
        channel_port=pick(base.serve.channel_port),
    )
    legacy = dataclasses.replace(base.legacy, channel_api=f"http://{host}:{serve.channel_port}")
    return dataclasses.replace(settings, serve=serve, legacy=legacy)


def child_env(settings: Settings) -> dict[str, str]:
    """Environment that makes a child ``zhongtai serve`` see exactly these settings."""
    env = {f"ZHONGTAI_DATABASES_{n.upper()}": url for n, url in settings.databases.items()}
    env["ZHONGTAI_LEGACY_CHANNEL_API"] = settings.channel_api
    env["ZHONGTAI_LEGACY_MAX_BODY_BYTES"] = str(settings.legacy.max_body_bytes)
    env["ZHONGTAI_WORKSPACE"] = str(settings.workspace)
    return env


def run_demo(base: Settings, console: Console, *, orders: int, duration: float, rps: float) -> None:
    from zhongtai.render import acked_table, seed_table, traffic_table
    from zhongtai.workload.acked import verify_acked
    from zhongtai.workload.seed import seed_legacy
    from zhongtai.workload.traffic import run_traffic

    settings = demo_settings(base)
    if settings.workspace.exists():
        shutil.rmtree(settings.workspace)
    settings.workspace.mkdir(parents=True)
    logs = settings.workspace / "logs"
    started = time.monotonic()

    console.rule("[bold]zhongtai demo[/] · 中台 middle platform toolkit")
    console.print(f"workspace [bold]{settings.workspace}[/] (SQLite, embedded default)\n")

    console.rule("1 · the legacy O2O monolith gets its history")
    report = seed_legacy(
        settings.database("legacy"),
        stores=12,
        members=max(200, orders // 10),
        orders=orders,
        seed=42,
        reset=True,
        progress=True,
    )
    console.print(seed_table(report))

    console.rule("2 · serve the monolith and the channels' open API")
    env = child_env(settings)
    host = settings.serve.host
    channel = ServiceProcess(
        "channel", port=settings.serve.channel_port, host=host, env=env, log_dir=logs
    )
    legacy = ServiceProcess(
        "legacy", port=settings.serve.legacy_port, host=host, env=env, log_dir=logs
    )
    with channel, legacy:
        console.print(f"legacy monolith   {legacy.url}   (logs in {logs})")
        console.print(f"channel open API  {channel.url}\n")

        console.rule(f"3 · live traffic: {rps:g} req/s for {duration:g}s, every client kind")
        summary = run_traffic(settings, target=legacy.url, rps=rps, duration=duration, seed=7)
        console.print(traffic_table(summary))

        console.rule("4 · every acknowledged write is in the database")
        check = verify_acked(settings)
        console.print(acked_table(check))

    console.rule("done")
    console.print(
        f"stopped every process · {time.monotonic() - started:.1f}s · "
        f"explore: [bold]zhongtai --workspace {settings.workspace} serve legacy[/]"
    )
    if summary.errors or check.missing:
        from zhongtai.errors import ZhongtaiError

        raise ZhongtaiError(
            f"demo finished with {summary.errors} unexpected errors and "
            f"{len(check.missing)} acknowledged writes missing",
            hint=f"see the logs in {logs}",
        )
