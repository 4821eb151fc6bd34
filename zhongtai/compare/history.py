"""Parity runs in the state database, so a report can show how parity moved over time.

One table, ``compare_run``: a row per data or traffic parity run with its verdict and a
summary (per table: rows and difference counts; per route: compared, mismatched). The full
differences stay in the report files; the history keeps what a chart needs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from zhongtai.compare.model import DataParity, TrafficParity

metadata = sa.MetaData()
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

runs = sa.Table(
    "compare_run",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # data | traffic
    sa.Column("started_at", UtcTime, nullable=False),  # naive UTC
    sa.Column("finished_at", UtcTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Index("ix_compare_run_kind_started", "kind", "started_at"),
)


def ensure(engine: Engine) -> None:
    """Create ``compare_run`` if it is missing."""
    metadata.create_all(engine)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def data_summary(parity: DataParity) -> dict:
    """What the history keeps of a data run: rows and counts per table."""
    return {
        "seconds": round(parity.seconds, 3),
        "units": {
            u.name: {
                "legacy_rows": u.legacy_rows,
                "platform_rows": u.platform_rows,
                "counts": dict(u.counts),
                "ok": u.ok,
            }
            for u in parity.units
        },
    }


def traffic_summary(traffic: TrafficParity) -> dict:
    """What the history keeps of a traffic run: pairs and mismatches per route."""
    return {
        "records": traffic.records,
        "routes": {
            r.route: {
                "compared": r.compared,
                "mismatched": r.mismatched,
                "platform_errors": r.platform_errors,
                "ok": r.ok,
            }
            for r in traffic.routes
        },
    }


def record(
    engine: Engine, kind: str, started: datetime, finished: datetime, ok: bool, summary: dict
) -> int:
    """Store one run; returns its id."""
    ensure(engine)
    with engine.begin() as conn:
        result = conn.execute(
            runs.insert().values(
                kind=kind,
                started_at=_naive(started),
                finished_at=_naive(finished),
                ok=ok,
                summary=summary,
            )
        )
        return int(result.inserted_primary_key[0])


def record_data(engine: Engine, parity: DataParity) -> int:
    """Record a data parity run; returns its id."""
    return record(
        engine,
        "data",
        parity.started_at,
        parity.finished_at or parity.started_at,
        parity.ok,
        data_summary(parity),
    )


def record_traffic(engine: Engine, traffic: TrafficParity, started: datetime) -> int:
    """Record a traffic parity run; returns its id."""
    return record(engine, "traffic", started, traffic.until, traffic.ok, traffic_summary(traffic))


def recent(engine: Engine, limit: int = 50) -> list[dict]:
    """The latest runs of every kind, oldest first (empty when none was recorded)."""
    if not sa.inspect(engine).has_table(runs.name):
        return []
    query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        {
            "id": r["id"],
            "kind": r["kind"],
            "started_at": r["started_at"].replace(tzinfo=UTC).isoformat(),
            "finished_at": r["finished_at"].replace(tzinfo=UTC).isoformat(),
            "ok": bool(r["ok"]),
            "summary": r["summary"],
        }
        for r in reversed(rows)
    ]
