"""Route state in the state database: the table, stage changes, their audit, the version.

Definitions come from ``routes.toml`` (shipped with the package, or ``proxy.routes_file``) and
are seeded into the database the first time; stages and percentages are changed here, each
change validated by :mod:`zhongtai.strangler.stages`, written with its audit record and a
version bump in one transaction, and conditional on the route's revision so that two writers
never silently overwrite each other.
"""

from __future__ import annotations

import getpass
import os
import socket
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from zhongtai.errors import ConfigError, ZhongtaiError
from zhongtai.strangler import schema
from zhongtai.strangler.routes import RouteTable, parse_route, parse_table
from zhongtai.strangler.stages import (
    Stage,
    TransitionError,
    check_transition,
    parse_stage,
    previous_stage,
)

_VERSION = sa.select(schema.meta.c.value).where(schema.meta.c.key == "version")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def operator_name() -> str:
    """Who is acting: ``$ZHONGTAI_OPERATOR`` or ``user@host``."""
    return os.environ.get("ZHONGTAI_OPERATOR") or f"{getpass.getuser()}@{socket.gethostname()}"


def read_routes_file(path: Path | str | None = None) -> dict:
    """The parsed route file: ``path``, or the table shipped with the package."""
    try:
        if path:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = resources.files("zhongtai.strangler").joinpath("routes.toml").read_text("utf-8")
        doc = tomllib.loads(text)
        parse_table(doc)
    except FileNotFoundError:
        raise ConfigError(
            f"route file {path} does not exist", hint="check proxy.routes_file"
        ) from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(f"route file {path or 'routes.toml'} is invalid: {exc}") from None
    return doc


class RouteChangeError(ZhongtaiError):
    """A stage change was refused; nothing was written."""


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    route: str
    who: str
    from_stage: str | None
    from_percent: float | None
    to_stage: str
    to_percent: float | None
    why: str
    automatic: bool
    figures: dict | None


class StateStore:
    """Routes and their audit trail in the state database (one engine per process)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        schema.metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            if conn.execute(_VERSION).first() is None:
                conn.execute(schema.meta.insert().values(key="version", value=0))

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(_VERSION).scalar() or 0)

    def seed(self, doc: dict, *, who: str, source: str = "routes.toml") -> tuple[int, int]:
        """Insert routes the database lacks; refresh definitions of the others (not stages).

        Returns (created, updated).
        """
        routes = parse_table(doc)
        created = updated = 0
        now = utcnow()
        with self.engine.begin() as conn:
            existing = {r.name: r for r in conn.execute(sa.select(schema.routes))}
            for position, route in enumerate(routes):
                definition = {
                    k: v for k, v in route.definition.items() if k not in ("stage", "percent")
                }
                row = existing.get(route.name)
                if row is None:
                    conn.execute(
                        schema.routes.insert().values(
                            name=route.name,
                            position=position,
                            definition=definition,
                            stage=route.stage.value,
                            percent=route.percent,
                            revision=1,
                            updated_at=now,
                            updated_by=who,
                        )
                    )
                    self._audit(
                        conn,
                        route.name,
                        who,
                        None,
                        None,
                        route.stage,
                        route.percent,
                        f"created from {source}",
                        now=now,
                    )
                    created += 1
                elif row.definition != definition or row.position != position:
                    conn.execute(
                        schema.routes.update()
                        .where(schema.routes.c.name == route.name)
                        .values(definition=definition, position=position)
                    )
                    updated += 1
            if created or updated:
                self._bump(conn)
        return created, updated

    def ensure(self, routes_file: Path | str | None = None) -> None:
        """Create the tables and seed the route table if it is empty."""
        self.create()
        with self.engine.connect() as conn:
            empty = (
                conn.execute(sa.select(sa.func.count()).select_from(schema.routes)).scalar() == 0
            )
        if empty:
            self.seed(
                read_routes_file(routes_file),
                who=operator_name(),
                source=str(routes_file or "routes.toml"),
            )

    def load_table(self) -> RouteTable:
        """The route table as stored now, with every route's stage and revision."""
        with self.engine.connect() as conn:
            version = conn.execute(_VERSION).scalar()
            rows = conn.execute(sa.select(schema.routes).order_by(schema.routes.c.position)).all()
        out = []
        for row in rows:
            try:
                route = parse_route(row.definition)
            except ValueError as exc:
                raise ConfigError(f"stored route {row.name!r} is invalid: {exc}") from None
            out.append(route.with_state(Stage(row.stage), row.percent, row.revision))
        return RouteTable(out, int(version or 0))

    def set_stage(
        self,
        name: str,
        stage: str,
        percent: float | None,
        *,
        who: str,
        why: str,
        force: bool = False,
    ) -> AuditRecord:
        """Move ``name`` to ``stage``; refused changes raise RouteChangeError and write nothing."""
        if not why or not why.strip():
            raise RouteChangeError("every route change needs a reason", hint="pass --why TEXT")
        try:
            target = parse_stage(stage)
        except ValueError as exc:
            raise RouteChangeError(str(exc)) from None
        with self.engine.begin() as conn:
            row = self._row(conn, name)
            try:
                percent = check_transition(
                    Stage(row.stage), row.percent, target, percent, force=force
                )
            except TransitionError as exc:
                raise RouteChangeError(f"refused {name}: {exc}") from None
            return self._apply(conn, row, target, percent, who=who, why=why.strip())

    def rollback(self, name: str, *, who: str, why: str) -> AuditRecord:
        """One stage back; back to canary restores the last canary percentage."""
        if not why or not why.strip():
            raise RouteChangeError("every route change needs a reason", hint="pass --why TEXT")
        with self.engine.begin() as conn:
            row = self._row(conn, name)
            try:
                target = previous_stage(Stage(row.stage))
            except TransitionError as exc:
                raise RouteChangeError(f"refused {name}: {exc}") from None
            percent = None
            if target is Stage.CANARY:
                percent = conn.execute(
                    sa.select(schema.audit.c.to_percent)
                    .where(schema.audit.c.route == name, schema.audit.c.to_stage == "canary")
                    .order_by(schema.audit.c.id.desc())
                    .limit(1)
                ).scalar()
                if percent is None:
                    raise RouteChangeError(
                        f"refused {name}: it never ran as a canary, so there is no percentage "
                        "to go back to",
                        hint=f"zhongtai route set {name} canary --percent P --why ...",
                    )
            return self._apply(conn, row, target, percent, who=who, why=why.strip())

    def auto_rollback(self, name: str, revision: int, *, who: str, why: str, figures: dict) -> bool:
        """Canary → shadow when a gate broke, unless the route changed meanwhile."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(schema.routes).where(schema.routes.c.name == name)).first()
            if row is None or row.revision != revision or row.stage != Stage.CANARY.value:
                return False
            try:
                self._apply(conn, row, Stage.SHADOW, None, who=who, why=why, figures=figures)
            except RouteChangeError:
                return False
        return True

    def audit(self, route: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """Newest first."""
        q = sa.select(schema.audit).order_by(schema.audit.c.id.desc()).limit(limit)
        if route:
            q = q.where(schema.audit.c.route == route)
        with self.engine.connect() as conn:
            return [AuditRecord(**row._mapping) for row in conn.execute(q)]

    # -- internals ------------------------------------------------------------------------------

    def _row(self, conn, name: str):
        row = conn.execute(sa.select(schema.routes).where(schema.routes.c.name == name)).first()
        if row is None:
            known = (
                conn.execute(sa.select(schema.routes.c.name).order_by(schema.routes.c.position))
                .scalars()
                .all()
            )
            hint = "the default route always goes to legacy" if name == "default" else None
            raise RouteChangeError(
                f"unknown route {name!r}", hint=hint or f"known routes: {', '.join(known)}"
            )
        return row

    def _apply(self, conn, row, target: Stage, percent, *, who, why, figures=None) -> AuditRecord:
        now = utcnow()
        result = conn.execute(
            schema.routes.update()
            .where(schema.routes.c.name == row.name, schema.routes.c.revision == row.revision)
            .values(
                stage=target.value,
                percent=percent,
                revision=row.revision + 1,
                updated_at=now,
                updated_by=who,
            )
        )
        if result.rowcount != 1:
            raise RouteChangeError(
                f"{row.name} was changed by someone else meanwhile",
                hint="look at `zhongtai route list` and try again",
            )
        record = self._audit(
            conn,
            row.name,
            who,
            row.stage,
            row.percent,
            target,
            percent,
            why,
            now=now,
            figures=figures,
        )
        self._bump(conn)
        return record

    def _audit(
        self,
        conn,
        route,
        who,
        from_stage,
        from_percent,
        to_stage,
        to_percent,
        why,
        *,
        now,
        figures=None,
    ) -> AuditRecord:
        values = dict(
            at=now,
            route=route,
            who=who[:128],
            from_stage=from_stage,
            from_percent=from_percent,
            to_stage=Stage(to_stage).value,
            to_percent=to_percent,
            why=why,
            automatic=figures is not None,
            figures=figures,
        )
        new_id = conn.execute(schema.audit.insert().values(**values)).inserted_primary_key[0]
        return AuditRecord(id=new_id, **values)

    def _bump(self, conn) -> None:
        conn.execute(
            schema.meta.update()
            .where(schema.meta.c.key == "version")
            .values(value=schema.meta.c.value + 1)
        )
