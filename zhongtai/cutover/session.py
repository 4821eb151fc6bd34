"""A plan session: the plan in force (pinned while under way), its state, and its verdicts.

``session`` opens the state database once per command, finds the plan under way (or the one
asked for, when none is), loads it against the live route table and closes everything after.
``judge`` gathers the figures of the step's analysis window and evaluates its gates, running
the expensive data-parity comparison only when every other gate already holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from zhongtai.config import Settings
from zhongtai.cutover import ladder
from zhongtai.cutover.gates import Verdict, blocking, evaluate
from zhongtai.cutover.ladder import RouteState
from zhongtai.cutover.observe import RouteView, observe, routes_now
from zhongtai.cutover.plan import Plan
from zhongtai.cutover.planfile import PlanSource, load_plan, read_source
from zhongtai.cutover.store import PlanState, PlanStore
from zhongtai.db import open_state_engine
from zhongtai.errors import ConfigError
from zhongtai.strangler.stages import Stage


@dataclass
class Session:
    settings: Settings
    store: PlanStore
    plan: Plan
    state: PlanState | None
    source: PlanSource

    @property
    def index(self) -> int:
        return self.state.step if self.state else 0


def route_names(settings: Settings) -> list[str]:
    from zhongtai.strangler.operations import list_routes

    return [r["name"] for r in list_routes(settings)]


def _pinned(state: PlanState | None, plan_file: str | None, profile: str | None) -> PlanSource:
    """The plan source to use: the pinned one, unless another is asked for before it began."""
    if state is None:
        return read_source(plan_file, profile)
    pinned = state.source
    if plan_file is None and profile is None:
        return pinned
    if state.step == 0 and not state.complete:  # not under way: another plan may start
        return read_source(plan_file, profile)
    origin = None if pinned.origin == "reference" else pinned.origin
    asked = read_source(plan_file or origin, profile if profile is not None else pinned.profile)
    if (asked.digest, asked.profile) != (pinned.digest, pinned.profile):
        raise ConfigError(
            f"plan {state.name} is under way at step {state.step} with "
            f"{pinned.origin} (profile {pinned.profile or 'none'}); a different plan or "
            "profile cannot take over halfway",
            hint="leave out --plan/--profile, or roll back to the start "
            "(`zhongtai plan rollback --to 0`) first",
        )
    return pinned


@contextmanager
def session(
    settings: Settings, *, plan_file: str | None = None, profile: str | None = None
) -> Iterator[Session]:
    """The plan store, the plan in force and its state; the engine is disposed after."""
    engine = open_state_engine(settings)
    try:
        store = PlanStore(engine)
        store.ensure()
        state = store.current()
        source = _pinned(state, plan_file, profile)
        plan = load_plan(source, route_names(settings))
        yield Session(settings, store, plan, state, source)
    finally:
        engine.dispose()


def actual_routes(views: dict[str, RouteView]) -> dict[str, RouteState]:
    return {name: (v.stage, v.percent) for name, v in views.items()}


def label(state: RouteState) -> str:
    stage, percent = state
    return f"canary {percent:g}%" if stage is Stage.CANARY else stage.value


def judge(s: Session, *, data: bool, views: dict[str, RouteView] | None = None) -> list[Verdict]:
    """The current step's verdicts; data parity runs only when every other gate holds."""
    step = s.plan.step(s.index)
    if step is None or s.state is None:
        return []
    views = routes_now(s.settings) if views is None else views
    window = dict(
        window_at=s.state.window_at,
        baseline=s.state.baseline,
        sync_on=ladder.desired_sync(s.plan, s.index),
        views=views,
    )
    verdicts = evaluate(step.gates, step.routes, observe(s.settings, **window))
    pending = [v for v in blocking(verdicts) if v.gate != "data_parity"]
    if data and step.gates.data_parity and not pending:
        settle = max(1.0, step.gates.max_sync_lag_s or 0.0)  # a lag the step allows is no diff
        obs = observe(s.settings, **window, data=step.gates.data_parity, settle=settle)
        verdicts = evaluate(step.gates, step.routes, obs)
    return verdicts
