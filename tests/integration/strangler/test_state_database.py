"""The state database on a server that lacks it: `zhongtai route …` and the proxy's start-up make
it, as the migrate commands do; a server that is down or refuses the login is one clear line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import ENGINES, MARIADB_SERVER, PG_SERVER
from zhongtai.cli import app
from zhongtai.config import load_settings
from zhongtai.db import check_connection, create_engine, drop_database
from zhongtai.errors import DatabaseError, ServeError
from zhongtai.serving import free_port
from zhongtai.strangler.proxy import serve_proxy
from zhongtai.strangler.state import StateStore, read_routes_file

SHIPPED = [r["name"] for r in read_routes_file()["route"]]
SERVERS = {"postgresql": PG_SERVER, "mariadb": MARIADB_SERVER}


def _missing(make_db, engine: str) -> str:
    url = make_db(engine, "ztstate")  # make_db drops it again at teardown
    drop_database(url)
    assert not _exists(url)
    return url


@pytest.fixture
def missing_state(engine_name, make_db) -> str:
    """The URL of a state database that does not exist, on every engine."""
    return _missing(make_db, engine_name)


@pytest.fixture(params=[e for e in ENGINES if e in SERVERS])
def server(request) -> str:
    return request.param


def _exists(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database).is_file()
    engine = create_engine(url)
    try:
        check_connection(engine)
        return True
    except DatabaseError:
        return False
    finally:
        engine.dispose()


def _stored_routes(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return [r.name for r in StateStore(engine).load_table().routes]
    finally:
        engine.dispose()


def _zhongtai(*args: str, workspace: Path, state_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGTAI_")}
    env["ZHONGTAI_DATABASES_STATE"] = state_url
    return subprocess.run(
        [sys.executable, "-m", "zhongtai.cli", "-w", str(workspace), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_route_list_creates_a_missing_state_database(missing_state, tmp_path):
    env = {"ZHONGTAI_DATABASES_STATE": missing_state}
    result = CliRunner().invoke(app, ["-w", str(tmp_path), "route", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert [r["name"] for r in json.loads(result.output)] == SHIPPED
    assert _exists(missing_state)
    assert _stored_routes(missing_state) == SHIPPED


@pytest.mark.parametrize("command", [["plan", "show", "--json"], ["migrate", "status", "--json"]])
def test_plan_and_status_create_it_on_a_server_too(server, command, make_db, tmp_path):
    """Every command opens the state database the same way (a missing SQLite state file is
    left alone by ``migrate status``, which only looks; that is why SQLite is not here)."""
    url = _missing(make_db, server)
    env = {"ZHONGTAI_DATABASES_STATE": url}
    result = CliRunner().invoke(app, ["-w", str(tmp_path), *command], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)
    assert _exists(url)


def test_proxy_start_up_creates_a_missing_state_database(missing_state, tmp_path):
    """``serve proxy`` opens (and seeds) the state database before it looks at its port, so a
    taken port stops it right after that, without starting a worker."""
    settings = load_settings(tmp_path, env={"ZHONGTAI_DATABASES_STATE": missing_state})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match="already in use"):
            serve_proxy(settings, host="127.0.0.1", port=port)
    assert _stored_routes(missing_state) == SHIPPED


def _server_url(server: str, *, user: str, password: str, port: int | None = None) -> str:
    url = make_url(SERVERS[server]).set(username=user, password=password)
    if port is not None:
        url = url.set(port=port)
    return url.set(database=f"ztstate_{uuid.uuid4().hex[:10]}").render_as_string(False)


def test_a_server_that_is_down_or_refuses_the_login_is_one_line_without_the_password(
    server, tmp_path
):
    down = _server_url(server, user="root", password="s3cret", port=free_port())
    # PostgreSQL trusts local logins, so the refused one names a role that does not exist;
    # MariaDB's root has no password, so giving one is refused.
    user = "zt_nobody" if server == "postgresql" else "root"
    refused = _server_url(server, user=user, password="s3cret")
    for url in (down, refused):
        done = _zhongtai("route", "list", workspace=tmp_path, state_url=url)
        assert done.returncode == 1, done.stdout
        assert "error: cannot connect" in done.stderr, done.stderr
        assert "check that the server runs" in done.stderr
        assert "s3cret" not in done.stdout + done.stderr and "***" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.fixture
def account_without_create_rights(server):
    """A login (password s3cret) on ``server`` that may connect but not create databases."""
    name = f"zt_norights_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(SERVERS[server], isolation_level="AUTOCOMMIT")
    if server == "postgresql":  # trust auth: the password is accepted, and must stay masked
        create, drop = f'CREATE ROLE "{name}" LOGIN', f'DROP ROLE IF EXISTS "{name}"'
    else:
        create = f"CREATE USER '{name}'@'%' IDENTIFIED BY 's3cret'"
        drop = f"DROP USER IF EXISTS '{name}'@'%'"
    with admin.connect() as conn:
        conn.execute(sa.text(create))
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(drop))
    admin.dispose()


def test_an_account_that_may_not_create_it_is_told_so(
    server, account_without_create_rights, tmp_path
):
    url = _server_url(server, user=account_without_create_rights, password="s3cret")
    done = _zhongtai("route", "list", workspace=tmp_path, state_url=url)
    assert done.returncode == 1, done.stdout
    assert "error: cannot create the database" in done.stderr, done.stderr
    assert "create it by hand" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    as_admin = make_url(SERVERS[server]).set(database=make_url(url).database)
    assert not _exists(as_admin.render_as_string(False))
