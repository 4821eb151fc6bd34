"""``zhongtai demo``: the whole story on the embedded default, in its own workspace.

Seed a realistic legacy history; serve legacy, the simulated channel API, the platform and
the strangler proxy; keep live traffic of every client kind running through the proxy the
whole time; install change capture, backfill the centers, start forward sync; then walk the
reference cutover plan to its end with the plan watch — which also rolls back by itself when
the demo kills the platform during a canary — and finish with data parity, the
acknowledged-write log checked against both systems, and the parity report.

The demo never touches the user's configured databases: it runs in ``<workspace>/demo`` on
SQLite files, on free ports when the configured ones are taken. ``run_story`` is the same
story on any settings (the end-to-end tests run it with legacy on MariaDB and the centers on
PostgreSQL). Every process it starts is stopped on the way out, also on Ctrl-C or an error.
"""

from __future__ import annotations

import dataclasses
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from zhongtai.config import DATABASES, Settings, load_settings
from zhongtai.serving import ServiceProcess, free_port, port_is_free


@dataclass
class StoryOptions:
    orders: int = 1_000  # historical orders seeded
    stores: int = 12
    rps: float = 20.0  # live traffic through the proxy, all client kinds
    plan_file: str | None = None  # default: the reference plan
    profile: str | None = "demo"  # gate profile of the plan
    fault: bool = True  # kill the platform during a canary; the watch must roll back
    fault_step: str = "orders-channels-pos-canary-50"
    step_timeout: float = 120.0  # a step whose gates do not hold by then fails the story
    # Forward sync's --poll (a batch that drained the log is followed by the next one that
    # long after it began). A shadowed write is a dry run on the
    # platform's copy, sent alongside legacy's; polling every second (not every 0.2 s) lets
    # the copy see the state legacy saw instead of legacy's own change already carried over.
    forward_poll: float | None = 1.0
    report_dir: Path | None = None


@dataclass
class StoryResult:
    plan_complete: bool = False
    fault_rolled_back: bool | None = None  # None: no fault induced
    data_ok: bool = False
    acked: dict = field(default_factory=dict)  # side → AckedCheck
    traffic: dict = field(default_factory=dict)
    report_paths: dict = field(default_factory=dict)
    report_ok: bool = False
    seconds: float = 0.0
    held: list[str] = field(default_factory=list)  # the gates a step could not pass in time

    @property
    def ok(self) -> bool:
        acked_ok = bool(self.acked) and all(c.ok for c in self.acked.values())
        fault_ok = self.fault_rolled_back is not False
        return self.plan_complete and fault_ok and self.data_ok and acked_ok


def demo_settings(base: Settings) -> Settings:
    """Settings for the demo: SQLite in ``<workspace>/demo``, free ports."""
    workspace = base.workspace / "demo"
    env = {f"ZHONGTAI_DATABASES_{name.upper()}": "" for name in DATABASES}
    settings = load_settings(workspace, env=env, config_file=None, cwd=Path.cwd())
    return with_free_ports(settings, base)


def with_free_ports(settings: Settings, base: Settings | None = None) -> Settings:
    """``settings`` with each service on its configured port if free, else a free one."""
    base = base or settings
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
    """Environment that makes a child ``zhongtai`` process see exactly these settings."""
    env = {f"ZHONGTAI_DATABASES_{n.upper()}": url for n, url in settings.databases.items()}
    env["ZHONGTAI_LEGACY_CHANNEL_API"] = settings.channel_api
    env["ZHONGTAI_LEGACY_MAX_BODY_BYTES"] = str(settings.legacy.max_body_bytes)
    env["ZHONGTAI_WORKSPACE"] = str(settings.workspace)
    for name in ("proxy", "legacy", "platform", "channel"):
        env[f"ZHONGTAI_SERVE_{name.upper()}_PORT"] = str(getattr(settings.serve, f"{name}_port"))
    env["ZHONGTAI_SERVE_HOST"] = settings.serve.host
    return env


def run_demo(base: Settings, console: Console, options: StoryOptions | None = None) -> StoryResult:
    """The story on SQLite in ``<workspace>/demo`` (wiped first)."""
    settings = demo_settings(base)
    if settings.workspace.exists():
        shutil.rmtree(settings.workspace)
    settings.workspace.mkdir(parents=True)
    return run_story(settings, console, options or StoryOptions())


def run_story(settings: Settings, console: Console, options: StoryOptions) -> StoryResult:
    """Seed, serve, traffic, capture, backfill, sync, walk the plan, check, report."""
    from zhongtai.cutover.story import Story

    started = time.monotonic()
    console.rule("[bold]zhongtai demo[/] · 中台 middle platform toolkit")
    console.print(f"workspace [bold]{settings.workspace}[/] · databases:")
    for name, url in settings.masked_databases().items():
        console.print(f"  {name:<8} {url}")
    with ExitStack() as stack:
        stack.enter_context(_terminate_as_interrupt())
        story = Story(settings, console, options, stack, child_env(settings))
        result = story.run()
    result.seconds = time.monotonic() - started
    story.summarise(result)
    if not result.ok:
        from zhongtai.errors import ZhongtaiError

        where = f"; held at {result.held[0]}" if result.held else ""
        raise ZhongtaiError(
            f"the demo story did not end as it should{where} (see the summary above)",
            hint=f"the logs are in {settings.workspace / 'logs'}; "
            f"`zhongtai --workspace {settings.workspace} plan history` shows every move",
        )
    return result


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI timeout, ``kill``) unwinds the story like Ctrl-C, so every process it
    started is stopped; the services run in sessions of their own and would outlive it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: let the cleanup finish
        raise KeyboardInterrupt(f"signal {signum}")

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def run_legacy_demo(
    base: Settings, console: Console, options: StoryOptions, duration: float
) -> None:
    """The legacy half of the story alone: seed, serve legacy and the channel API, drive
    traffic straight at legacy, and check every acknowledged write is in its database."""
    from zhongtai.render import acked_table, seed_table, traffic_table
    from zhongtai.workload.acked import verify_acked
    from zhongtai.workload.seed import seed_legacy
    from zhongtai.workload.traffic import run_traffic

    settings = demo_settings(base)
    if settings.workspace.exists():
        shutil.rmtree(settings.workspace)
    settings.workspace.mkdir(parents=True)
    console.rule("[bold]zhongtai demo --story legacy[/] · the monolith and its clients")
    report = seed_legacy(
        settings.database("legacy"), stores=options.stores, members=max(200, options.orders // 10),
        orders=options.orders, seed=42, reset=True, progress=True,
    )  # fmt: skip
    console.print(seed_table(report))
    env = child_env(settings)
    with ExitStack() as stack:
        stack.enter_context(_terminate_as_interrupt())
        for name in ("channel", "legacy"):
            service = start_service(name, settings, env)
            stack.callback(service.stop)
            console.print(f"  {name:<9} {service.url}")
        console.rule(f"live traffic: {options.rps:g} req/s for {duration:g}s, every client kind")
        target = settings.url_for("legacy")
        summary = run_traffic(settings, target=target, rps=options.rps, duration=duration, seed=7)
        console.print(traffic_table(summary))
        check = verify_acked(settings)
        console.print(acked_table(check))
    if summary.errors or check.missing:
        from zhongtai.errors import ZhongtaiError

        raise ZhongtaiError(
            f"demo finished with {summary.errors} unexpected errors and "
            f"{len(check.missing)} acknowledged writes missing",
            hint=f"see the logs in {settings.workspace / 'logs'}",
        )


def service_process(name: str, settings: Settings, env: dict[str, str]) -> ServiceProcess:
    """``zhongtai serve NAME`` on its port from ``settings``, not started yet."""
    port = getattr(settings.serve, f"{name}_port")
    return ServiceProcess(
        name, port=port, host=settings.serve.host, env=env, log_dir=settings.workspace / "logs"
    )


def start_service(name: str, settings: Settings, env: dict[str, str]) -> ServiceProcess:
    """``zhongtai serve NAME`` on its port from ``settings``, started and healthy."""
    return service_process(name, settings, env).start(timeout=120)
