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

from zhongtai.strangler.stages import LADDER, Stage, parse_stage

SYNC_DIRECTIONS = ("forward", "reverse")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class StepGates:
    """What must hold before the plan leaves a step (None: not gated)."""

    min_shadow_sample: int | None = None  # legacy-vs-platform pairs compared, step routes summed
    min_platform_requests: int | None = None  # platform-side requests, step routes summed
    max_mismatch_rate: float | None = None  # share of compared pairs differing beyond noise
    max_error_rate: float | None = None  # platform 5xx or unreachable, share of its requests
    max_p99_ms: float | None = None  # platform-side p99 latency
    data_parity: tuple[str, ...] = ()  # mappings or groups compared; none may differ
    max_sync_lag_s: float | None = None  # every sync direction that is on
    min_soak_s: float | None = None  # time spent in the step
    min_route_sample: int = 20  # below this a single route's rates are judged only in the sum
    failure_limit: int = 0  # consecutive breached watch checks tolerated before rolling back

    def as_dict(self) -> dict:
        d = {k: v for k, v in vars(self).items() if v is not None}
        d["data_parity"] = list(self.data_parity)
        return d


_INTS = ("min_shadow_sample", "min_platform_requests", "min_route_sample", "failure_limit")
_SHARES = ("max_mismatch_rate", "max_error_rate")
_SECONDS = ("max_p99_ms", "max_sync_lag_s", "min_soak_s")
GATE_NAMES = tuple(StepGates.__dataclass_fields__)


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"gate {name} must be a number, got {value!r}")
    return float(value)


def parse_gates(data: Mapping) -> StepGates:
    """Gates from a TOML table; ValueError names the bad gate and value."""
    unknown = sorted(set(data) - set(GATE_NAMES))
    if unknown:
        raise ValueError(f"unknown gate(s) {unknown}; known: {', '.join(GATE_NAMES)}")
    values: dict[str, object] = {}
    for name, value in data.items():
        if name in _INTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"gate {name} must be a whole number >= 0, got {value!r}")
            values[name] = value
        elif name in _SHARES:
            share = _number(name, value)
            if not 0 <= share <= 1:
                raise ValueError(f"gate {name} is a share between 0 and 1, got {value!r}")
            values[name] = share
        elif name in _SECONDS:
            amount = _number(name, value)
            if amount < 0:
                raise ValueError(f"gate {name} must be >= 0, got {value!r}")
            values[name] = amount
        else:  # data_parity
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(f"gate data_parity lists mapping names, got {value!r}")
            values[name] = tuple(value)
    return StepGates(**values)


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


RouteState = tuple[Stage, float | None]


def desired_routes(plan: Plan, index: int) -> dict[str, RouteState]:
    """The stage of every route once steps 1..``index`` are applied (others on legacy)."""
    state: dict[str, RouteState] = dict.fromkeys(plan.route_names, (Stage.LEGACY, None))
    for step in plan.steps[: max(index, 0)]:
        if step.stage is not None:
            for name in step.routes:
                state[name] = (step.stage, step.percent)
    return state


def desired_sync(plan: Plan, index: int) -> dict[str, bool]:
    """Which sync directions are on once steps 1..``index`` are applied."""
    on = dict.fromkeys(SYNC_DIRECTIONS, False)
    for step in plan.steps[: max(index, 0)]:
        on.update({d: True for d, wanted in step.sync.items() if wanted})
    return on


def breach_target(plan: Plan, index: int) -> int:
    """Where a broken canary at step ``index`` falls back to: the latest earlier step where
    none of its routes takes real traffic on the platform (as Argo Rollouts sets the canary
    weight back to zero on an abort)."""
    step = plan.step(index)
    routes = step.routes if step else ()
    live = (Stage.CANARY, Stage.PLATFORM, Stage.RETIRED)
    for j in range(index - 1, -1, -1):
        wanted = desired_routes(plan, j)
        if all(wanted[name][0] not in live for name in routes):
            return j
    return 0


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


def check_moves(steps: Sequence[Step], route_names: Sequence[str]) -> None:
    """Every step moves its routes forward one stage at most; a canary only grows."""
    state: dict[str, RouteState] = dict.fromkeys(route_names, (Stage.LEGACY, None))
    for number, step in enumerate(steps, start=1):
        if step.stage is None:
            continue
        for name in step.routes:
            stage, percent = state[name]
            ahead = LADDER.index(step.stage) - LADDER.index(stage)
            where = f"step {number} {step.id!r}: route {name}"
            if ahead < 0:
                raise ValueError(
                    f"{where} goes back from {stage.value} to {step.stage.value}; "
                    "a plan only moves forward (rollback undoes steps)"
                )
            if ahead > 1:
                raise ValueError(
                    f"{where} jumps from {stage.value} to {step.stage.value}; "
                    f"add a step at {LADDER[LADDER.index(stage) + 1].value} first"
                )
            if ahead == 0 and not (
                step.stage is Stage.CANARY and percent is not None and step.percent > percent
            ):
                raise ValueError(
                    f"{where} is already at {stage.value}"
                    + (f" {percent:g}%" if percent is not None else "")
                    + "; a step must move it (a canary only to a larger share)"
                )
            state[name] = (step.stage, step.percent)


def _parse_step(
    number: int, raw: Mapping, gatesets: Mapping[str, Mapping], route_names: Sequence[str]
) -> Step:
    where = f"step {number}"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a table")
    known = {"id", "title", "domain", "routes", "stage", "percent", "sync", "gates", "notes"}
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


def rank(state: RouteState) -> tuple[int, float]:
    """Order of route states along the ladder (a larger canary ranks higher)."""
    stage, percent = state
    return LADDER.index(stage), percent or 0.0


def route_changes(
    wanted: Mapping[str, RouteState], actual: Mapping[str, RouteState]
) -> list[tuple[str, RouteState, RouteState]]:
    """(route, from, to) for every route whose actual state is not the wanted one."""
    return [
        (name, actual[name], state)
        for name, state in wanted.items()
        if name in actual and rank(actual[name]) != rank(state)
    ]


def follow_back(plan: Plan, index: int, actual: Mapping[str, RouteState]) -> int:
    """The latest step at or before ``index`` that no route is behind.

    When the proxy rolled a canary back by itself, or an operator moved a route back by hand,
    the plan follows the routes down to a step it can stand on.
    """
    for j in range(index, -1, -1):
        wanted = desired_routes(plan, j)
        if all(rank(wanted[n]) <= rank(actual[n]) for n in wanted if n in actual):
            return j
    return 0
