"""Real processes on loopback for the proxy's integration tests.

``stack`` (one per test module) is: the real legacy app (``zhongtai serve legacy``) on a
seeded SQLite database, the platform twin (``twin.py``: a real HTTP process that answers the
legacy contract through legacy, honours the dry-run marker and records what it receives) and
one strangler proxy (``zhongtai serve proxy``) on a SQLite state database, with gates made
small (5 requests) so breaking one takes few requests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from zhongtai.config import load_settings
from zhongtai.db import create_engine
from zhongtai.legacy.schema import create_schema, t_brand, t_store
from zhongtai.serving import ServiceProcess, free_port, wait_until_healthy
from zhongtai.strangler import signing
from zhongtai.strangler.records import Records
from zhongtai.strangler.state import StateStore

TWIN = Path(__file__).with_name("twin.py")
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


STORES = [  # store_code, city; one closed store among them, as real chains have
    ("HZ0002", "杭州", 1), ("SH0002", "上海", 1), ("SH0005", "上海", 1),
    ("NJ0003", "南京", 1), ("CD0002", "成都", 1), ("SH0009", "上海", -1),
]  # fmt: skip


def add_stores(url: str) -> list[dict]:
    """The legacy schema with a brand and a few stores (the legacy app creates the rest)."""
    engine = create_engine(url)
    try:
        create_schema(engine)
        with engine.begin() as conn:
            conn.execute(t_brand.insert().values(id=1, brand_code="LJF", brand_name="老街坊"))
            for i, (code, city, status) in enumerate(STORES, start=1):
                conn.execute(t_store.insert().values(
                    id=i, brand_id=1, store_code=code, store_name=f"老街坊({city}{i}店)",
                    city_name=city, address=f"{city}人民路{i}号", phone="021-5555000" + str(i),
                    lng=121.4, lat=31.2, business_hours="10:00-22:00", status=status,
                    mt_app_poi_code=f"mt_{code.lower()}", ele_shop_id=str(9000 + i),
                    create_time="2024-01-01 10:00:00",
                ))  # fmt: skip
        with engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(sa.select(t_store).order_by(t_store.c.id))
            ]
    finally:
        engine.dispose()


class TwinProcess:
    def __init__(self, port: int, legacy_url: str, log: Path) -> None:
        self.port, self.legacy_url, self.log = port, legacy_url, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> TwinProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, str(TWIN), "--port", str(self.port), "--legacy", self.legacy_url],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        wait_until_healthy(f"{self.url}/_twin/healthz", proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def requests(self) -> list[dict]:
        return httpx.get(f"{self.url}/_twin/requests").json()

    def forget(self) -> None:
        httpx.delete(f"{self.url}/_twin/requests")

    def fault(self, **fault) -> None:
        httpx.post(f"{self.url}/_twin/fault", json=fault)


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
    twin: TwinProcess
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


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    ws = tmp_path_factory.mktemp("strangler")
    legacy_port, twin_port = free_port(), free_port()
    env = {
        "ZHONGTAI_WORKSPACE": str(ws),
        "ZHONGTAI_SERVE_LEGACY_PORT": str(legacy_port),
        "ZHONGTAI_SERVE_PLATFORM_PORT": str(twin_port),
        "ZHONGTAI_SECURITY_OPERATOR_KEY": OPERATOR_KEY,
        "ZHONGTAI_PROXY_RELOAD_MS": "200",
        "ZHONGTAI_PROXY_MAX_BODY_BYTES": str(MAX_BODY),
        "ZHONGTAI_PROXY_AA_PERCENT": "0",
        "ZHONGTAI_PROXY_ROUTES_FILE": str(small_gates_routes_file(ws / "routes.toml")),
        "ZHONGTAI_OPERATOR": "pytest",
    }
    settings = load_settings(ws, env={**os.environ, **env})
    add_stores(settings.database("legacy"))
    legacy = ServiceProcess("legacy", port=legacy_port, env=env, workspace=ws, log_dir=ws / "logs")
    twin = TwinProcess(twin_port, legacy.url, ws / "logs" / "twin.log")
    proxy = ServiceProcess("proxy", port=free_port(), env=env, workspace=ws, log_dir=ws / "logs")
    engine = create_engine(settings.database("state"))
    s = Stack(ws, env, legacy, twin, proxy, StateStore(engine), Records(engine))
    try:
        legacy.start()
        twin.start()
        proxy.start()
        yield s
    finally:
        for p in [*s.extra, proxy]:
            p.stop()
        twin.stop()
        legacy.stop()
        engine.dispose()
