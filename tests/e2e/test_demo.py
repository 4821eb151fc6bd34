"""The demo's story end to end, scaled down: real processes, real databases, live traffic.

Seed legacy, serve legacy, the channel API, the platform and the proxy, keep traffic running
through the proxy, capture, backfill and sync, walk the reference plan to its end with the
watch — which must roll back by itself when the platform is killed during a canary — then
check, independently of what the demo printed, that the plan completed with every route on
the platform, that data parity holds on every mapping, and that every write the traffic saw
acknowledged is in legacy and on the platform. Once on SQLite through the CLI
(`zhongtai demo --story full` with the shortest gate profile), once with legacy on MariaDB and
the centers and state on PostgreSQL.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import ENGINES
from zhongtai.config import Settings, load_settings
from zhongtai.errors import ZhongtaiError
from zhongtai.strangler.stages import Stage

# A generous step timeout: a step that cannot pass ends the story anyway, and a busy CI machine
# must not turn a slow data-parity gate into a failure.
ORDERS, RPS, STEP_TIMEOUT = 400, 20, 180.0


def verify_story(settings: Settings) -> None:
    """What must hold after the story, checked with the toolkit's own public functions."""
    from zhongtai.compare.data import compare_data
    from zhongtai.cutover import operations
    from zhongtai.cutover.acked_platform import check_both
    from zhongtai.cutover.observe import routes_now
    from zhongtai.workload.acked import acked_path, load_acked

    entries = operations.history(settings, 500)
    assert entries[0].action == "complete", [(e.action, e.why) for e in entries[:5]]
    automatic = [e for e in entries if e.automatic and e.action == "rollback"]
    assert automatic, "the induced fault was not rolled back by the watch"
    assert all(e.who and e.why for e in entries)
    assert any(v.get("status") == "fail" for v in automatic[-1].verdicts or []) or any(
        "moved_before" in c for c in automatic[-1].changes or []
    )

    routes = routes_now(settings)
    off = {n for n, v in routes.items() if v.stage is not Stage.PLATFORM}
    assert off == {"ops.healthz"}, off  # legacy's own health check stays with legacy

    parity = compare_data(settings, [], record=False)
    failing = {u.name: dict(u.counts) for u in parity.units if not u.ok}
    assert parity.ok, failing

    records = load_acked(acked_path(settings.workspace))
    assert len(records) > 100
    for side, check in check_both(settings, records).items():
        assert check.ok, (side, check.missing[:5])


@pytest.mark.skipif("sqlite" not in ENGINES, reason="SQLite not in ZHONGTAI_TEST_ENGINES")
def test_demo_story_on_sqlite(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGTAI_")}
    args = ["demo", "--story", "full", "--orders", str(ORDERS), "--rps", str(RPS)]
    args += ["--profile", "ci", "--step-timeout", str(STEP_TIMEOUT)]
    result = subprocess.run(
        [sys.executable, "-m", "zhongtai.cli", "--workspace", str(tmp_path), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "rolled the canary back by itself" in result.stdout
    workspace = tmp_path / "demo"
    assert (workspace / "report" / "report.html").is_file()
    verify_story(load_settings(workspace, env={}, cwd=tmp_path))


@pytest.mark.skipif(
    not {"mariadb", "postgresql"} <= set(ENGINES), reason="needs MariaDB and PostgreSQL"
)
def test_story_with_legacy_on_mariadb_and_the_centers_on_postgresql(tmp_path: Path, make_db):
    from zhongtai.config import CENTERS
    from zhongtai.demo import StoryOptions, run_story, with_free_ports

    env = {"ZHONGTAI_DATABASES_LEGACY": make_db("mariadb", "e2e_legacy")}
    for name in (*CENTERS, "state"):
        env[f"ZHONGTAI_DATABASES_{name.upper()}"] = make_db("postgresql", f"e2e_{name}")
    settings = with_free_ports(load_settings(tmp_path / "ws", env=env, cwd=tmp_path))
    shown = io.StringIO()
    console = Console(file=shown, width=120)
    try:
        options = StoryOptions(orders=ORDERS, rps=RPS, profile="ci", step_timeout=STEP_TIMEOUT)
        result = run_story(settings, console, options)
    except ZhongtaiError as exc:
        pytest.fail(f"{exc}\n{shown.getvalue()[-4000:]}")
    assert result.ok and result.fault_rolled_back
    verify_story(settings)
