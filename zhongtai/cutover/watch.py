"""``zhongtai plan watch``: follow the plan's canary steps and roll back by itself.

One :func:`tick` looks at the plan once:

1. If a route is further back than the plan says — the proxy's own gate rolled a canary back,
   or someone ran ``zhongtai route rollback`` — the plan follows it back, with an automatic
   audit record that quotes the route's own audit (who, why, figures).
2. On a step that sends real traffic to the platform (canary or platform), it judges the
   health gates; a breach counts, and more than ``failure_limit`` breaches in a row roll the
   plan back to the step before the canary began (Argo Rollouts' abort).
3. With ``promote``, a step whose gates all hold is advanced, as Flagger promotes.

The loop ticks every ``interval`` seconds. After it rolled back it stops promoting (a failed
canary waits for a person, as in Flagger), but it keeps watching.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from zhongtai.config import Settings
from zhongtai.cutover import ladder, moves
from zhongtai.cutover.gates import Verdict, blocking, breaches
from zhongtai.cutover.moves import MoveResult
from zhongtai.cutover.store import PlanMoveError
from zhongtai.strangler.stages import Stage

LIVE = (Stage.CANARY, Stage.PLATFORM)


@dataclass
class Tick:
    step: int
    action: str  # idle|complete|watching|waiting|breach|rollback|advance|hold|conflict
    verdicts: list[Verdict] = field(default_factory=list)
    result: MoveResult | None = None
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "step": self.step,
            "action": self.action,
            "note": self.note,
            "failing": [v.as_dict() for v in blocking(self.verdicts)],
            "move": self.result.as_dict() if self.result else None,
        }


def _moved_by_others(views: dict, names: list[str]) -> tuple[str, list[dict]]:
    """Why the routes went back, from their own audit records."""
    records = []
    for name in names:
        last = views[name].last_change or {}
        records.append(
            {
                "route": name,
                "by": last.get("who"),
                "at": last.get("at"),
                "why": last.get("why"),
                "automatic": last.get("automatic"),
                "figures": last.get("figures"),
            }
        )
    reasons = "; ".join(f"{r['route']} by {r['by']}: {r['why']}" for r in records)
    return reasons, records


def tick(settings: Settings, *, who: str, promote: bool = False) -> Tick:
    """Look at the plan once; roll back, count a breach, or promote."""
    with moves.session(settings) as s:
        index, plan, state = s.index, s.plan, s.state
        if state is None or index == 0:
            return Tick(index, "idle", note="the plan has not started")
        if state.complete:
            return Tick(index, "complete", note=f"plan {plan.name} is complete")
        views = moves.routes_now(settings)
        actual = moves.actual_routes(views)
        target = ladder.follow_back(plan, index, actual)
        if target < index:
            wanted = ladder.desired_routes(plan, index)
            behind = [n for n in wanted if ladder.rank(actual[n]) < ladder.rank(wanted[n])]
            reasons, records = _moved_by_others(views, behind)
            result = moves.rollback(
                s,
                why=f"routes moved back outside the plan: {reasons}",
                who=who,
                to=target,
                automatic=True,
                context=[{"moved_before": r} for r in records],
            )
            return Tick(index, "rollback", result=result, note="followed the routes back")
        step = plan.step(index)
        verdicts = moves.judge(s, data=False, views=views)
        found = breaches(verdicts) if step.stage in LIVE else []
        if found:
            count = state.breaches + 1
            if count > step.gates.failure_limit:
                why = "automatic rollback: " + "; ".join(
                    f"{v.subject}: {v.message} ({v.by})" for v in found
                )
                result = moves.rollback(
                    s,
                    why=why,
                    who=who,
                    to=ladder.breach_target(plan, index),
                    automatic=True,
                    verdicts=verdicts,
                )
                return Tick(index, "rollback", verdicts, result, why)
            s.store.count_breach(state, count)
            limit = step.gates.failure_limit + 1
            return Tick(index, "breach", verdicts, note=f"breach {count} of {limit} tolerated")
        if state.breaches:
            s.store.count_breach(state, 0)
        waiting = [v for v in blocking(verdicts) if v.gate != "data_parity"]
        if promote and not waiting:
            result = moves.advance(s, why="every gate held (plan watch --promote)", who=who)
            return Tick(index, result.action if result.moved else "hold", result.verdicts, result)
        action = "watching" if step.stage in LIVE else "waiting"
        return Tick(index, action, verdicts)


def watch(
    settings: Settings,
    *,
    who: str,
    interval: float = 2.0,
    promote: bool = False,
    once: bool = False,
    timeout: float | None = None,
    stop: threading.Event | None = None,
    report: Callable[[Tick], None] = lambda t: None,
) -> Tick:
    """Tick until the plan completes, ``timeout`` passes, ``stop`` is set or ``once``."""
    stop = stop or threading.Event()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            last = tick(settings, who=who, promote=promote)
        except PlanMoveError as exc:  # another watch or an operator moved first: look again
            last = Tick(-1, "conflict", note=exc.message)
        report(last)
        if last.action == "rollback":
            promote = False  # a failed canary waits for a person
        if once or last.action == "complete":
            return last
        if deadline is not None and time.monotonic() >= deadline:
            return last
        if stop.wait(interval):
            return last
