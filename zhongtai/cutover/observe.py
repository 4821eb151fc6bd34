"""What the gates judge, gathered from the other parts through their public functions.

* routes: the route table and the proxies' live figures, summed over every proxy process
  (:class:`zhongtai.strangler.state.StateStore`, :class:`zhongtai.strangler.records.Records`),
  counted over the step's *analysis window*: since the plan reached the step, or since
  ``zhongtai plan retry`` restarted the analysis. The plan keeps a baseline of the figures at
  the window's start and judges the difference (figures are counters and latency histograms,
  so a difference is exact);
* sync lag per direction: the worst lag of any mapping (:func:`zhongtai.migrate.status.
  migrate_status`, which reads the change logs and the deferred keys);
* data parity: a comparison of the step's mappings (:func:`zhongtai.compare.data.compare_data`),
  run only when asked, because it reads every row of both sides;
* soak: time since the window started.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from zhongtai.config import Settings
from zhongtai.cutover.evidence import DataObservation, Observation, RouteObservation
from zhongtai.errors import ZhongtaiError
from zhongtai.strangler.figures import RouteFigures, SideFigures
from zhongtai.strangler.stages import Stage
from zhongtai.strangler.state import utcnow

logger = logging.getLogger(__name__)
COUNTERS = ("compared", "mismatched", "aa_samples", "dropped", "fallbacks")


@dataclass(frozen=True)
class RouteView:
    name: str
    stage: Stage
    percent: float | None
    revision: int
    figures: RouteFigures | None  # since the route's last change, every proxy summed
    last_change: dict | None  # its newest audit record (who, why, figures)


def since(now: RouteFigures, base: RouteFigures | None) -> RouteFigures:
    """The figures gathered after ``base`` was taken (pure; same revision only)."""
    if base is None or base.revision != now.revision:
        return now
    out = RouteFigures(now.revision, now.stage)
    for name, side in now.sides.items():
        old = base.sides.get(name) or SideFigures()
        out.sides[name] = SideFigures(
            max(side.requests - old.requests, 0),
            max(side.errors - old.errors, 0),
            max(side.seconds - old.seconds, 0.0),
            [max(a - b, 0) for a, b in zip(side.buckets, old.buckets, strict=True)],
        )
    for attr in COUNTERS:
        setattr(out, attr, max(getattr(now, attr) - getattr(base, attr), 0))
    return out


def baseline_dict(views: Mapping[str, RouteView]) -> dict:
    """The figures to judge later windows against (counters only, no field names)."""
    out = {}
    for name, view in views.items():
        if view.figures is not None:
            data = view.figures.to_dict()
            data["raw_fields"], data["noise_fields"] = {}, {}
            out[name] = data
    return out


def routes_now(settings: Settings) -> dict[str, RouteView]:
    """Every route's stage, revision, live figures and last audit record."""
    from zhongtai.strangler.operations import audit_dict, open_state

    with open_state(settings) as (store, records):
        table = store.load_table()
        figures = records.figures({r.name: r.revision for r in table.routes})
        last: dict[str, dict] = {}
        for record in store.audit(limit=500):
            last.setdefault(record.route, audit_dict(record))
    return {
        r.name: RouteView(
            r.name, r.stage, r.percent, r.revision, figures.get(r.name), last.get(r.name)
        )
        for r in table.routes
    }


def _observation(view: RouteView, base: Mapping | None) -> RouteObservation:
    fig = view.figures or RouteFigures(view.revision)
    fig = since(fig, RouteFigures.from_dict(base) if base else None)
    platform = fig.sides.get("platform") or SideFigures()
    p99 = platform.quantile(0.99)
    return RouteObservation(
        name=view.name,
        stage=view.stage.value,
        percent=view.percent,
        compared=fig.compared,
        mismatched=fig.mismatched,
        platform_requests=platform.requests,
        platform_errors=platform.errors,
        platform_p99_ms=None if p99 is None else round(p99 * 1000, 1),
    )


def sync_lags(settings: Settings) -> dict[str, float | None]:
    """Worst lag per direction in seconds; None where no sync state exists yet."""
    from zhongtai.migrate.status import migrate_status

    statuses = migrate_status(settings)
    out: dict[str, float | None] = {}
    for direction, attr in (("forward", "sync_lag_seconds"), ("reverse", "reverse_lag_seconds")):
        lags = [getattr(s, attr) for s in statuses if getattr(s, attr) is not None]
        out[direction] = max(lags) if lags else None
    return out


SAMPLE = 5_000  # differences kept per kind and table: enough to tell stable from in flight


def _fingerprints(parity) -> dict[str, tuple[set[str], int]]:
    """Per table: the failing differences seen (key and both values), and how many were not
    kept in the sample (those count as stable: they cannot be told apart)."""
    from zhongtai.compare.diff import FAILING
    from zhongtai.compare.model import difference_dict

    out = {}
    for unit in parity.units:
        seen = {
            json.dumps({k: v for k, v in difference_dict(d).items() if k != "label"},
                       sort_keys=True, default=str)
            for d in unit.sample
            if d.kind in FAILING
        }  # fmt: skip
        out[unit.name] = (seen, max(unit.failing - len(seen), 0))
    return out


def data_parity(settings: Settings, names: Sequence[str], settle: float = 1.0) -> DataObservation:
    """Compare the named mappings now; a comparison that cannot run is a failing verdict.

    Live traffic moves rows while they are compared. The comparison reads a difference again
    after ``settle`` seconds (the sync lag the step allows); when differences remain, a
    second comparison runs, and only a difference seen in both, with the same values on both
    sides, counts: a row in flight shows other values the second time, a real one does not.
    """
    from zhongtai.compare.data import compare_data
    from zhongtai.compare.run import Options
    from zhongtai.migrate.mappings import all_mappings

    options = Options(settle_seconds=settle, sample=SAMPLE)
    try:
        first = compare_data(settings, list(names), options=options)
        if first.ok:
            return DataObservation(
                failing={u.name: 0 for u in first.units},
                tables=len(first.units),
                rows=first.rows,
            )
        # Only the mappings behind a table that differed are read again: the others held.
        known = all_mappings()
        again = {m for u in first.units if not u.ok for m in u.mappings}
        second = compare_data(
            settings, mappings=[m for n, m in known.items() if n in again], options=options
        )
    except ZhongtaiError as exc:
        return DataObservation(error=exc.message)
    failing, in_flight = stable_differences(first, second)
    return DataObservation(
        failing=failing, tables=len(first.units), rows=first.rows, in_flight=in_flight
    )


def stable_differences(first, second) -> tuple[dict[str, int], int]:
    """Per table, the failing differences two comparisons agree on (same key, same values on
    both sides), and how many were seen once only (pure). ``second`` may cover only the
    tables that differed in ``first``."""
    before, after = _fingerprints(first), _fingerprints(second)
    failing, transient = {u.name: 0 for u in first.units}, 0  # not read again: they held
    for unit in second.units:
        now, unsampled = after[unit.name]
        then, _ = before.get(unit.name, (set(), 0))
        failing[unit.name] = len(now & then) + unsampled
        transient += len(now - then) + len(then - now)
    return failing, transient


def observe(
    settings: Settings,
    *,
    window_at: datetime,
    baseline: Mapping[str, Mapping] | None,
    sync_on: Mapping[str, bool],
    views: Mapping[str, RouteView] | None = None,
    data: Sequence[str] = (),
    settle: float = 1.0,
) -> Observation:
    """Every figure a step's gates need, over the window (data parity only if ``data``)."""
    views = routes_now(settings) if views is None else views
    baseline = baseline or {}
    lags = sync_lags(settings) if any(sync_on.values()) else {}
    return Observation(
        routes={name: _observation(v, baseline.get(name)) for name, v in views.items()},
        soak_s=max(0.0, (utcnow() - window_at).total_seconds()),
        sync_on=dict(sync_on),
        sync_lag_s=lags,
        data=data_parity(settings, data, settle) if data else None,
    )
