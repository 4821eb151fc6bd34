"""Real processes on loopback for the proxy's integration tests.

``stack`` (one per test module) is: a legacy database seeded with a small history, migrated
into the platform's center databases by the real backfill (``zhongtai migrate backfill``), so
both systems start from the same data; the real legacy app (``zhongtai serve legacy``), the
real middle platform (``zhongtai serve platform``: gateway and centers in one process) and one
strangler proxy (``zhongtai serve proxy``) on a SQLite state database, with gates made small
(5 requests) so breaking one takes few requests. Tests see what the platform did through its
answers, its data and the proxy's figures; a platform that fails is the real one stopped
(refused connections) or frozen with SIGSTOP (slow), and one that disagrees is the real one
after a store was renamed in legacy's database alone (no sync runs here).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from zhongtai.config import load_settings
from zhongtai.db import create_engine
from zhongtai.legacy.clock import SHANGHAI
from zhongtai.legacy.schema import t_store
from zhongtai.serving import ServiceProcess, free_port
from zhongtai.strangler import signing
from zhongtai.strangler.records import Records
from zhongtai.strangler.state import StateStore

SHIPPED_ROUTES = Path(__file__).parents[3] / "zhongtai" / "strangler" / "routes.toml"
OPERATOR_KEY = "test-operator-key"
MAX_BODY = 65_536
WAIT = 15.0  # upper bound for conditions that normally hold within a second


def wait_for(condition, what: str, timeout: float = WAIT):
    """Poll ``condition`` until it returns something truthy; fail with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def seed_both_systems(settings) -> None:
    """A small legacy history (8 stores, one closed and one deleted among them, as real
    chains have), then every center database upgraded and backfilled from it."""
    from zhongtai.migrate.backfill import backfill
    from zhongtai.platform.migrations import upgrade_all
    from zhongtai.workload.seed import seed_legacy

    anchor = datetime.combine(date.today() - timedelta(days=2), clock_time(20), SHANGHAI)
    seed_legacy(settings.database("legacy"), stores=8, members=30, orders=80, seed=12,
                anchor=anchor)  # fmt: skip
    upgrade_all(settings)
    backfill(settings, [])


def legacy_stores(stack, *, open_only: bool = False) -> list[dict]:
    """The seeded stores as legacy has them (id, code, city, channel ids, status)."""
    settings = load_settings(stack.workspace, env={**os.environ, **stack.env})
    engine = create_engine(settings.database("legacy"))
    c = t_store.c
    q = sa.select(c.id, c.store_code, c.city_name, c.mt_app_poi_code, c.ele_shop_id, c.status)
    if open_only:
        q = q.where(c.status == 1, c.is_deleted == 0)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q.order_by(c.id))]
    finally:
        engine.dispose()


def diverge_in_legacy(stack, store_id: int, name: str) -> None:
    """Rename a store in legacy's database behind both systems' backs: legacy answers the new
    name, the platform (no sync running) the migrated one — a real, known difference."""
    settings = load_settings(stack.workspace, env={**os.environ, **stack.env})
    engine = create_engine(settings.database("legacy"))
    try:
        with engine.begin() as conn:
            conn.execute(t_store.update().where(t_store.c.id == store_id).values(store_name=name))
    finally:
        engine.dispose()


def metric(url: str, name: str, **labels: str) -> float:
    """Sum of the Prometheus samples ``name`` whose labels include ``labels`` (0 if none)."""
    text = httpx.get(f"{url}/_zhongtai/metrics").text
    want = [f'{k}="{v}"' for k, v in labels.items()]
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(w in line for w in want):
            total += float(line.rsplit(" ", 1)[1])
    return total


def small_gates_routes_file(target: Path) -> Path:
    """The shipped table with small gates and an A/A sample on every mp.stores read."""
    text = SHIPPED_ROUTES.read_text(encoding="utf-8")
    text = text.replace("min_requests = 20", "min_requests = 5")
    text = text.replace('name = "mp.stores"\n', 'name = "mp.stores"\naa_rate = 1.0\n')
    target.write_text(text, encoding="utf-8")
    return target


@dataclass
class Stack:
    workspace: Path
    env: dict[str, str]
    legacy: ServiceProcess
    platform: ServiceProcess
    proxy: ServiceProcess
    store: StateStore
    records: Records
    extra: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.proxy.url

    def set_stage(self, route: str, stage: str, percent: float | None = None) -> None:
        """Put ``route`` at ``stage`` (forced, audited) and wait until the proxies follow."""
        current = self.store.load_table().get(route)
        if current.stage.value != stage or current.percent != percent:
            self.store.set_stage(route, stage, percent, who="pytest", why="test", force=True)
        self.wait_reloaded()

    def wait_reloaded(self, *urls: str) -> int:
        version = self.store.version()
        for url in urls or [self.url, *[p.url for p in self.extra]]:
            wait_for(
                lambda u=url: httpx.get(f"{u}/_zhongtai/healthz").json()["version"] >= version,
                f"{url} to load route table version {version}",
            )
        return version

    def signed(self, method: str, path: str, control: dict[str, str]) -> dict[str, str]:
        return signing.sign(OPERATOR_KEY, method, path, control)

    def sent_to_platform(self, route: str, url: str | None = None) -> int:
        """Requests this route's current revision sent to the platform (served or shadow
        copies), as the proxy at ``url`` (default: the main one) counts them."""
        revision = self.store.load_table().get(route).revision
        labels = {"route": route, "side": "platform", "revision": str(revision)}
        return int(metric(url or self.url, "zhongtai_requests_total", **labels))

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``zhongtai ARGS`` against this stack's workspace, as an operator would."""
        return subprocess.run(
            [sys.executable, "-m", "zhongtai.cli", "--workspace", str(self.workspace), *args],
            env={**os.environ, **self.env, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start_proxy(self, *, workers: int = 1, **env: str) -> ServiceProcess:
        """Another proxy process on its own port, sharing the state database."""
        extra = ["--workers", str(workers)] if workers > 1 else []
        proc = ServiceProcess(
            "proxy",
            port=free_port(),
            env={**self.env, **env},
            workspace=self.workspace,
            log_dir=self.workspace / f"logs-{len(self.extra)}",
            extra_args=extra,
        )
        proc.start()
        self.extra.append(proc)
        return proc

    @contextmanager
    def platform_down(self):
        """The real platform stopped (connections refused), started again afterwards."""
        self.platform.stop()
        try:
            yield
        finally:
            self.platform.start(timeout=120)

    @contextmanager
    def platform_frozen(self):
        """The real platform frozen with SIGSTOP: it accepts connections (the kernel queues
        them) and answers nothing until SIGCONT — a platform that has become very slow."""
        group = os.getpgid(self.platform.proc.pid)
        os.killpg(group, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(group, signal.SIGCONT)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    ws = tmp_path_factory.mktemp("strangler")
    legacy_port, platform_port = free_port(), free_port()
    env = {
        "ZHONGTAI_WORKSPACE": str(ws),
        "ZHONGTAI_SERVE_LEGACY_PORT": str(legacy_port),
        "ZHONGTAI_SERVE_PLATFORM_PORT": str(platform_port),
        "ZHONGTAI_SECURITY_OPERATOR_KEY": OPERATOR_KEY,
        "ZHONGTAI_PROXY_RELOAD_MS": "200",
        "ZHONGTAI_PROXY_MAX_BODY_BYTES": str(MAX_BODY),
        "ZHONGTAI_PROXY_AA_PERCENT": "0",
        "ZHONGTAI_PROXY_ROUTES_FILE": str(small_gates_routes_file(ws / "routes.toml")),
        "ZHONGTAI_OPERATOR": "pytest",
    }
    settings = load_settings(ws, env={**os.environ, **env})
    seed_both_systems(settings)
    logs = ws / "logs"
    legacy = ServiceProcess("legacy", port=legacy_port, env=env, workspace=ws, log_dir=logs)
    platform = ServiceProcess("platform", port=platform_port, env=env, workspace=ws, log_dir=logs)
    proxy = ServiceProcess("proxy", port=free_port(), env=env, workspace=ws, log_dir=logs)
    engine = create_engine(settings.database("state"))
    s = Stack(ws, env, legacy, platform, proxy, StateStore(engine), Records(engine))
    try:
        legacy.start()
        platform.start(timeout=120)
        proxy.start()
        yield s
    finally:
        for p in [*s.extra, proxy, platform, legacy]:
            p.stop()
        engine.dispose()
