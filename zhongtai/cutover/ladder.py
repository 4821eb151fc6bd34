"""Where the routes stand at each step of a plan (pure).

Steps are cumulative: the stages a step sets stay until a later step moves the same routes,
so the state at step ``k`` is steps 1..k folded over "every route on legacy". The functions
here answer the questions advance, rollback and the watch ask of that fold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from zhongtai.strangler.stages import LADDER, Stage

if TYPE_CHECKING:
    from zhongtai.cutover.plan import Plan, Step

SYNC_DIRECTIONS = ("forward", "reverse")

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
