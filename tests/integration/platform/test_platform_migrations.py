"""Alembic per center: one head each, upgrade/downgrade on every engine, tables == metadata."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from tests.integration.platform.platform_support import settings_for
from zhongtai.cli import app
from zhongtai.db import create_engine
from zhongtai.errors import ConfigError
from zhongtai.platform.center import available_centers, load_center
from zhongtai.platform.migrations import (
    alembic_config,
    center_heads,
    check_distinct_databases,
    upgrade_all,
)
from zhongtai.serving import free_port


def test_the_three_centers_are_installed():
    assert {"store", "product", "member"} <= set(available_centers())


@pytest.mark.parametrize("name", available_centers())
def test_every_center_has_exactly_one_head(name):
    heads = center_heads(load_center(name))
    assert len(heads) == 1, f"center {name} has heads {heads}: merge them"
    assert heads[0].startswith(f"{name}_")  # revision ids are prefixed by the center


def test_upgrade_builds_the_declared_tables_downgrades_and_is_idempotent(platform_settings):
    for name in available_centers():
        center = load_center(name)
        engine = create_engine(platform_settings.database(name))
        try:
            with engine.connect() as conn:
                ctx = MigrationContext.configure(
                    conn, opts={"compare_type": True, "target_metadata": center.metadata}
                )
                diff = [
                    d
                    for d in compare_metadata(ctx, center.metadata)
                    if not (d[0] == "remove_table" and d[1].name == "alembic_version")
                ]
                assert diff == [], f"{name}: migrations and tables.py disagree: {diff}"
                assert set(sa.inspect(conn).get_table_names()) == {
                    *center.metadata.tables,
                    "alembic_version",
                }
            with engine.begin() as conn:
                command.downgrade(alembic_config(center, connection=conn), f"{name}@base")
            assert sa.inspect(engine).get_table_names() == ["alembic_version"], name
        finally:
            engine.dispose()
    results = upgrade_all(platform_settings)  # back from base to head
    assert all(r.before is None and r.at_head for r in results)
    again = upgrade_all(platform_settings)  # a second run is a no-op that reports revisions
    assert [r.center for r in again] == list(available_centers())
    assert all(r.at_head and r.before == r.revision == r.head for r in again)


def test_two_centers_on_one_database_are_refused(tmp_path):
    shared = f"sqlite:///{tmp_path}/one.db"
    settings = settings_for({"store": shared, "product": shared}, tmp_path)
    with pytest.raises(ConfigError, match="share one database"):
        check_distinct_databases(settings, ("store", "product", "member"))


@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_cli_upgrade_prints_a_table_with_masked_urls(center_urls, tmp_path):
    # PostgreSQL trusts local connections, so a password in the URL is accepted and ignored:
    # it must still never be printed.
    env = {
        f"ZHONGTAI_DATABASES_{name.upper()}": url.replace("postgres@", "postgres:s3cret@")
        for name, url in center_urls.items()
    }
    result = CliRunner().invoke(app, ["-w", str(tmp_path), "platform", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    for name in available_centers():
        head = center_heads(load_center(name))[0]
        assert name in result.output and head in result.output
    again = CliRunner().invoke(app, ["-w", str(tmp_path), "platform", "upgrade", "--json"], env=env)
    assert '"at_head": true' in again.output and "s3cret" not in again.output


def test_cli_upgrade_names_an_unreachable_database_without_its_password(tmp_path):
    import os
    import subprocess
    import sys

    port = free_port()  # nothing listens there
    env = {
        **os.environ,
        "ZHONGTAI_DATABASES_STORE": f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{port}/zt_x",
    }
    done = subprocess.run(
        [sys.executable, "-m", "zhongtai.cli", "-w", str(tmp_path), "platform", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "error:" in done.stderr and f"127.0.0.1:{port}" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
