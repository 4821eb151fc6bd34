"""The bulk upsert sync re-applies rows with: same rows twice, a changed value, JSON, many rows.

On PostgreSQL a few rows go as one ``unnest()`` upsert, many through temp table + ``COPY``;
both must leave the same table, and an unchanged row must not be rewritten (no new row
version: its ``xmin`` stays).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.migrate import writer
from zhongtai.migrate.mapping import Target

metadata = sa.MetaData()
items = sa.Table(
    "zt_upsert_items",
    metadata,
    sa.Column("order_id", sa.BigInteger, primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("properties", sa.JSON, nullable=False),
    sa.Column("placed_at", sa.DateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)
TARGET = Target(items, ("order_id", "line_no"), owner="order_id", counter="version")


def _rows(n: int, qty: int = 1) -> list[dict]:
    return [
        {"order_id": 7 + i // 3, "line_no": i % 3 + 1, "name": f"米饭{i}", "qty": qty,
         "properties": {"spec": "大", "tags": [i, None], "note": "a\"b"},
         "placed_at": datetime(2026, 12, 1, 4, i % 60), "version": 0}
        for i in range(n)
    ]  # fmt: skip


def _table(engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items).order_by(items.c.order_id, items.c.line_no))
        return [tuple(r) for r in rows]


def _versions(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT xmin::text FROM zt_upsert_items ORDER BY 1")).all()


def test_upserts_few_and_many_rows_alike_and_leave_unchanged_rows_alone(db_url):
    engine = create_engine(db_url)
    try:
        metadata.create_all(engine)
        few, many = _rows(30), _rows(3_000)  # 30 × 7 values: one statement; 21,000: COPY
        for rows in (few, many):
            with engine.begin() as conn:
                writer.upsert(conn, TARGET, rows)
            with engine.begin() as conn:
                writer.upsert(conn, TARGET, [{**r, "version": 5} for r in rows], existing=True)
            table = _table(engine)
            assert len(table) == len(many if rows is many else few)
            assert table[0][4] == {"spec": "大", "tags": [0, None], "note": 'a"b'}
            assert {r[6] for r in table} == {0}  # the counter is kept on update
        if engine.dialect.name == "postgresql":
            before = _versions(engine)
            with engine.begin() as conn:
                writer.upsert(conn, TARGET, few, existing=True)  # nothing differs
            assert _versions(engine) == before
        changed = [{**r, "qty": 2} if r["line_no"] == 1 else r for r in few]
        with engine.begin() as conn:
            writer.upsert(conn, TARGET, changed, existing=True)
        table = {(r[0], r[1]): r for r in _table(engine)}
        assert all(table[(r["order_id"], r["line_no"])][3] == r["qty"] for r in changed)
        assert sum(r[3] == 2 for r in table.values()) == 10
    finally:
        metadata.drop_all(engine)
        engine.dispose()
