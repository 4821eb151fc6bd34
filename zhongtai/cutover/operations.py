"""What the CLI (and the demo) asks of the cutover plan, one function per command.

Each opens the plan session from the settings, does one thing, and returns data the CLI
renders (``views``) or prints as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zhongtai.config import Settings
from zhongtai.cutover import moves
from zhongtai.cutover.gates import Verdict
from zhongtai.cutover.ladder import desired_sync
from zhongtai.cutover.moves import MoveResult
from zhongtai.cutover.plan import Plan
from zhongtai.cutover.store import AuditEntry, PlanState
from zhongtai.strangler.state import operator_name


@dataclass
class Overview:
    plan: Plan
    state: PlanState | None
    verdicts: list[Verdict] = field(default_factory=list)

    def as_dict(self) -> dict:
        s = self.state
        return {
            "plan": self.plan.name,
            "title": self.plan.title,
            "profile": self.plan.profile,
            "step": s.step if s else 0,
            "status": s.status if s else "not started",
            "entered_at": s.entered_at.isoformat() + "Z" if s else None,
            "window_at": s.window_at.isoformat() + "Z" if s else None,
            "sync": desired_sync(self.plan, s.step if s else 0),
            "steps": [
                {
                    "number": i,
                    "id": step.id,
                    "domain": step.domain,
                    "title": step.title,
                    "routes": list(step.routes),
                    "to": step.target or None,
                    "sync": dict(step.sync),
                    "gates": step.gates.as_dict(),
                }
                for i, step in enumerate(self.plan.steps, start=1)
            ],
            "verdicts": [v.as_dict() for v in self.verdicts],
        }


def show(
    settings: Settings, *, plan_file: str | None = None, profile: str | None = None,
    data: bool = False,
) -> Overview:  # fmt: skip
    """The plan, where it stands, and the current step's verdicts (data parity if ``data``)."""
    with moves.session(settings, plan_file=plan_file, profile=profile) as s:
        verdicts = [] if s.state is None or s.state.complete else moves.judge(s, data=data)
        return Overview(s.plan, s.state, verdicts)


def advance(
    settings: Settings, *, why: str, dry_run: bool = False, plan_file: str | None = None,
    profile: str | None = None, who: str | None = None,
) -> tuple[MoveResult, Plan]:  # fmt: skip
    """Apply the next step when the current step's gates hold."""
    with moves.session(settings, plan_file=plan_file, profile=profile) as s:
        return moves.advance(s, why=why, who=who or operator_name(), dry_run=dry_run), s.plan


def rollback(
    settings: Settings, *, why: str, to: int | None = None, dry_run: bool = False,
    who: str | None = None,
) -> tuple[MoveResult, Plan]:  # fmt: skip
    """Go back a step (or to ``to``); never gated."""
    with moves.session(settings) as s:
        result = moves.rollback(s, why=why, who=who or operator_name(), to=to, dry_run=dry_run)
        return result, s.plan


def retry(settings: Settings, *, why: str, who: str | None = None) -> tuple[MoveResult, Plan]:
    """Restart the current step's analysis window (after fixing what broke a canary)."""
    with moves.session(settings) as s:
        return moves.retry(s, why=why, who=who or operator_name()), s.plan


def history(settings: Settings, limit: int = 50) -> list[AuditEntry]:
    """The plan's moves, newest first."""
    with moves.session(settings) as s:
        return s.store.audit(limit)
