"""``zhongtai migrate status``: where every mapping stands, read from the state database.

Per mapping: rows copied of the planned total, chunks and partitions done, quarantined rows
with their reasons (commonest first, one example each). The sync lag columns
(``sync_lag_seconds`` legacy → centers, ``reverse_lag_seconds`` centers → legacy) belong to
change capture and sync: they stay ``None`` here, and the sync modules fill them in through
:data:`LAG_SOURCES` (each a function ``(settings, statuses) -> None`` that sets the two
fields on the statuses it knows about).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from zhongtai.config import Settings
from zhongtai.db import open_state_engine
from zhongtai.migrate import agreed, checkpoints
from zhongtai.migrate.mappings import all_mappings


@dataclass
class MappingStatus:
    name: str
    center: str
    source: str
    state: str  # not started | planned | incomplete (run or resume) | done
    total: int = 0
    rows_copied: int = 0
    rows_written: int = 0
    chunks: int = 0
    partitions: int = 0
    partitions_done: int = 0
    planned_at: str | None = None
    finished_at: str | None = None
    quarantined: int = 0
    reasons: list[tuple[str, int, str]] = field(default_factory=list)
    # Filled by change capture / sync (see LAG_SOURCES); None until sync has run.
    sync_lag_seconds: float | None = None
    reverse_lag_seconds: float | None = None
    # Rows whose agreed state sync keeps, to merge writes made on both sides (migrate.agreed).
    agreed_states: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["reasons"] = [{"reason": r, "rows": n, "example": e} for r, n, e in self.reasons]
        return data


def _sync_lag(settings: Settings, statuses: list[MappingStatus]) -> None:
    from zhongtai.migrate.lag import fill_lag  # lazily: change capture and sync

    fill_lag(settings, statuses)


# Extension point for the sync side: functions that set the lag fields.
LAG_SOURCES: list[Callable[[Settings, list[MappingStatus]], None]] = [_sync_lag]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


def _state_engine(settings: Settings) -> sa.Engine | None:
    url = settings.database("state")
    parsed = make_url(url)
    sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database
    if sqlite_file and not Path(parsed.database).is_file():
        return None  # nothing ran yet; do not create the file just to look
    return open_state_engine(settings)


def migrate_status(settings: Settings) -> list[MappingStatus]:
    """The status of every reference mapping, in backfill order."""
    mappings = all_mappings()
    statuses = [
        MappingStatus(m.name, m.center, m.source.name, "not started") for m in mappings.values()
    ]
    engine = _state_engine(settings)
    if engine is not None:
        try:
            with engine.connect() as conn:
                if checkpoints.state_exists(conn):
                    for status in statuses:
                        _fill(conn, status)
                _count_agreed(conn, statuses)
        finally:
            engine.dispose()
    for source in LAG_SOURCES:
        source(settings, statuses)
    return statuses


def _count_agreed(conn: sa.Connection, statuses: list[MappingStatus]) -> None:
    if not sa.inspect(conn).has_table(agreed.agreed_table.name):
        return
    t = agreed.agreed_table.c
    counts = dict(conn.execute(sa.select(t.mapping, sa.func.count()).group_by(t.mapping)).all())
    for status in statuses:
        status.agreed_states = int(counts.get(status.name, 0))


def _fill(conn: sa.Connection, status: MappingStatus) -> None:
    info = checkpoints.run_info(conn, status.name)
    if info is None:
        return
    parts = checkpoints.partitions(conn, status.name)
    status.total = int(info["total_rows"])
    status.partitions = len(parts)
    status.partitions_done = sum(p.done for p in parts)
    status.rows_copied = sum(p.rows_read for p in parts)
    status.rows_written = sum(p.rows_written for p in parts)
    status.chunks = sum(p.chunks_done for p in parts)
    status.quarantined = sum(p.quarantined for p in parts)
    status.planned_at = _iso(info["planned_at"])
    status.finished_at = _iso(info["finished_at"])
    status.reasons = checkpoints.quarantine_reasons(conn, status.name)
    if info["finished_at"] is not None:
        status.state = "done"
    elif status.chunks or status.partitions_done:
        status.state = "incomplete"
    else:
        status.state = "planned"
