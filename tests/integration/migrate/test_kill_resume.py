"""``kill -9`` a real backfill process at random points, resume it, compare whole targets.

The uninterrupted reference run and every killed-then-resumed run read the same legacy
database into their own state and center databases; afterwards every center table must hold
exactly the same rows, and the quarantine the same reasons.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.mappings import all_mappings

CHUNK = 20
POLL_BOUND_S = 300  # a bound, not a timing assertion: the run normally ends in seconds


def _cli(env_vars: dict, workspace: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, **env_vars, "ZHONGTAI_WORKSPACE": str(workspace)}
    return subprocess.Popen(
        [sys.executable, "-m", "zhongtai.cli", "migrate", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _chunks_done(engine: sa.Engine) -> int:
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT coalesce(sum(chunks_done), 0) FROM migrate_backfill_partition")
                ).scalar()
            )
    except sa.exc.SQLAlchemyError:
        return 0  # the state tables do not exist yet


def _unfinished(engine: sa.Engine) -> bool:
    """True while some mapping of the run is not planned yet or not finished."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT finished_at FROM migrate_backfill")).all()
    return len(rows) < len(all_mappings()) or any(r[0] is None for r in rows)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


def _wait_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + POLL_BOUND_S
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}").exists() else ""
            if ") Z " in stat:  # a zombie has exited already
                break
            time.sleep(0.05)


def _kill_at(proc: subprocess.Popen, state: sa.Engine, chunks: int, delay: float) -> bool:
    """SIGKILL the CLI (only the CLI: its pool workers must notice on their own) once
    ``chunks`` chunks are committed, plus ``delay`` seconds; False if it ended first."""
    deadline = time.monotonic() + POLL_BOUND_S
    while proc.poll() is None and _chunks_done(state) < chunks:
        assert time.monotonic() < deadline, "backfill made no progress"
        time.sleep(0.005)
    time.sleep(delay)
    workers = _children(proc.pid)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _wait_gone(workers)
    return True


def test_kill_9_then_resume_ends_with_the_uninterrupted_target(
    migrate_env, env_factory, engine_pair, tmp_path
):
    reference = migrate_env
    report = backfill(reference.settings, chunk_size=CHUNK)
    total_chunks = sum(o.chunks for o in report.outcomes)
    expected = reference.dump()
    expected_quarantine = {o.name: (o.quarantined, o.reasons) for o in report.outcomes}
    assert total_chunks > 12 and expected["order.orders"]

    seeds = (1, 2, 3) if engine_pair[1] == "sqlite" else (4, 5)
    cut_short = 0
    for seed in seeds:
        rng = random.Random(seed)
        workers = "2" if seed % 2 == 0 else "1"
        env = env_factory(reference.url("legacy"))
        state = create_engine(env.url("state"))
        try:
            # In the first half: a faster backfill (workers write ahead) finished the last few
            # chunks before a kill aimed near the end could land.
            at = rng.randint(1, total_chunks // 2)
            proc = _cli(env.env, tmp_path / f"w{seed}", "backfill", "--chunk", str(CHUNK),
                        "--workers", workers)  # fmt: skip
            assert _kill_at(proc, state, at, rng.uniform(0, 0.03)), f"seed {seed}: ended first"
            assert _unfinished(state), f"seed {seed}: killed, yet the run had finished"
            # A late kill may find every target row written but not yet checkpointed: resume
            # must reconcile that too. Most kills land earlier (asserted below).
            cut_short += env.dump() != expected
            resumed = _cli(env.env, tmp_path / f"w{seed}", "backfill", "--resume",
                           "--chunk", str(CHUNK), "--json")  # fmt: skip
            out, err = resumed.communicate(timeout=POLL_BOUND_S)
            assert resumed.returncode == 0, err.decode()
            outcomes = {m["name"]: m for m in json.loads(out)["mappings"]}
            assert env.dump() == expected, f"seed {seed}: target differs after resume"
            for name, (count, reasons) in expected_quarantine.items():
                assert outcomes[name]["quarantined"] == count, (seed, name)
                got = [(r["reason"], r["rows"]) for r in outcomes[name]["reasons"]]
                assert got == [r[:2] for r in reasons], (seed, name)
            status = _cli(env.env, tmp_path / f"w{seed}", "status", "--json")
            out, _ = status.communicate(timeout=POLL_BOUND_S)
            assert {s["state"] for s in json.loads(out)} == {"done"}
        finally:
            state.dispose()
    assert cut_short, "no kill landed before the target was complete"
