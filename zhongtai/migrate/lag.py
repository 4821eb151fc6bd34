"""Sync lag for ``zhongtai migrate status``, in both directions, per mapping.

A mapping's lag is the age of the oldest change it still has to apply: the oldest row left
in the change log of any table it reads (measured by that database's clock), or the oldest
key it put off (waiting for its backfill, or for a parent row), whichever is older. ``0.0``
means caught up; ``None`` means capture is not installed there (or the database is not
reachable). Reverse lag exists only for the mappings reverse sync carries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from zhongtai.config import Settings
from zhongtai.db import create_engine
from zhongtai.migrate import changelog, syncstate
from zhongtai.migrate.capture import owned_specs
from zhongtai.migrate.changelog import Backlog
from zhongtai.migrate.mapping import Group, Mapping
from zhongtai.migrate.mappings import all_mappings

logger = logging.getLogger(__name__)


def _engine(url: str) -> Engine | None:
    parsed = make_url(url)
    sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database
    if sqlite_file and not Path(parsed.database).is_file():
        return None  # never create a file just to look
    return create_engine(url)


def _backlog(url: str) -> dict[str, Backlog] | None:
    """Per table backlog of the change log at ``url``; None without capture or connection."""
    engine = None
    try:
        engine = _engine(url)
        if engine is None:
            return None
        with engine.connect() as conn:
            if not changelog.log_exists(conn):
                return None
            return changelog.backlog_by_table(conn)
    except SQLAlchemyError as exc:
        logger.debug("no lag from %s: %s", type(exc).__name__, exc)
        return None
    finally:
        if engine is not None:
            engine.dispose()


def _deferred(settings: Settings, direction: str) -> dict[str, float]:
    """mapping → age in seconds of its oldest deferred key."""
    engine = _engine(settings.database("state"))
    if engine is None:
        return {}
    try:
        with engine.connect() as conn:
            if not syncstate.has_state(conn):
                return {}
            now = syncstate.now()
            return {
                name: max(0.0, (now - since).total_seconds())
                for name, (_, since, _) in syncstate.deferred_summary(conn, direction).items()
            }
    except SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def forward_tables(mapping: Mapping) -> set[str]:
    """The legacy tables whose changes ``mapping`` applies."""
    tables = {mapping.source.name, *(c.table.name for c in mapping.children)}
    tables |= {g.table.name for g in (mapping.group, *mapping.uses) if isinstance(g, Group)}
    return tables


def mapping_lag(backlog: dict[str, Backlog], tables: Iterable[str], deferred: float | None):
    """Age of the oldest pending change of ``tables``, or of the oldest deferred key (pure)."""
    ages = [backlog[t].oldest_seconds for t in tables if t in backlog]
    ages = [a for a in ages if a is not None] + ([deferred] if deferred is not None else [])
    return round(max(ages), 3) if ages else 0.0


def fill_lag(settings: Settings, statuses: list) -> None:
    """Set ``sync_lag_seconds`` and ``reverse_lag_seconds`` on migrate status rows."""
    from zhongtai.migrate.reverse_specs import REVERSED

    mappings = all_mappings()
    forward = _backlog(settings.database("legacy"))
    waiting = _deferred(settings, "forward")
    reverse_logs = {
        center: _backlog(settings.database(center))
        for center in {mappings[n].center for n in REVERSED if n in mappings}
    }
    waiting_back = _deferred(settings, "reverse")
    for status in statuses:
        mapping = mappings.get(status.name)
        if mapping is None:
            continue
        if forward is not None:
            status.sync_lag_seconds = mapping_lag(
                forward, forward_tables(mapping), waiting.get(mapping.name)
            )
        log = reverse_logs.get(mapping.center) if mapping.name in REVERSED else None
        if log is not None:
            tables = {s.table for s in owned_specs([mapping])}
            status.reverse_lag_seconds = mapping_lag(log, tables, waiting_back.get(mapping.name))


__all__ = ["fill_lag", "forward_tables", "mapping_lag"]
