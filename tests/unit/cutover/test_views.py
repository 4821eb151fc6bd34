"""What operators read: move lines, watch lines, the plan table."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console

from zhongtai.cutover.gates import Verdict
from zhongtai.cutover.moves import MoveResult
from zhongtai.cutover.plan import parse_plan
from zhongtai.cutover.store import AuditEntry
from zhongtai.cutover.views import audit_table, move_lines, plan_table, tick_line
from zhongtai.cutover.watch import Tick

PLAN = parse_plan(
    {
        "plan": {"name": "p"},
        "step": [
            {"id": "pos-shadow", "routes": ["pos.*"], "stage": "shadow"},
            {
                "id": "pos-canary",
                "routes": ["pos.*"],
                "stage": "canary",
                "percent": 10,
                "sync": {"reverse": True},
                "gates": {"max_error_rate": 0.01, "min_soak_s": 60},
            },
        ],  # fmt: skip
    },
    ("pos.pull", "pos.ack"),
)


def text(renderable) -> str:
    console = Console(width=200, record=True)
    console.print(renderable)
    return console.export_text()


def test_move_lines_say_what_moved_and_who_signed_it():
    entry = AuditEntry(3, datetime(2026, 12, 1, 4, 0), "p", "alice", "advance", 1, "pos-shadow",
                       2, "pos-canary", "shadow clean", False, [], [])  # fmt: skip
    result = MoveResult("advance", True, 1, 2, entry=entry)
    result.changes = [
        {"sync": "reverse", "capture": "installed"},
        {"route": "pos.pull", "from": "shadow", "to": "canary 10%"},
    ]
    lines = move_lines(result, PLAN)
    assert lines[0] == "advance step 1 pos-shadow → step 2 pos-canary"
    assert "  reverse sync: capture installed" in lines
    assert "  pos.pull: shadow → canary 10%" in lines
    assert lines[-1].startswith("  audited #3 by alice at 2026-12-01T04:00:00Z — shadow clean")
    dry = MoveResult("rollback", False, 2, 0, dry_run=True)
    assert move_lines(dry, PLAN)[0] == "dry run — would rollback step 2 pos-canary → the start " \
        "(every route on legacy)"  # fmt: skip


def test_a_watch_line_names_the_first_gate_in_the_way_and_its_miss():
    waiting = Verdict("min_soak_s", "step", "wait", 12, 60, "soak 12s < 60s", "48s to go")
    other = Verdict("max_error_rate", "pos.pull", "pass", 0.0, 0.01, "ok")
    line = tick_line(Tick(2, "watching", [waiting, other]))
    assert line.endswith("step 2: watching: step: soak 12s < 60s — 48s to go")
    assert tick_line(Tick(2, "watching", [other])).endswith("1 gate verdict(s) hold")


def test_the_plan_table_marks_where_the_plan_stands():
    shown = text(plan_table(PLAN, None))
    assert "not started" in shown and "pos-canary" in shown and "canary 10%" in shown
    assert "reverse on" in shown and "soak≥60s · errors≤1.0%" in shown
    failed = [{"subject": "step", "message": "error rate 40%", "status": "fail"}]
    entry = AuditEntry(1, datetime(2026, 12, 1), "p", "watch", "rollback", 2, "pos-canary", 1,
                       "pos-shadow", "automatic rollback", True, failed, [])  # fmt: skip
    history = text(audit_table([entry]))
    assert "rollback 2→1 (auto)" in history and "step: error rate 40%" in history
