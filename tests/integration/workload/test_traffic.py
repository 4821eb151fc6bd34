"""Live traffic against the real legacy app and channel API, on every database engine.

The legacy monolith and the simulated channel open API run as child processes (``zhongtai
serve``) over a freshly seeded database; the generator drives every client kind for a few
seconds; then each acknowledged write is looked up in the database with SQLAlchemy Core.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console

from zhongtai.config import load_settings
from zhongtai.db import create_engine
from zhongtai.errors import UpstreamError
from zhongtai.legacy.schema import t_order
from zhongtai.render import acked_table, traffic_table
from zhongtai.serving import ServiceProcess, free_port
from zhongtai.workload.acked import acked_path, load_acked, verify_acked
from zhongtai.workload.schedule import CLIENTS
from zhongtai.workload.seed import seed_legacy
from zhongtai.workload.traffic import run_traffic

# Kinds a few seconds of traffic always reaches; rarer ones (refunds, cancels) are not asserted.
MUST = {
    "meituan.new", "eleme.new", "mp.stores", "mp.menu", "mp.order", "mp.pay_notify",
    "pos.pull", "pos.ack", "pos.progress", "admin.orders",
}  # fmt: skip


def _env(db_url: str, workspace: Path, channel_port: int) -> dict[str, str]:
    return {
        "ZHONGTAI_DATABASES_LEGACY": db_url,
        "ZHONGTAI_LEGACY_CHANNEL_API": f"http://127.0.0.1:{channel_port}",
        "ZHONGTAI_WORKSPACE": str(workspace),
    }


@pytest.fixture
def seeded(db_url, tmp_path):
    seed_legacy(db_url, stores=4, members=80, orders=300, seed=11, reset=True)
    return db_url, tmp_path / "ws"


@pytest.fixture
def seeded_sqlite(make_db, tmp_path):
    """Engine-independent behaviour is checked once, on SQLite."""
    url = make_db("sqlite")
    seed_legacy(url, stores=3, members=40, orders=100, seed=12, reset=True)
    return url, tmp_path / "ws"


def _last_status(records) -> dict[tuple, int]:
    """The last acknowledged status per order, found by channel id or order number."""
    last: dict[tuple, int] = {}
    for rec in records:
        if rec.status is not None:
            last[rec.identity] = rec.status
    return last


def _db_status(conn: sa.Connection, identity: tuple) -> list[int]:
    o = t_order.c
    if identity[0] == "channel":
        where = sa.and_(o.channel == identity[1], o.channel_order_id == identity[2])
    else:
        where = o.order_no == identity[1]
    return [int(s) for (s,) in conn.execute(sa.select(o.status).where(where))]


def test_every_client_kind_runs_and_no_acknowledged_write_is_lost(seeded):
    db_url, workspace = seeded
    channel_port = free_port()
    env = _env(db_url, workspace, channel_port)
    settings = load_settings(workspace, env=env)
    logs = workspace / "logs"
    with (
        ServiceProcess("channel", port=channel_port, env=env, log_dir=logs),
        ServiceProcess("legacy", port=free_port(), env=env, log_dir=logs) as legacy,
    ):
        summary = run_traffic(settings, target=legacy.url, rps=40, duration=6, seed=5)

    assert summary.errors == 0, summary.error_samples
    assert summary.dropped == 0
    assert set(summary.by_client()) == set(CLIENTS)
    assert set(summary.requests) >= MUST, sorted(summary.requests)
    assert summary.requests.get("pull.meituan", 0) + summary.requests.get("pull.eleme", 0) > 0
    assert summary.lost_pushes["deposited"] > 0
    assert summary.lost_pushes["recovered"] == summary.lost_pushes["deposited"]
    assert summary.latency["all"]["p99_ms"] >= summary.latency["all"]["p50_ms"] > 0

    records = load_acked(acked_path(workspace), run=summary.run_id)
    assert len(records) == summary.acked_writes > 50
    kinds = {r.kind for r in records}
    assert {"meituan.new", "eleme.new", "mp.order", "mp.pay_notify", "pos.ack"} <= kinds
    assert any(k.endswith(".recovered") for k in kinds)

    # Every order an acknowledged write touched is there once, in its last acknowledged status.
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            for identity, status in _last_status(records).items():
                assert _db_status(conn, identity) == [status], identity
    finally:
        engine.dispose()
    check = verify_acked(settings, run=summary.run_id)
    assert check.ok, check.missing[:5]
    assert check.writes == len(records)

    console = Console(width=140, record=True)
    console.print(traffic_table(summary))
    console.print(acked_table(check))
    text = console.export_text()
    assert "pos.ack" in text and "nothing lost" in text


def test_the_check_notices_a_lost_write(seeded_sqlite):
    db_url, workspace = seeded_sqlite
    channel_port = free_port()
    env = _env(db_url, workspace, channel_port)
    settings = load_settings(workspace, env=env)
    with ServiceProcess("legacy", port=free_port(), env=env) as legacy:
        summary = run_traffic(settings, target=legacy.url, rps=20, duration=2, seed=9)
    assert summary.errors == 0, summary.error_samples
    assert any("channel API" in note and "skipped" in note for note in summary.notes)
    assert "pull" not in summary.by_client()

    records = load_acked(acked_path(workspace), run=summary.run_id)
    created = next(r for r in records if r.kind in ("meituan.new", "eleme.new"))
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:  # the write "disappears" behind the log's back
            conn.execute(
                t_order.delete().where(t_order.c.channel_order_id == created.channel_order_id)
            )
    finally:
        engine.dispose()
    check = verify_acked(settings, run=summary.run_id)
    assert not check.ok
    assert any(created.channel_order_id in p and "not in the database" in p for p in check.missing)


def test_an_unreachable_target_is_one_clear_error(seeded_sqlite):
    db_url, workspace = seeded_sqlite
    settings = load_settings(workspace, env=_env(db_url, workspace, free_port()))
    with pytest.raises(UpstreamError) as info:
        run_traffic(settings, target=f"http://127.0.0.1:{free_port()}", rps=5, duration=1, seed=1)
    assert "/healthz" in info.value.message and "zhongtai serve legacy" in info.value.hint


def test_the_traffic_command_prints_json(seeded_sqlite):
    db_url, workspace = seeded_sqlite
    channel_port = free_port()
    env = _env(db_url, workspace, channel_port)
    with (
        ServiceProcess("channel", port=channel_port, env=env),
        ServiceProcess("legacy", port=free_port(), env=env) as legacy,
    ):
        args = ["--workspace", str(workspace), "traffic", "--target", legacy.url]
        result = subprocess.run(
            [sys.executable, "-m", "zhongtai.cli", *args, "--rps", "15", "--duration", "2",
             "--json"],
            env={**env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["errors"] == 0 and data["total_requests"] > 10
    assert data["acked_log"] == str(acked_path(workspace))
