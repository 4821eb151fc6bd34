"""The commands as a user runs them, and the HTML report in a real browser.

A migrated SQLite pair gets planted differences and shadow records; ``zhongtai compare data``,
``compare traffic`` and ``report`` run as subprocesses, and headless Chromium renders the page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.compare.conftest import Pair, build_pair
from zhongtai.db import create_engine
from zhongtai.platform.payment import tables as pt
from zhongtai.strangler.records import Records
from zhongtai.strangler.state import StateStore


def zhongtai(pair: Pair, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGTAI_")}
    env.update(pair.env, ZHONGTAI_WORKSPACE=str(cwd / "ws"), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "zhongtai.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


EXAMPLE = {
    "request": {"method": "GET", "path": "/api/pos/orders", "body": ""},
    "legacy": {"status": 200, "body": '{"data": {"price": 12.5, "sign": "****"}}'},
    "other": {"status": 200, "body": '{"data": {"price": 12.0}}'},
    "differences": [{"path": "data.items[].price", "kind": "value"}],
}


def _shadow_records(pair: Pair) -> None:
    """A route whose platform answers differ in a price field 30% of the time."""
    engine = create_engine(pair.url("state"))
    try:
        StateStore(engine).ensure()
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = []
        for i in range(60):
            fields = ["data.items[].price"] if i % 10 < 3 else []
            rows.append(
                {"at": now - timedelta(seconds=60 - i), "route": "pos.pull", "kind": "shadow",
                 "method": "GET", "path": "/api/pos/orders", "sticky_key": "SH001",
                 "legacy_status": 200, "other_status": 200, "legacy_ms": 5.0 + i % 4,
                 "other_ms": 9.0 + i % 5, "mismatched": bool(fields), "fields": fields,
                 "example": EXAMPLE if fields else None,
                 "instance": "test"}
            )  # fmt: skip
        Records(engine).add_shadow_records(rows)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_pair(make_db, tmp_path) -> Pair:
    return build_pair(make_db, tmp_path, "sqlite", "sqlite", orders=120)


def test_compare_commands_exit_codes_and_json(sqlite_pair, tmp_path):
    pair = sqlite_pair
    clean = zhongtai(pair, "compare", "data", "payments", "refunds", "--json", cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    data = json.loads(clean.stdout)
    assert data["ok"] and {u["name"] for u in data["units"]} >= {
        "payment.payments",
        "payment.refunds",
    }
    pair.run("payment", sa.update(pt.payments).where(pt.payments.c.id == 1).values(amount=1))
    dirty = zhongtai(pair, "compare", "data", "payments", "--settle", "0", cwd=tmp_path)
    assert dirty.returncode == 1
    assert "payment.payments" in dirty.stdout and "column differs 1" in dirty.stdout
    unknown = zhongtai(pair, "compare", "data", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown mapping" in unknown.stderr

    _shadow_records(pair)
    traffic = zhongtai(pair, "compare", "traffic", "--route", "pos.pull", "--json", cwd=tmp_path)
    assert traffic.returncode == 1, traffic.stderr  # 30% mismatches > the 10% gate
    (route,) = json.loads(traffic.stdout)["routes"]
    assert route["compared"] == 60 and route["mismatched"] == 18
    assert route["breaches"] and route["fields"][0]["path"] == "data.items[].price"
    bad_route = zhongtai(pair, "compare", "traffic", "--route", "nope", cwd=tmp_path)
    assert bad_route.returncode == 2 and "unknown route" in bad_route.stderr
    bad_since = zhongtai(pair, "compare", "traffic", "--since", "yesterday", cwd=tmp_path)
    assert bad_since.returncode == 2 and "--since" in bad_since.stderr


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_report_files_and_the_html_page_in_headless_chromium(sqlite_pair, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    pair = sqlite_pair
    pair.run("payment", sa.update(pt.payments).where(pt.payments.c.id == 1).values(amount=1))
    _shadow_records(pair)
    out = tmp_path / "report"
    result = zhongtai(pair, "report", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # a difference and a traffic gate fail
    assert {p.name for p in out.iterdir()} == {"report.html", "report.md", "report.json"}
    doc = json.loads((out / "report.json").read_text())
    assert not doc["ok"] and doc["invariants"]["ok"] and len(doc["history"]) == 2
    assert "payment.payments" in (out / "report.md").read_text()

    page = (out / "report.html").resolve().as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'chromium'}"]  # fmt: skip
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    captions = re.findall(r"<caption>(.*?)</caption>", dom.stdout)
    titles = ("Data parity by table", "Invariants", "Traffic parity by route",
              "Differences in payment.payments (sample)", "pos.pull: differing fields")  # fmt: skip
    for title in titles:
        assert title in captions, captions
    assert dom.stdout.count("<tr") > 30 and dom.stdout.count("<svg") >= 4
    assert "payment.payments" in dom.stdout and "gate(s) failed" in dom.stdout
    shot = tmp_path / "page.png"
    subprocess.run(
        [browser, *flags, "--window-size=1280,2000", f"--screenshot={shot}", page],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert _png_size(shot) == (1280, 2000) and shot.stat().st_size > 20_000
