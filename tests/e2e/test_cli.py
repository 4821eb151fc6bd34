"""The `zhongtai` command as a user runs it: a real subprocess, a real workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def zhongtai(*args: str, cwd: Path, env: dict[str, str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGTAI_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "zhongtai.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
    )


def test_init_writes_a_config_that_the_next_command_reads(tmp_path: Path):
    result = zhongtai("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "zhongtai.toml").read_text().startswith("# zhongtai.toml")
    assert (tmp_path / ".zhongtai").is_dir()
    shown = zhongtai("config", "--json", cwd=tmp_path)
    data = json.loads(shown.stdout)
    assert data["config_file"] == str(tmp_path / "zhongtai.toml")
    assert data["databases"]["legacy"] == f"sqlite:///{tmp_path / '.zhongtai' / 'legacy.db'}"
    assert data["proxy"]["shadow_concurrency"] == 64
    assert data["migrate"]["agreed_retention_days"] == 14


def test_init_refuses_to_overwrite_without_force(tmp_path: Path):
    (tmp_path / "zhongtai.toml").write_text("# mine\n")
    result = zhongtai("init", cwd=tmp_path)
    assert result.returncode == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "zhongtai.toml").read_text() == "# mine\n"


def test_workspace_option_and_masked_passwords(tmp_path: Path):
    env = {"ZHONGTAI_DATABASES_ORDER": "postgresql+psycopg://app:hunter2@db/order_db"}
    result = zhongtai("--workspace", "elsewhere", "config", "--json", cwd=tmp_path, env=env)
    data = json.loads(result.stdout)
    assert data["workspace"] == str(tmp_path / "elsewhere")
    assert "hunter2" not in result.stdout and "***" in data["databases"]["order"]
    table = zhongtai("config", cwd=tmp_path, env=env)
    assert table.returncode == 0 and "hunter2" not in table.stdout
    assert "proxy.shadow_retention_hours" in table.stdout
    assert "migrate.agreed_retention_days" in table.stdout


def test_bad_config_is_one_clear_line_and_exit_code(tmp_path: Path):
    (tmp_path / "zhongtai.toml").write_text("[serve]\nlegacy_port = 'x'\n")
    result = zhongtai("config", cwd=tmp_path)
    assert result.returncode == 2
    assert "serve.legacy_port must be an integer" in result.stderr
    assert "Traceback" not in result.stderr
