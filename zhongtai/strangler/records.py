"""What the proxies observed, in the state database: shadow comparisons and figure snapshots.

Each proxy process buffers its shadow records and writes them in batches about once a second,
together with a snapshot of its figures (one row per process). ``zhongtai status``, the
Prometheus endpoint and the gates read the snapshots of every process and sum them;
``zhongtai compare traffic`` reads the shadow records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa

from zhongtai.strangler import schema
from zhongtai.strangler.figures import RouteFigures, combine
from zhongtai.strangler.state import utcnow

RECORD_FIELDS = (
    "at",
    "route",
    "kind",
    "method",
    "path",
    "sticky_key",
    "legacy_status",
    "other_status",
    "legacy_ms",
    "other_ms",
    "mismatched",
    "fields",
    "example",
    "instance",
)


class Records:
    """Shadow records and figure snapshots (one engine per process)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add_shadow_records(self, records: Iterable[Mapping]) -> int:
        rows = [{k: r.get(k) for k in RECORD_FIELDS} for r in records]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            conn.execute(schema.shadow.insert(), rows)
        return len(rows)

    def shadow_records(
        self,
        *,
        route: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int | None = 1000,
    ) -> list[dict]:
        """Shadow records, oldest first (``since`` is naive UTC)."""
        q = sa.select(schema.shadow).order_by(schema.shadow.c.id)
        if route:
            q = q.where(schema.shadow.c.route == route)
        if kind:
            q = q.where(schema.shadow.c.kind == kind)
        if since:
            q = q.where(schema.shadow.c.at >= since)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(q)]

    def prune_shadow_records(self, older_than: timedelta) -> int:
        """Delete shadow records older than ``older_than``; returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(
                schema.shadow.delete().where(schema.shadow.c.at < utcnow() - older_than)
            ).rowcount

    def save_snapshot(self, instance: str, figures: Mapping) -> None:
        """Replace this process's snapshot (insert the first time)."""
        now = utcnow()
        with self.engine.begin() as conn:
            done = conn.execute(
                schema.snapshots.update()
                .where(schema.snapshots.c.instance == instance)
                .values(updated_at=now, figures=dict(figures))
            ).rowcount
            if not done:
                conn.execute(
                    schema.snapshots.insert().values(
                        instance=instance, updated_at=now, figures=dict(figures)
                    )
                )

    def snapshots(self, *, exclude: str | None = None) -> list[dict]:
        """Every process's latest book of figures (optionally without one instance)."""
        q = sa.select(schema.snapshots.c.instance, schema.snapshots.c.figures)
        with self.engine.connect() as conn:
            return [r.figures for r in conn.execute(q) if r.instance != exclude]

    def prune_snapshots(self, older_than: timedelta) -> int:
        """Forget processes that have not written for ``older_than``."""
        with self.engine.begin() as conn:
            return conn.execute(
                schema.snapshots.delete().where(
                    schema.snapshots.c.updated_at < utcnow() - older_than
                )
            ).rowcount

    def figures(
        self, revisions: Mapping[str, int], *, extra: Iterable[Mapping] = ()
    ) -> dict[str, RouteFigures]:
        """Figures of every route's current revision, summed over all proxy processes."""
        return combine([*self.snapshots(), *extra], revisions)
