"""The cutover plan (pure): steps that move routes and switch data sync, each with its gates.

A plan is an ordered list of steps. A step may move a set of routes to one stage (``shadow``,
``canary`` with a percentage, ``platform``, ``retired``) and may switch data sync on in a
direction (``forward``: legacy → centers, ``reverse``: centers → legacy for the stores the
platform serves). Its gates say what must hold *before the plan leaves it*, as Flagger's
analysis does before promoting a canary.

Steps are cumulative: the route stages the plan asks for at step ``k`` are what steps 1..k
set, every other route staying on legacy. So rolling back to step ``j`` means "make the routes
look as step ``j`` left them", and advancing means "apply step ``k+1``". Parsing checks that
every step moves its routes forward by at most one stage (a canary only to a larger share),
the same rule the proxy enforces, so a plan that loads can be walked end to end.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from zhongtai.cutover.gatespec import ROUTE_GATES, StepGates, parse_gates
from zhongtai.cutover.ladder import SYNC_DIRECTIONS, check_moves
from zhongtai.strangler.stages import Stage, parse_stage

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    domain: str
    routes: tuple[str, ...] = ()  # resolved route names, in route-table order
    stage: Stage | None = None
    percent: float | None = None
    sync: Mapping[str, bool] = field(default_factory=dict)
    gates: StepGates = field(default_factory=StepGates)
    notes: str = ""

    @property
    def target(self) -> str:
        """The stage this step moves its routes to, as people say it (``canary 10%``)."""
        if self.stage is None:
            return ""
        return f"canary {self.percent:g}%" if self.stage is Stage.CANARY else self.stage.value


@dataclass(frozen=True)
class Plan:
    name: str
    title: str
    steps: tuple[Step, ...]
    route_names: tuple[str, ...]  # every route of the table, in match order
    profile: str | None = None

    def step(self, index: int) -> Step | None:
        """Step ``index`` (1-based); None for 0, the state before the plan started."""
        return self.steps[index - 1] if 1 <= index <= len(self.steps) else None

    def index_of(self, step_id: str) -> int:
        for i, step in enumerate(self.steps, start=1):
            if step.id == step_id:
                return i
        raise ValueError(f"no step {step_id!r}; steps: {', '.join(s.id for s in self.steps)}")


def resolve_routes(patterns: Sequence[str], route_names: Sequence[str], where: str) -> tuple:
    """Route names matching ``patterns`` (exact names or globs like ``pos.*``), table order."""
    chosen: set[str] = set()
    for pattern in patterns:
        found = [n for n in route_names if fnmatch.fnmatchcase(n, pattern)]
        if not found:
            raise ValueError(
                f"{where}: route {pattern!r} matches no route; known: {', '.join(route_names)}"
            )
        chosen.update(found)
    return tuple(n for n in route_names if n in chosen)


def _parse_step(
    number: int, raw: Mapping, gatesets: Mapping[str, Mapping], route_names: Sequence[str]
) -> Step:
    where = f"step {number}"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a table")
    known = {"id", "title", "domain", "routes", "stage", "percent", "sync", "gates", "notes"}
    known.add("route_gates")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known: {', '.join(sorted(known))}")
    step_id = raw.get("id")
    if not isinstance(step_id, str) or not _ID.match(step_id):
        raise ValueError(f"{where}: id must be a short lower-case name, got {step_id!r}")
    where = f"step {number} {step_id!r}"
    patterns = raw.get("routes", [])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{where}: routes must be a list of route names or globs")
    routes = resolve_routes(patterns, route_names, where)
    stage = percent = None
    if routes:
        if "stage" not in raw:
            raise ValueError(f"{where}: routes need a stage (shadow, canary, platform, retired)")
        stage = parse_stage(raw["stage"])
        if stage is Stage.LEGACY:
            raise ValueError(f"{where}: a step never moves routes to legacy; rollback does")
        percent = raw.get("percent")
        if stage is Stage.CANARY:
            if isinstance(percent, bool) or not isinstance(percent, (int, float)):
                raise ValueError(f"{where}: a canary step needs percent = P (0 < P <= 100)")
            if not 0 < percent <= 100:
                raise ValueError(f"{where}: percent must be in (0, 100], got {percent!r}")
            percent = float(percent)
        elif percent is not None:
            raise ValueError(f"{where}: percent only applies to canary, not {stage.value}")
    elif "stage" in raw or "percent" in raw:
        raise ValueError(f"{where}: stage and percent need routes to move")
    sync = raw.get("sync", {})
    if not isinstance(sync, Mapping) or not all(
        k in SYNC_DIRECTIONS and isinstance(v, bool) for k, v in sync.items()
    ):
        raise ValueError(f"{where}: sync is a table like {{ forward = true, reverse = true }}")
    if any(v is False for v in sync.values()):
        raise ValueError(
            f"{where}: sync can only be switched on; it stays on through rollback so "
            "nothing the platform took is left behind"
        )
    if not routes and not sync:
        raise ValueError(f"{where} does nothing: give it routes and a stage, or a sync switch")
    gates = dict(raw.get("gates", {}))
    use = gates.pop("use", None)
    if use is not None:
        if use not in gatesets:
            raise ValueError(f"{where}: unknown gate set {use!r}; known: {', '.join(gatesets)}")
        gates = {**gatesets[use], **gates}
    try:
        parsed = parse_gates(gates)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    per_route = _route_gates(raw.get("route_gates", {}), routes, where)
    if per_route:
        parsed = replace(parsed, per_route=per_route)
    return Step(
        id=step_id,
        title=str(raw.get("title") or step_id),
        domain=str(raw.get("domain") or ""),
        routes=routes,
        stage=stage,
        percent=percent,
        sync=dict(sync),
        gates=parsed,
        notes=str(raw.get("notes") or "").strip(),
    )


def _route_gates(raw: object, routes: Sequence[str], where: str) -> tuple:
    """``route_gates = { "pos.pull" = { max_mismatch_rate = 1.0 } }`` → (route, gate, limit)."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: route_gates maps route names to gate tables")
    out = []
    for route, table in raw.items():
        if route not in routes:
            raise ValueError(f"{where}: route_gates names {route!r}, which the step does not move")
        if not isinstance(table, Mapping) or set(table) - set(ROUTE_GATES):
            raise ValueError(f"{where}: route_gates.{route} takes only {', '.join(ROUTE_GATES)}")
        try:
            gates = parse_gates(table)
        except ValueError as exc:
            raise ValueError(f"{where}: route_gates.{route}: {exc}") from None
        out += [(route, gate, getattr(gates, gate)) for gate in table]
    return tuple(out)


def parse_plan(doc: Mapping, route_names: Sequence[str], *, profile: str | None = None) -> Plan:
    """The plan of a parsed TOML document; ValueError says where it is wrong and why."""
    head = doc.get("plan", {})
    if not isinstance(head, Mapping) or not head.get("name"):
        raise ValueError("the plan needs a [plan] table with a name")
    gatesets = doc.get("gatesets", {})
    for name, table in gatesets.items():
        try:
            parse_gates(table)
        except ValueError as exc:
            raise ValueError(f"gate set {name!r}: {exc}") from None
    raw_steps = doc.get("step", [])
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ValueError("the plan has no [[step]]")
    steps = [_parse_step(i, raw, gatesets, route_names) for i, raw in enumerate(raw_steps, 1)]
    seen: set[str] = set()
    for step in steps:
        if step.id in seen:
            raise ValueError(f"step id {step.id!r} is used twice")
        seen.add(step.id)
    check_moves(steps, route_names)
    if profile:
        profiles = doc.get("profiles", {})
        if profile not in profiles:
            raise ValueError(
                f"unknown profile {profile!r}; the plan has: {', '.join(profiles) or 'none'}"
            )
        try:
            override = parse_gates(profiles[profile])
        except ValueError as exc:
            raise ValueError(f"profile {profile!r}: {exc}") from None
        steps = [apply_profile(s, override, set(profiles[profile])) for s in steps]
    return Plan(
        name=str(head["name"]),
        title=str(head.get("title") or head["name"]),
        steps=tuple(steps),
        route_names=tuple(route_names),
        profile=profile,
    )


def apply_profile(step: Step, override: StepGates, names: set[str]) -> Step:
    """Replace the gates a profile names, in the steps that gate on them at all."""
    changes = {}
    for name in names:
        current = getattr(step.gates, name)
        if current is not None and current != ():
            changes[name] = getattr(override, name)
    return replace(step, gates=replace(step.gates, **changes)) if changes else step
