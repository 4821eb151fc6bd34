from pathlib import Path

import pytest

from zhongtai.config import CONFIG_TEMPLATE, Secret, load_settings, mask_url
from zhongtai.errors import ConfigError


def test_defaults_put_sqlite_files_in_the_workspace(tmp_path: Path):
    s = load_settings(env={}, cwd=tmp_path)
    assert s.workspace == tmp_path / ".zhongtai"
    assert s.database("legacy") == f"sqlite:///{tmp_path / '.zhongtai' / 'legacy.db'}"
    assert s.database("order").endswith("/order.db")
    assert s.serve.proxy_port == 8000 and s.serve.legacy_port == 8001


def test_environment_beats_file_and_cli_workspace_beats_both(tmp_path: Path):
    (tmp_path / "zhongtai.toml").write_text(
        'workspace = "ws-file"\n[serve]\nlegacy_port = 9001\n[databases]\n'
        'legacy = "sqlite:///{workspace}/old.db"\n'
    )
    env = {"ZHONGTAI_SERVE_LEGACY_PORT": "9101", "ZHONGTAI_WORKSPACE": "ws-env"}
    s = load_settings(env=env, cwd=tmp_path)
    assert s.serve.legacy_port == 9101
    assert s.workspace == tmp_path / "ws-env"
    assert s.database("legacy") == f"sqlite:///{tmp_path / 'ws-env' / 'old.db'}"
    s2 = load_settings(tmp_path / "cli-ws", env=env, cwd=tmp_path)
    assert s2.workspace == tmp_path / "cli-ws"


def test_template_is_valid_and_loads(tmp_path: Path):
    (tmp_path / "zhongtai.toml").write_text(CONFIG_TEMPLATE)
    s = load_settings(env={}, cwd=tmp_path)
    assert s.config_file == tmp_path / "zhongtai.toml"
    assert s.serve.channel_port == 8009
    assert s.migrate.agreed_retention_days == 14


def test_agreed_retention_comes_from_file_or_environment(tmp_path: Path):
    (tmp_path / "zhongtai.toml").write_text("[migrate]\nagreed_retention_days = 3\n")
    assert load_settings(env={}, cwd=tmp_path).migrate.agreed_retention_days == 3
    env = {"ZHONGTAI_MIGRATE_AGREED_RETENTION_DAYS": "0"}
    assert load_settings(env=env, cwd=tmp_path).migrate.agreed_retention_days == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("[serve]\nlegacy_port = 'abc'\n", "must be an integer"),
        ("[serve]\nlegcy_port = 1\n", "unknown setting"),
        ("[nope]\n", "unknown section"),
        ("[databases]\nlegacy = 'not a url'\n", "not a SQLAlchemy URL"),
        ("workspace = [\n", "not valid TOML"),
        ("[migrate]\nagreed_retention_days = -1\n", "must be 0 or more"),
    ],
)
def test_bad_config_gives_a_clear_error(tmp_path: Path, text: str, message: str):
    (tmp_path / "zhongtai.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(env={}, cwd=tmp_path)


def test_passwords_are_masked():
    assert "s3cret" not in mask_url("postgresql+psycopg://app:s3cret@db:5432/o2o")
    assert "***" in mask_url("postgresql+psycopg://app:s3cret@db:5432/o2o")
    assert "s3cret" not in mask_url("weird://app:s3cret@host")
    key = Secret("token-123")
    assert "token-123" not in f"{key} {key!r}"
    assert key.reveal() == "token-123"


def test_bad_database_url_in_error_is_masked(tmp_path: Path):
    env = {"ZHONGTAI_DATABASES_LEGACY": "nodriver//user:pw123@host"}
    with pytest.raises(ConfigError) as info:
        load_settings(env=env, cwd=tmp_path)
    assert "pw123" not in str(info.value)
