"""Plan state and its audit trail in the state database (SQLAlchemy Core, every engine).

``cutover_plan`` holds the plan in progress: its pinned text and profile, the step it is at,
when it got there, and a revision every move bumps (moves are conditional on it, so two
operators or an operator and the watch never both move the plan from the same step).
``cutover_audit`` records every move: who, when, from which step to which, why, whether it
was automatic, the gate verdicts behind it and the route and sync changes it made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from zhongtai.cutover.planfile import PlanSource
from zhongtai.errors import ZhongtaiError
from zhongtai.strangler.state import utcnow

metadata = sa.MetaData()
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

plans = sa.Table(
    "cutover_plan",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("step", sa.Integer, nullable=False),  # 0: not started; k: step k applied
    sa.Column("status", sa.String(16), nullable=False),  # in progress | complete
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("entered_at", UtcTime, nullable=False),  # when the current step was reached
    sa.Column("window_at", UtcTime, nullable=False),  # start of the step's analysis window
    sa.Column("baseline", sa.JSON),  # route figures at window_at, judged against
    sa.Column("updated_at", UtcTime, nullable=False),
    sa.Column("updated_by", sa.String(128), nullable=False),
    sa.Column("breaches", sa.Integer, nullable=False),  # consecutive breached watch checks
    sa.Column("origin", sa.String(512), nullable=False),
    sa.Column("profile", sa.String(64)),
    sa.Column("digest", sa.String(32), nullable=False),
    sa.Column("source", LongText, nullable=False),  # the pinned plan text
)

audit = sa.Table(
    "cutover_audit",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcTime, nullable=False),
    sa.Column("plan", sa.String(64), nullable=False),
    sa.Column("who", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # advance|complete|rollback|retry
    sa.Column("from_step", sa.Integer, nullable=False),
    sa.Column("from_id", sa.String(64)),
    sa.Column("to_step", sa.Integer, nullable=False),
    sa.Column("to_id", sa.String(64)),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("automatic", sa.Boolean, nullable=False),
    sa.Column("verdicts", sa.JSON),  # the gate verdicts behind the move
    sa.Column("changes", sa.JSON),  # route stage changes and sync switches made
    sa.Index("ix_cutover_audit_plan", "plan", "id"),
)

IN_PROGRESS, COMPLETE = "in progress", "complete"


class PlanMoveError(ZhongtaiError):
    """A plan move was refused; nothing was changed."""


@dataclass(frozen=True)
class PlanState:
    name: str
    step: int
    status: str
    revision: int
    entered_at: datetime
    window_at: datetime
    baseline: dict | None
    updated_at: datetime
    updated_by: str
    breaches: int
    source: PlanSource

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    plan: str
    who: str
    action: str
    from_step: int
    from_id: str | None
    to_step: int
    to_id: str | None
    why: str
    automatic: bool
    verdicts: list | None
    changes: list | None

    def as_dict(self) -> dict:
        d = dict(vars(self))
        d["at"] = self.at.isoformat(timespec="seconds") + "Z"
        return d


def _state(row) -> PlanState:
    source = PlanSource(row.source, row.origin, row.profile)
    return PlanState(
        row.name,
        row.step,
        row.status,
        row.revision,
        row.entered_at,
        row.window_at,
        row.baseline,
        row.updated_at,
        row.updated_by,
        row.breaches,
        source,
    )


class PlanStore:
    """The plan state and audit tables (one engine per process)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def ensure(self) -> None:
        metadata.create_all(self.engine)

    def current(self) -> PlanState | None:
        """The plan most recently moved, or None before any plan started."""
        query = sa.select(plans).order_by(plans.c.updated_at.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _state(row) if row else None

    def start(self, name: str, source: PlanSource, *, who: str) -> PlanState:
        """Pin ``source`` as plan ``name`` at step 0 (replaces a finished or unstarted one)."""
        now = utcnow()
        values = dict(
            step=0,
            status=IN_PROGRESS,
            revision=1,
            entered_at=now,
            window_at=now,
            baseline=None,
            updated_at=now,
            updated_by=who[:128],
            breaches=0,
            origin=source.origin[:512],
            profile=source.profile,
            digest=source.digest,
            source=source.text,
        )
        with self.engine.begin() as conn:
            conn.execute(plans.delete().where(plans.c.name == name))
            conn.execute(plans.insert().values(name=name, **values))
        return self.current()  # type: ignore[return-value]

    def move(
        self,
        state: PlanState,
        to_step: int,
        *,
        action: str,
        who: str,
        why: str,
        ids: tuple[str | None, str | None],
        automatic: bool = False,
        verdicts: list[dict] | None = None,
        changes: list[dict] | None = None,
        status: str = IN_PROGRESS,
        baseline: dict | None = None,
    ) -> AuditEntry:
        """Move the plan from ``state`` (unless someone moved it meanwhile) and audit it."""
        now = utcnow()
        with self.engine.begin() as conn:
            done = conn.execute(
                plans.update()
                .where(plans.c.name == state.name, plans.c.revision == state.revision)
                .values(
                    step=to_step,
                    status=status,
                    revision=state.revision + 1,
                    entered_at=now if to_step != state.step else state.entered_at,
                    window_at=now,
                    baseline=baseline,
                    updated_at=now,
                    updated_by=who[:128],
                    breaches=0,
                )
            ).rowcount
            if done != 1:
                raise PlanMoveError(
                    f"plan {state.name} was moved by someone else meanwhile",
                    hint="look at `zhongtai plan show` and try again",
                )
            values = dict(
                at=now,
                plan=state.name,
                who=who[:128],
                action=action,
                from_step=state.step,
                from_id=ids[0],
                to_step=to_step,
                to_id=ids[1],
                why=why,
                automatic=automatic,
                verdicts=verdicts,
                changes=changes,
            )
            new_id = conn.execute(audit.insert().values(**values)).inserted_primary_key[0]
        return AuditEntry(id=new_id, **values)

    def count_breach(self, state: PlanState, breaches: int) -> bool:
        """Record ``breaches`` consecutive breached checks (0 resets); False if it moved."""
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    plans.update()
                    .where(plans.c.name == state.name, plans.c.revision == state.revision)
                    .values(breaches=breaches)
                ).rowcount
                == 1
            )

    def audit(self, limit: int = 50, plan: str | None = None) -> list[AuditEntry]:
        """Plan moves, newest first."""
        query = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if plan:
            query = query.where(audit.c.plan == plan)
        with self.engine.connect() as conn:
            return [AuditEntry(**row._mapping) for row in conn.execute(query)]
