"""Rich renderings of the plan, its verdicts and its audit trail (presentation only)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from zhongtai.cutover.gates import Verdict
from zhongtai.cutover.moves import MoveResult
from zhongtai.cutover.plan import Plan, Step
from zhongtai.cutover.store import AuditEntry, PlanState
from zhongtai.strangler.views import STAGE_STYLE

STATUS_STYLE = {"pass": "green", "fail": "bold red", "wait": "yellow", "skip": "dim"}


def _routes(step: Step) -> str:
    if not step.routes:
        return "-"
    shown = ", ".join(step.routes[:4]) + (
        f" +{len(step.routes) - 4}" if len(step.routes) > 4 else ""
    )
    return shown


def _gates(step: Step) -> str:
    g = step.gates
    parts = []
    if g.min_soak_s is not None:
        parts.append(f"soak≥{g.min_soak_s:g}s")
    if g.min_shadow_sample is not None:
        parts.append(f"sample≥{g.min_shadow_sample}")
    if g.min_platform_requests is not None:
        parts.append(f"platform req≥{g.min_platform_requests}")
    if g.max_mismatch_rate is not None:
        parts.append(f"mismatch≤{g.max_mismatch_rate:.1%}")
    if g.max_error_rate is not None:
        parts.append(f"errors≤{g.max_error_rate:.1%}")
    if g.max_p99_ms is not None:
        parts.append(f"p99≤{g.max_p99_ms:g}ms")
    if g.max_sync_lag_s is not None:
        parts.append(f"lag≤{g.max_sync_lag_s:g}s")
    if g.data_parity:
        parts.append("parity " + "+".join(g.data_parity))
    return " · ".join(parts)


def plan_table(plan: Plan, state: PlanState | None) -> Table:
    """Every step, the one the plan is at marked."""
    at = state.step if state else 0
    done = bool(state and state.complete)
    profile = f", profile {plan.profile}" if plan.profile else ""
    where = "complete" if done else ("not started" if at == 0 else f"at step {at}")
    table = Table(title=f"cutover plan {plan.name}{profile} — {where}", title_justify="left")
    for col in ("", "#", "step", "moves", "to", "sync", "gates to leave it"):
        table.add_column(col, overflow="fold")
    for number, step in enumerate(plan.steps, start=1):
        mark = "✓" if number < at or done else ("▶" if number == at else "")
        style = "bold" if number == at and not done else ("dim" if number < at else "")
        target = Text(
            step.target or "-", style=STAGE_STYLE.get(step.stage.value if step.stage else "", "")
        )
        sync = ", ".join(f"{d} on" for d, on in step.sync.items() if on) or "-"
        table.add_row(
            mark, str(number), Text(step.id, style=style), _routes(step), target, sync, _gates(step)
        )
    return table


def verdict_table(verdicts: list[Verdict], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("gate", "subject", "verdict", "figures", "by"):
        table.add_column(col, overflow="fold")
    for v in verdicts:
        table.add_row(
            v.gate, v.subject, Text(v.status, style=STATUS_STYLE[v.status]), v.message, v.by or ""
        )
    return table


def move_lines(result: MoveResult, plan: Plan) -> list[str]:
    """What a move did (or would do), one line each."""

    def name(index: int) -> str:
        step = plan.step(index)
        return f"step {index} {step.id}" if step else "the start (every route on legacy)"

    head = {
        "advance": f"advance {name(result.from_step)} → {name(result.to_step)}",
        "complete": f"plan {plan.name} complete at {name(result.to_step)}",
        "rollback": f"rollback {name(result.from_step)} → {name(result.to_step)}",
        "hold": f"hold at {name(result.from_step)}: its gates do not hold",
        "retry": f"retry {name(result.from_step)}: its analysis window starts again now",
    }[result.action]
    if result.dry_run and result.action != "hold":
        head = "dry run — would " + head
    lines = [head]
    for change in result.changes:
        if "route" in change and "from" in change:
            lines.append(f"  {change['route']}: {change['from']} → {change['to']}")
        elif "sync" in change and "capture" in change:
            lines.append(f"  {change['sync']} sync: capture {change['capture']}")
        elif "sync" in change and "drained" in change:
            state = "drained" if change["drained"] else f"lag {change['lag_s']}s left"
            lines.append(f"  reverse sync before moving back: {state}")
    if result.entry is not None:
        e = result.entry
        lines.append(
            f"  audited #{e.id} by {e.who} at {e.at.isoformat(timespec='seconds')}Z — {e.why}"
        )
    return lines


def audit_table(entries: list[AuditEntry]) -> Table:
    table = Table(title="plan moves (newest first)", title_justify="left")
    for col in ("#", "at (UTC)", "who", "move", "why", "figures"):
        table.add_column(col, overflow="fold")
    for e in entries:
        move = f"{e.action} {e.from_step}→{e.to_step}" + (" (auto)" if e.automatic else "")
        failing = [v for v in e.verdicts or [] if v.get("status") in ("fail", "wait")]
        figures = "; ".join(f"{v['subject']}: {v['message']}" for v in failing[:3])
        if not figures and e.verdicts:
            figures = f"{len(e.verdicts)} gate(s) held"
        table.add_row(str(e.id), e.at.strftime("%m-%d %H:%M:%S"), e.who, move, e.why, figures)
    return table


def tick_line(tick) -> str:
    """One line per watch check."""
    from datetime import datetime

    from zhongtai.cutover.gates import blocking

    head = f"{datetime.now():%H:%M:%S} step {tick.step}: {tick.action}"
    move = tick.result
    if move is not None and move.moved:
        why = f" — {move.entry.why}" if move.entry else ""
        return f"{head} {move.from_step} → {move.to_step}{why}"
    failing = blocking(tick.verdicts)
    if tick.note:
        head += f" ({tick.note})"
    if failing:
        first = failing[0]
        more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
        return (
            f"{head}: {first.subject}: {first.message}{' — ' + first.by if first.by else ''}{more}"
        )
    if tick.verdicts:
        return f"{head}: {len(tick.verdicts)} gate verdict(s) hold"
    return head
