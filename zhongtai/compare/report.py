"""``zhongtai report --out DIR``: run every parity check and write what reviewers read.

The report combines data parity (every mapping unless names are given), the invariants and
traffic parity, records the runs in the state database and attaches the history of earlier
runs. :func:`write_report` writes ``report.html`` (self-contained, charts inline),
``report.md`` (the same tables) and ``report.json`` (everything, for CI).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from zhongtai.compare import history
from zhongtai.compare.data import compare_data
from zhongtai.compare.invariants import check_invariants
from zhongtai.compare.model import Report, TrafficParity
from zhongtai.compare.render_html import render_html
from zhongtai.compare.render_markdown import render_markdown
from zhongtai.compare.run import Events, Options
from zhongtai.compare.traffic import traffic_parity
from zhongtai.config import Settings
from zhongtai.db import open_state_engine
from zhongtai.errors import ConfigError

FILES = {"html": "report.html", "markdown": "report.md", "json": "report.json"}


def _state(settings: Settings):
    return open_state_engine(settings)


def compare_traffic(
    settings: Settings,
    *,
    route: str | None = None,
    since: datetime | None = None,
    record: bool = True,
) -> TrafficParity:
    """Traffic parity (see :mod:`zhongtai.compare.traffic`), recorded in the history."""
    started = datetime.now(UTC)
    traffic = traffic_parity(settings, route=route, since=since)
    if record:
        state = _state(settings)
        try:
            history.record_traffic(state, traffic, started)
        finally:
            state.dispose()
    return traffic


def build_report(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    data: bool = True,
    invariants: bool = True,
    traffic: bool = True,
    since: datetime | None = None,
    options: Options | None = None,
    events: Events | None = None,
) -> Report:
    """Run the selected checks now and gather them with the recorded history."""
    report = Report(generated_at=datetime.now(UTC))
    if data:
        # Live systems move rows while they are compared: read differences again after 1 s.
        options = options or Options(settle_seconds=1.0)
        report.data = compare_data(settings, names, options=options, events=events)
    if invariants:
        report.invariants = check_invariants(settings)
    if traffic:
        report.traffic = compare_traffic(settings, since=since)
    state = _state(settings)
    try:
        report.history = history.recent(state)
    finally:
        state.dispose()
    return report


def write_report(report: Report, out: Path | str) -> dict[str, Path]:
    """Write the three files into ``out`` (created when missing); returns their paths."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder} is a file", hint="give a folder for the report files")
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / name for kind, name in FILES.items()}
    paths["html"].write_text(render_html(report), encoding="utf-8")
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    paths["json"].write_text(
        json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n",
        encoding="utf-8",
    )
    return paths
