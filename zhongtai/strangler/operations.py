"""What the CLI asks of the strangler: route listings, stage changes, live status as data.

Each function opens the state database from the settings, does one thing and returns plain
data (dicts and lists) that ``views.py`` renders and ``--json`` prints as is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from zhongtai.config import Settings
from zhongtai.db import open_state_engine
from zhongtai.strangler.figures import RouteFigures
from zhongtai.strangler.gates import evaluate
from zhongtai.strangler.noise import judge_fields
from zhongtai.strangler.records import Records
from zhongtai.strangler.routes import Route
from zhongtai.strangler.state import AuditRecord, StateStore, operator_name, read_routes_file
from zhongtai.strangler.storekeys_db import StoreKeyDB


@contextmanager
def open_state(settings: Settings) -> Iterator[tuple[StateStore, Records]]:
    """The state store, created and seeded on first use; the engine is disposed after."""
    engine = open_state_engine(settings)
    try:
        store = StateStore(engine)
        store.ensure(settings.proxy.routes_file or None)
        yield store, Records(engine)
    finally:
        engine.dispose()


def _route_dict(route: Route) -> dict:
    return {
        "name": route.name,
        "methods": sorted(route.methods),
        "path": route.template.text,
        "stage": route.stage.value,
        "percent": route.percent,
        "revision": route.revision,
        "group": route.group,
        "keys": [str(k) for k in route.keys],
        "fallback": route.fallback,
        "shadow_writes": route.shadow_writes,
        "gates": route.gates.as_dict(),
    }


def list_routes(settings: Settings) -> list[dict]:
    """Every route in match order, with its stage."""
    with open_state(settings) as (store, _):
        return [_route_dict(r) for r in store.load_table().routes]


def load_routes(settings: Settings, path: str | None = None, who: str | None = None) -> dict:
    """Refresh the stored route definitions from the route file; stages and history are kept.

    The file is only seeded on first use, so a changed ``routes.toml`` (new keys or groups)
    reaches an existing workspace through this.
    """
    source = path or settings.proxy.routes_file or None
    doc = read_routes_file(source)
    with open_state(settings) as (store, _):
        created, updated = store.seed(
            doc, who=who or operator_name(), source=str(source or "routes.toml")
        )
    return {"source": str(source or "routes.toml"), "created": created, "updated": updated}


def audit_dict(record: AuditRecord) -> dict:
    d = dict(vars(record))
    d["at"] = record.at.isoformat(timespec="seconds") + "Z"
    return d


def set_route(
    settings: Settings,
    name: str,
    stage: str,
    percent: float | None,
    *,
    why: str,
    force: bool = False,
    who: str | None = None,
) -> dict:
    """Change a route's stage (validated, audited); the audit record comes back."""
    with open_state(settings) as (store, _):
        record = store.set_stage(
            name, stage, percent, who=who or operator_name(), why=why, force=force
        )
        return audit_dict(record)


def rollback_route(settings: Settings, name: str, *, why: str, who: str | None = None) -> dict:
    """One stage back (audited); the audit record comes back."""
    with open_state(settings) as (store, _):
        return audit_dict(store.rollback(name, who=who or operator_name(), why=why))


def route_audit(settings: Settings, route: str | None = None, limit: int = 20) -> list[dict]:
    with open_state(settings) as (store, _):
        return [audit_dict(r) for r in store.audit(route, limit)]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _figures_dict(fig: RouteFigures | None) -> dict:
    if fig is None:
        fig = RouteFigures(0)
    sides = {
        name: {
            "requests": side.requests,
            "errors": side.errors,
            "error_rate": round(side.error_rate, 4),
            "p50_ms": _ms(side.quantile(0.5)),
            "p99_ms": _ms(side.quantile(0.99)),
        }
        for name, side in sorted(fig.sides.items())
    }
    verdicts = judge_fields(fig.raw_fields, fig.compared, fig.noise_fields, fig.aa_samples)
    return {
        "sides": sides,
        "compared": fig.compared,
        "mismatched": fig.mismatched,
        "mismatch_rate": round(fig.mismatch_rate, 4),
        "aa_samples": fig.aa_samples,
        "shadows_dropped": fig.dropped,
        "fallbacks": fig.fallbacks,
        "unknown_keys": fig.unknown_keys,  # store identifiers the directory did not know
        "unknown_examples": sorted(fig.unknown_examples, key=fig.unknown_examples.get)[::-1][:10],
        "reported_fields": [v.path for v in verdicts if v.reported][:10],
        "noisy_fields": [v.path for v in verdicts if not v.reported and v.noise_rate > 0][:10],
    }


def status(settings: Settings) -> dict:
    """Routes with their live figures since their last change, summed over all proxies."""
    with open_state(settings) as (store, records):
        table = store.load_table()
        figures = records.figures({r.name: r.revision for r in table.routes})
        last = {}
        for record in store.audit(limit=500):
            last.setdefault(record.route, audit_dict(record))
        keys_db = StoreKeyDB(store.engine)
        directory = keys_db.load_directory()
        store_keys = {
            "version": directory.version,
            "stores": len(directory.codes),
            "aliases": len(directory.aliases),
            "last_refresh": (keys_db.last_refresh() or {}).get("at"),
        }
    routes = []
    for route in table.routes:
        entry = _route_dict(route)
        entry["last_change"] = last.get(route.name)
        fig = figures.get(route.name)
        entry["figures"] = _figures_dict(fig)
        check = evaluate(fig or RouteFigures(route.revision), route.gates)
        entry["gate"] = {"breached": check.breached, "reasons": list(check.reasons)}
        routes.append(entry)
    return {"version": table.version, "routes": routes, "store_keys": store_keys}


def control_headers(
    settings: Settings, method: str, path: str, *, side: str | None = None, dry_run: bool = False
) -> dict[str, str]:
    """Signed control headers for one request (operator testing through the proxy)."""
    from zhongtai.errors import ConfigError
    from zhongtai.strangler import signing

    control = {}
    if side:
        if side not in ("legacy", "platform"):
            raise ConfigError(f"--side must be legacy or platform, got {side!r}")
        control[signing.SIDE] = side
    if dry_run:
        control[signing.SHADOW] = signing.DRY_RUN
    if not control:
        raise ConfigError("nothing to sign", hint="pass --side legacy|platform and/or --dry-run")
    key = settings.operator_key.reveal()
    if not key:
        raise ConfigError(
            "no operator key configured",
            hint="set ZHONGTAI_SECURITY_OPERATOR_KEY (the proxy must have the same)",
        )
    return signing.sign(key, method, path, control)
