"""The per-store daily counter (``t_day_seq``) behind ``day_seq`` and order-number serials.

Each engine increments atomically under a row lock: an upsert with RETURNING on SQLite and
PostgreSQL, ``INSERT … ON DUPLICATE KEY UPDATE`` and a read of the own row on MariaDB (the
row stays locked by this transaction until it commits, so nobody else can take the number).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from zhongtai.legacy.schema import t_day_seq

_UPSERT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def next_day_seq(conn: Connection, store_id: int, biz_date: str) -> int:
    """Take the next number for ``store_id`` on ``biz_date`` (yyyyMMdd); the first is 1."""
    key = {"store_id": store_id, "biz_date": biz_date}
    name = conn.dialect.name
    if name in _UPSERT_INSERTS:
        stmt = (
            _UPSERT_INSERTS[name](t_day_seq)
            .values(**key, seq=1)
            .on_conflict_do_update(
                index_elements=["store_id", "biz_date"], set_={"seq": t_day_seq.c.seq + 1}
            )
            .returning(t_day_seq.c.seq)
        )
        return int(conn.execute(stmt).scalar_one())
    if name in ("mysql", "mariadb"):
        where = sa.and_(t_day_seq.c.store_id == store_id, t_day_seq.c.biz_date == biz_date)
        stmt = mysql.insert(t_day_seq).values(**key, seq=1)
        conn.execute(stmt.on_duplicate_key_update(seq=t_day_seq.c.seq + 1))
        return int(conn.execute(sa.select(t_day_seq.c.seq).where(where)).scalar_one())
    raise NotImplementedError(f"no day_seq counter for the {name} engine")
