"""`zhongtai plan ...` as an operator runs it: a real subprocess and a real workspace.

No servers are needed: the plan and the route table live in the state database, and the
proxies' figures are planted the way a proxy process writes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from zhongtai.config import load_settings
from zhongtai.db import create_engine
from zhongtai.strangler.figures import RouteFigures
from zhongtai.strangler.operations import open_state
from zhongtai.strangler.records import Records

PLAN = """
[plan]
name = "pos-only"

[[step]]
id = "pos-shadow"
routes = ["pos.*"]
stage = "shadow"
gates = { min_shadow_sample = 50, max_mismatch_rate = 0.05 }

[[step]]
id = "pos-canary"
routes = ["pos.*"]
stage = "canary"
percent = 20
gates = { max_error_rate = 0.05 }
"""


def zhongtai(*args: str, cwd: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGTAI_")}
    env["ZHONGTAI_OPERATOR"] = "alice@ops"
    env["COLUMNS"] = "220"  # tables on one line each
    return subprocess.run(
        [sys.executable, "-m", "zhongtai.cli", "--workspace", str(cwd / "ws"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def plant_shadow_pairs(tmp_path: Path, route: str, compared: int, mismatched: int) -> None:
    settings = load_settings(tmp_path / "ws", env={}, cwd=tmp_path)
    with open_state(settings) as (store, _):
        revision = next(r.revision for r in store.load_table().routes if r.name == route)
    fig = RouteFigures(revision)
    fig.compared, fig.mismatched = compared, mismatched
    engine = create_engine(settings.database("state"))
    try:
        Records(engine).save_snapshot("proxy-1", {route: fig.to_dict()})
    finally:
        engine.dispose()


def test_plan_commands_gate_move_and_audit(tmp_path: Path):
    (tmp_path / "plan.toml").write_text(PLAN)
    shown = zhongtai("plan", "show", "--plan", "plan.toml", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "pos-only" in shown.stdout and "not started" in shown.stdout

    dry = zhongtai(
        "plan", "advance", "--plan", "plan.toml", "--why", "x", "--dry-run", cwd=tmp_path
    )
    assert dry.returncode == 0 and "dry run — would advance" in dry.stdout
    assert "pos.pull: legacy → shadow" in dry.stdout
    listed = json.loads(zhongtai("route", "list", "--json", cwd=tmp_path).stdout)
    assert {r["stage"] for r in listed} == {"legacy"}  # a dry run changes nothing

    started = zhongtai("plan", "advance", "--plan", "plan.toml", "--why", "begin", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    assert "audited #1 by alice@ops" in started.stdout

    plant_shadow_pairs(tmp_path, "pos.ack", compared=40, mismatched=12)
    held = zhongtai("plan", "advance", "--why", "try", cwd=tmp_path)
    assert held.returncode == 1
    out = " ".join(held.stdout.split())
    assert "gates that do not hold" in out and "10 short" in out
    assert "mismatch rate 30.0% (12/40) > 5.0%" in out and "+25.0 points" in out

    as_json = json.loads(zhongtai("plan", "advance", "--why", "try", "--json", cwd=tmp_path).stdout)
    assert as_json["action"] == "hold" and not as_json["moved"]
    assert {v["gate"] for v in as_json["failing"]} == {"min_shadow_sample", "max_mismatch_rate"}

    back = zhongtai("plan", "rollback", "--why", "comparison policy needs work", cwd=tmp_path)
    assert back.returncode == 0 and "pos.pull: shadow → legacy" in back.stdout
    history = json.loads(zhongtai("plan", "history", "--json", cwd=tmp_path).stdout)
    assert [(h["action"], h["from_step"], h["to_step"]) for h in history] == [
        ("rollback", 1, 0),
        ("advance", 0, 1),
    ]
    assert history[0]["who"] == "alice@ops" and history[0]["why"] == "comparison policy needs work"
    again = zhongtai("plan", "rollback", "--why", "again", cwd=tmp_path)
    assert again.returncode == 1 and "nothing to roll back" in again.stderr
    once = zhongtai("plan", "watch", "--once", cwd=tmp_path)
    assert once.returncode == 0 and "step 0: idle" in once.stdout


def test_a_bad_plan_file_is_one_clear_error_and_changes_nothing(tmp_path: Path):
    jump = PLAN.replace('stage = "canary"\npercent = 20', 'stage = "platform"')
    (tmp_path / "plan.toml").write_text(jump)
    bad = zhongtai("plan", "advance", "--plan", "plan.toml", "--why", "x", cwd=tmp_path)
    assert bad.returncode == 2
    assert "jumps from shadow to platform" in bad.stderr and "Traceback" not in bad.stderr
    listed = json.loads(zhongtai("route", "list", "--json", cwd=tmp_path).stdout)
    assert {r["stage"] for r in listed} == {"legacy"}
