"""Two same-shape tables, in-database checksums on both sides, bisection, duplicates.

The target has no primary key, so duplicate rows can exist there; every engine runs both
sides (PostgreSQL and MariaDB hash in SQL on both, SQLite through its Python aggregate).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from zhongtai.compare.pairs import compare_tables, same_shape
from zhongtai.compare.run import Options
from zhongtai.db import create_engine


def _tables():
    meta = sa.MetaData()
    columns = lambda: [  # noqa: E731
        sa.Column("name", sa.String(40)),
        sa.Column("amount", sa.BigInteger),
        sa.Column("at", sa.DateTime),
        sa.Column("flag", sa.Boolean),
    ]
    src = sa.Table(
        "cmp_src",
        meta,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        *columns(),
    )
    dst = sa.Table("cmp_dst", meta, sa.Column("id", sa.BigInteger, nullable=False), *columns())
    return meta, src, dst


def test_planted_differences_between_two_same_shape_tables(engine_name, make_db):
    meta, src, dst = _tables()
    legacy, platform = (
        create_engine(make_db(engine_name, "ztcsa")),
        create_engine(make_db(engine_name, "ztcsb")),
    )
    try:
        meta.create_all(legacy, tables=[src])
        meta.create_all(platform, tables=[dst])
        t0 = datetime(2024, 1, 1, 8, 0, 0)
        rows = [
            {"id": i, "name": f"名字 {i}" if i % 7 else None, "amount": i * 100,
             "at": t0 + timedelta(seconds=i, microseconds=i % 3), "flag": i % 2 == 0}
            for i in range(1, 3001)
        ]  # fmt: skip
        with legacy.begin() as conn:
            conn.execute(sa.insert(src), rows)
        with platform.begin() as conn:
            conn.execute(sa.insert(dst), rows)
            conn.execute(sa.insert(dst), [rows[99]])  # id 100 twice
            conn.execute(sa.delete(dst).where(dst.c.id == 200))
            conn.execute(sa.update(dst).where(dst.c.id == 300).values(name="changed"))
            conn.execute(sa.update(dst).where(dst.c.id == 400).values(amount=40001))
            conn.execute(sa.update(dst).where(dst.c.id == 500).values(at=t0 + timedelta(days=1)))
            conn.execute(sa.insert(dst), [{**rows[0], "id": 5000}])
        mapping, forms = same_shape("cmp", src, dst, center="order", money=("amount",))
        segments = []
        parity = compare_tables(
            legacy,
            platform,
            mapping,
            forms,
            options=Options(segment_rows=500, download_rows=60, bisect_factor=4, sample=100),
            events=lambda kind, data: segments.append(data) if kind == "segment" else None,
        )
        (unit,) = parity.units
        found = {(d.kind, d.key) for d in unit.sample}
        assert found == {
            ("duplicate", (100,)),
            ("missing", (200,)),
            ("differs", (300,)),
            ("tolerated", (400,)),
            ("differs", (500,)),
            ("extra", (5000,)),
        }
        dup = next(d for d in unit.sample if d.kind == "duplicate")
        assert dup.side == "platform" and dup.copies == 2
        assert unit.legacy_rows == 3000 and unit.platform_rows == 3001  # +1 copy, −1, +1
        assert unit.platform_hash == "sql"
        sql_legacy = engine_name in ("postgresql", "mariadb")
        assert unit.legacy_hash == ("sql+python" if sql_legacy else "python")
        if sql_legacy:  # mismatched segments were narrowed, not downloaded whole
            assert max(s["depth"] for s in (d["segment"] for d in segments)) >= 2
    finally:
        legacy.dispose()
        platform.dispose()
