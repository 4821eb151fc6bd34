"""The settings edge of data parity: resolve mappings, open databases, run, record.

``compare_data(settings, ["orders"])`` is what ``zhongtai compare data orders`` and the cutover
plan's data-parity gate call. Every database is checked before anything is compared (a missing
legacy table or an un-upgraded center fails with a DatabaseError naming the masked URL), and
the run is recorded in the state database for the report's history.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from zhongtai.compare import history
from zhongtai.compare.model import DataParity
from zhongtai.compare.run import DataRun, Events, Options
from zhongtai.compare.units import plan_units
from zhongtai.config import Settings
from zhongtai.db import open_state_engine
from zhongtai.migrate.mapping import Mapping
from zhongtai.migrate.mappings import all_mappings, resolve
from zhongtai.migrate.preflight import open_endpoints

logger = logging.getLogger(__name__)


def compare_data(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    mappings: Sequence[Mapping] | None = None,
    options: Options | None = None,
    events: Events | None = None,
    record: bool = True,
) -> DataParity:
    """Data parity of the named mappings' tables (every mapping when ``names`` is empty)."""
    options = options or Options()
    options.check()
    selected = list(mappings) if mappings is not None else resolve(list(names or []))
    registry = list(all_mappings().values())
    units = plan_units(
        selected,
        registry,
        money_tolerance=options.money_tolerance,
        float_tolerance=options.float_tolerance,
    )
    contributors: list[Mapping] = []
    for unit in units:
        for c in unit.contributors:
            if all(c.mapping is not m for m in contributors):
                contributors.append(c.mapping)
    endpoints = open_endpoints(settings, contributors, dry_run=True)
    try:
        urls = {name: settings.database(name) for name in ("legacy", *endpoints.centers)}
        parity = DataRun(
            endpoints.legacy, endpoints.centers, units, options, events, urls=urls
        ).run()
    finally:
        endpoints.dispose()
    if record:
        state = open_state_engine(settings)
        try:
            history.record_data(state, parity)
        finally:
            state.dispose()
    return parity
