"""Moving the plan: advance when the gates hold, roll back always, and record every move.

``advance`` judges the current step's gates (the cheap figures first; data parity only when
everything else holds, since it reads every row) and, when they hold, applies the next step:
sync switches first (capture installed where a direction goes on), then the route stages,
then the audit record with the verdicts and the changes. A route change that fails halfway
puts the routes already moved back, so the plan and the routes never disagree silently.

``rollback`` never waits for a gate. It first lets reverse sync drain (bounded), so that the
stores leaving the platform find their last platform writes in legacy as soon as legacy serves
them again (reverse sync carries every write the platform accepted whatever the routes say
when it applies; draining first keeps conflicting writes on both sides rare), then moves the
routes back and records the move. Sync stays on: turning it off could strand what the
platform took while it served.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from zhongtai.config import Settings
from zhongtai.cutover import ladder
from zhongtai.cutover.gates import Verdict, blocking, holds
from zhongtai.cutover.ladder import RouteState
from zhongtai.cutover.observe import baseline_dict, routes_now, sync_lags
from zhongtai.cutover.session import Session, actual_routes, judge, label, session
from zhongtai.cutover.store import COMPLETE, AuditEntry, PlanMoveError, PlanState
from zhongtai.strangler.stages import Stage

__all__ = ["MoveResult", "Session", "actual_routes", "advance", "judge", "retry", "rollback",
           "routes_now", "session"]  # fmt: skip

DRAIN_SECONDS = 15.0


@dataclass
class MoveResult:
    action: str  # advance | complete | rollback | retry | hold
    moved: bool
    from_step: int
    to_step: int
    verdicts: list[Verdict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    entry: AuditEntry | None = None
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "action": self.action,
            "moved": self.moved,
            "dry_run": self.dry_run,
            "from_step": self.from_step,
            "to_step": self.to_step,
            "verdicts": [v.as_dict() for v in self.verdicts],
            "failing": [v.as_dict() for v in blocking(self.verdicts)],
            "changes": self.changes,
            "audit": self.entry.as_dict() if self.entry else None,
        }


def _out_of_step(s: Session, actual: dict[str, RouteState]) -> list[str]:
    wanted = ladder.desired_routes(s.plan, s.index)
    return [
        f"{name} is at {label(now)}, step {s.index} wants {label(want)}"
        for name, now, want in ladder.route_changes(wanted, actual)
    ]


def _set_routes(s: Session, moves, *, who: str, why: str) -> list[dict]:
    """Apply (route, from, to) moves; on a failure put back the ones already made."""
    from zhongtai.strangler.operations import open_state

    done: list[tuple[str, RouteState, RouteState]] = []
    changes = []
    with open_state(s.settings) as (routes, _):
        try:
            for name, before, after in moves:
                routes.set_stage(name, after[0].value, after[1], who=who, why=why, force=True)
                done.append((name, before, after))
                changes.append({"route": name, "from": label(before), "to": label(after)})
        except Exception as exc:
            for name, before, _after in reversed(done):
                routes.set_stage(
                    name,
                    before[0].value,
                    before[1],
                    who=who,
                    force=True,
                    why=f"undo: the plan move failed at another route ({exc})",
                )
            raise
    return changes


def _switch_sync(s: Session, to_step: int) -> list[dict]:
    from zhongtai.migrate.capture import install_capture

    before = ladder.desired_sync(s.plan, s.index)
    after = ladder.desired_sync(s.plan, to_step)
    changes = []
    for direction in ladder.SYNC_DIRECTIONS:
        if after[direction] and not before[direction]:
            results = install_capture(s.settings, reverse=direction == "reverse")
            created = sum(len(r.created) + len(r.replaced) for r in results)
            changes.append(
                {
                    "sync": direction,
                    "capture": "installed",
                    "databases": [r.database for r in results],
                    "triggers_created": created,
                }
            )
    return changes


def _ids(s: Session, a: int, b: int) -> tuple[str | None, str | None]:
    first, second = s.plan.step(a), s.plan.step(b)
    return (first.id if first else None, second.id if second else None)


def _require_in_step(s: Session, actual: dict[str, RouteState]) -> None:
    off = _out_of_step(s, actual)
    if off:
        shown = "; ".join(off[:4]) + (f"; and {len(off) - 4} more" if len(off) > 4 else "")
        raise PlanMoveError(
            f"the routes are not where the plan left them: {shown}",
            hint="`zhongtai route history` shows who moved them; `zhongtai plan rollback "
            "--why ...` makes the plan follow routes moved back, `zhongtai route set ROUTE "
            "STAGE --why ...` puts a route where the plan wants it",
        )


def _record(s: Session, state: PlanState, target: int, result: MoveResult, **kw) -> None:
    """Audit a move whose changes are made; the new analysis window starts now."""
    result.entry = s.store.move(
        state,
        target,
        action=result.action,
        ids=_ids(s, state.step, target),
        verdicts=[v.as_dict() for v in result.verdicts],
        changes=result.changes,
        baseline=baseline_dict(routes_now(s.settings)),
        **kw,
    )
    result.moved = True


def advance(s: Session, *, why: str, who: str, dry_run: bool = False) -> MoveResult:
    """Apply the next step if the current step's gates hold (``dry_run``: only say)."""
    why = _reason(why)
    if s.state is not None and s.state.complete:
        raise PlanMoveError(f"plan {s.plan.name} is complete; there is nothing to advance")
    views = routes_now(s.settings)
    actual = actual_routes(views)
    _require_in_step(s, actual)
    index, last = s.index, len(s.plan.steps)
    verdicts = judge(s, data=True, views=views)
    target = index if index == last else index + 1
    action = "complete" if index == last else "advance"
    moves = ladder.route_changes(ladder.desired_routes(s.plan, target), actual)
    result = MoveResult(action, False, index, target, verdicts, dry_run=dry_run)
    if not holds(verdicts):
        result.action = "hold"
        return result
    if dry_run:
        result.changes = [{"route": n, "from": label(a), "to": label(b)} for n, a, b in moves]
        result.changes += [
            {"sync": d, "capture": "to install"}
            for d, on in ladder.desired_sync(s.plan, target).items()
            if on and not ladder.desired_sync(s.plan, index)[d]
        ]
        return result
    state = s.state
    if state is None or state.step == 0:  # (re)start: pin the plan now in force
        state = s.store.start(s.plan.name, s.source, who=who)
    step = s.plan.step(target)
    where = f"plan {s.plan.name} step {target} {step.id}" if step else f"plan {s.plan.name}"
    result.changes = [] if action == "complete" else _switch_sync(s, target)
    result.changes += _set_routes(s, moves, who=who, why=f"{where}: {why}")
    status = COMPLETE if action == "complete" else "in progress"
    _record(s, state, target, result, who=who, why=why, status=status)
    return result


def retry(s: Session, *, why: str, who: str) -> MoveResult:
    """Restart the current step's analysis window: soak and figures count from now.

    For after a failed canary was rolled back and its cause fixed (Argo Rollouts' retry):
    what the routes saw while the platform was broken no longer counts against the step.
    """
    why = _reason(why)
    if s.state is None or s.index == 0 or s.state.complete:
        raise PlanMoveError("retry restarts the analysis of a step under way; there is none")
    _require_in_step(s, actual_routes(routes_now(s.settings)))
    result = MoveResult("retry", False, s.index, s.index)
    _record(s, s.state, s.index, result, who=who, why=why)
    return result


def _reason(why: str) -> str:
    if not why or not why.strip():
        raise PlanMoveError("every plan move needs a reason", hint="pass --why TEXT")
    return why.strip()


def drain_reverse(settings: Settings, timeout: float = DRAIN_SECONDS) -> float | None:
    """Wait (bounded) until reverse sync has nothing left to carry back; the last lag seen."""
    deadline = time.monotonic() + timeout
    while True:
        lag = sync_lags(settings).get("reverse")
        if lag is None or lag <= 0 or time.monotonic() >= deadline:
            return lag
        time.sleep(0.25)


def rollback(
    s: Session,
    *,
    why: str,
    who: str,
    to: int | None = None,
    dry_run: bool = False,
    automatic: bool = False,
    verdicts: list[Verdict] | None = None,
    drain: float = DRAIN_SECONDS,
    context: list[dict] | None = None,
) -> MoveResult:
    """Go back one step (or to step ``to``), following any route already moved further back."""
    why = _reason(why)
    index = s.index
    if s.state is None or index == 0:
        raise PlanMoveError("the plan has not started; there is nothing to roll back")
    target = index - 1 if to is None else to
    if not 0 <= target < index:
        raise PlanMoveError(
            f"--to {target} is not a step behind step {index}",
            hint=f"give a step between 0 and {index - 1}",
        )
    actual = actual_routes(routes_now(s.settings))
    target = min(target, ladder.follow_back(s.plan, index, actual))
    moves = ladder.route_changes(ladder.desired_routes(s.plan, target), actual)
    result = MoveResult("rollback", False, index, target, list(verdicts or []), dry_run=dry_run)
    result.changes = [{"route": n, "from": label(a), "to": label(b)} for n, a, b in moves]
    if dry_run:
        return result
    result.changes = list(context or [])  # e.g. the route records behind an automatic rollback
    leaving = any(is_live(a) and not is_live(b) for _, a, b in moves)
    if leaving and ladder.desired_sync(s.plan, index)["reverse"] and drain > 0:
        lag = drain_reverse(s.settings, drain)
        drained = lag is not None and lag <= 0
        result.changes.append({"sync": "reverse", "drained": drained, "lag_s": lag})
    where = f"plan {s.plan.name} rollback to step {target}"
    result.changes += _set_routes(s, moves, who=who, why=f"{where}: {why}")
    _record(s, s.state, target, result, who=who, why=why, automatic=automatic)
    return result


def is_live(state: RouteState) -> bool:
    """Does a route in this state send real client traffic to the platform?"""
    return state[0] in (Stage.CANARY, Stage.PLATFORM, Stage.RETIRED)
