"""``zhongtai compare traffic``: traffic parity per route from the proxy's shadow records.

The strangler proxy stores one record per shadow comparison (legacy vs platform, kind
``shadow``) and per A/A sample (legacy twice, kind ``aa``), each with the JSON paths that
differed (:mod:`zhongtai.strangler.records`). Here, over a time window:

* every path gets its raw rate (share of shadow pairs where it differed) and noise rate (share
  of A/A pairs), and the strangler's own Diffy filter (:mod:`zhongtai.strangler.noise`) says
  which paths are signal; a pair is *mismatched* when one of its paths is;
* latency percentiles of both sides come from the records' timings;
* examples are kept records (request and both answers, secrets already masked by the proxy);
* the route's gates (``max_mismatch_rate``, ``max_error_rate``, ``min_requests`` from the route
  table) decide whether the route passes.

:func:`route_parity` is pure; :func:`traffic_parity` reads the state database.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zhongtai.compare.model import FieldFinding, RouteParity, TrafficParity
from zhongtai.config import Settings
from zhongtai.errors import ConfigError
from zhongtai.strangler import schema
from zhongtai.strangler.gates import Gates
from zhongtai.strangler.noise import judge_fields

EXAMPLES = 5
TOP_FIELDS = 12
SERIES_POINTS = 24
EXAMPLE_TEXT = 1_500
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    """``--since``: an ISO time (naive = UTC) or a span back from now (``30m``, ``2h``, ``1d``)."""
    if text is None or not text.strip():
        return None
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text)
    if match:
        return now - timedelta(seconds=float(match[1]) * _UNITS[match[2]])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is neither an ISO time nor a span",
            hint="e.g. --since 2h, --since 30m or --since 2026-01-31T08:00:00",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile by linear interpolation (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _latency(values: list[float]) -> dict[str, float | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    return {
        "count": len(values),
        "mean": r(sum(values) / len(values)) if values else None,
        "p50": r(percentile(values, 0.5)),
        "p95": r(percentile(values, 0.95)),
        "p99": r(percentile(values, 0.99)),
    }


def _cut(example: Any) -> Any:
    if isinstance(example, dict):
        return {k: _cut(v) for k, v in example.items()}
    if isinstance(example, list):
        return [_cut(v) for v in example]
    if isinstance(example, str) and len(example) > EXAMPLE_TEXT:
        return example[:EXAMPLE_TEXT] + "…"
    return example


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def route_parity(
    route: str,
    records: Iterable[Mapping[str, Any]],
    *,
    gates: Gates | None = None,
    stage: str = "",
) -> RouteParity:
    """Traffic parity of one route from its shadow and A/A records (pure)."""
    gates = gates or Gates()
    shadows, aa = [], 0
    raw: Counter = Counter()
    noise: Counter = Counter()
    legacy_ms: list[float] = []
    platform_ms: list[float] = []
    errors = attempts = 0
    for rec in records:
        fields = set(rec.get("fields") or ())
        if rec["kind"] == "aa":
            aa += 1
            noise.update(fields)
            continue
        attempts += 1
        if rec.get("legacy_ms") is not None:
            legacy_ms.append(float(rec["legacy_ms"]))
        if rec.get("other_status") is None or rec["other_status"] >= 500:
            errors += 1
        if rec.get("other_status") is None:
            continue  # no answer: an error, not a comparison
        if rec.get("other_ms") is not None:
            platform_ms.append(float(rec["other_ms"]))
        shadows.append((rec, fields))
        raw.update(fields)
    compared = len(shadows)
    verdicts = judge_fields(raw, compared, noise, aa)
    signal = {v.path for v in verdicts if v.reported}
    out = RouteParity(route, stage=stage, compared=compared, aa_samples=aa, platform_errors=errors)
    out.fields = [
        FieldFinding(
            v.path, raw.get(v.path, 0), v.raw_rate, noise.get(v.path, 0), v.noise_rate, v.reported
        )
        for v in verdicts[: TOP_FIELDS * 2]
    ]
    out.fields.sort(key=lambda f: (not f.reported, -f.raw, f.path))
    out.fields = out.fields[:TOP_FIELDS]
    mismatched = [(rec, fields) for rec, fields in shadows if fields & signal]
    out.mismatched = len(mismatched)
    out.latency = {"legacy": _latency(legacy_ms), "platform": _latency(platform_ms)}
    shown_paths: set[str] = set()
    for rec, fields in mismatched:
        if len(out.examples) >= EXAMPLES:
            break
        new = sorted((fields & signal) - shown_paths)
        if not new and out.examples:
            continue
        shown_paths.update(new)
        out.examples.append(
            {
                "at": _aware(rec["at"]).isoformat(),
                "method": rec.get("method"),
                "path": rec.get("path"),
                "fields": sorted(fields & signal),
                "example": _cut(rec.get("example")),
            }
        )
    out.series = _series(shadows, signal)
    out.gates = gates.as_dict()
    if compared >= gates.min_requests and out.mismatch_rate > gates.max_mismatch_rate:
        out.breaches.append(
            f"mismatch rate {out.mismatch_rate:.1%} ({out.mismatched}/{compared}) "
            f"> gate {gates.max_mismatch_rate:.1%}"
        )
    if attempts >= gates.min_requests and errors / attempts > gates.max_error_rate:
        out.breaches.append(
            f"platform error rate {errors / attempts:.1%} ({errors}/{attempts}) "
            f"> gate {gates.max_error_rate:.1%}"
        )
    return out


def _series(shadows: list, signal: set[str]) -> list[dict]:
    """Compared and mismatched pairs (and the top signal fields) per time bucket."""
    if not shadows:
        return []
    times = [_aware(rec["at"]) for rec, _ in shadows]
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    step = max(1.0, span / SERIES_POINTS)
    top = [p for p, _ in Counter(p for _, f in shadows for p in f & signal).most_common(5)]
    buckets: dict[int, dict] = {}
    for (_, fields), at in zip(shadows, times, strict=True):
        i = min(int((at - start).total_seconds() / step), SERIES_POINTS - 1)
        b = buckets.setdefault(i, {"compared": 0, "mismatched": 0, "fields": dict.fromkeys(top, 0)})
        b["compared"] += 1
        b["mismatched"] += bool(fields & signal)
        for p in fields & set(top):
            b["fields"][p] += 1
    return [
        {"at": (start + timedelta(seconds=i * step)).isoformat(), **buckets[i]}
        for i in sorted(buckets)
    ]


def traffic_parity(
    settings: Settings, *, route: str | None = None, since: datetime | None = None
) -> TrafficParity:
    """Traffic parity of every route with shadow records (or of ``route``) since ``since``."""
    from zhongtai.strangler.operations import open_state

    until = datetime.now(UTC)
    out = TrafficParity(since=since, until=until)
    with open_state(settings) as (store, _records):
        table = store.load_table()
        routes = {r.name: r for r in table.routes}
        if route is not None and route not in routes:
            raise ConfigError(f"unknown route {route!r}", hint=f"known routes: {', '.join(routes)}")
        s = schema.shadow
        query = sa.select(s).order_by(s.c.route, s.c.id)
        if route is not None:
            query = query.where(s.c.route == route)
        if since is not None:
            query = query.where(s.c.at >= since.astimezone(UTC).replace(tzinfo=None))
        by_route: dict[str, list[dict]] = {}
        with store.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                by_route.setdefault(row["route"], []).append(dict(row))
                out.records += 1
    names = [n for n in routes if n in by_route or routes[n].stage.value in ("shadow", "canary")]
    names += sorted(n for n in by_route if n not in routes)
    if route is not None:
        names = [route]
    for name in names:
        r = routes.get(name)
        out.routes.append(
            route_parity(
                name,
                by_route.get(name, []),
                gates=r.gates if r else None,
                stage=r.stage.value if r else "(unknown route)",
            )
        )
    return out
