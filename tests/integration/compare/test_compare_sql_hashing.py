"""The SQL side builds exactly the text Python hashes, on every engine, row by row.

If one character differed, every segment would mismatch; so each renderable column type is
checked with awkward values, and the payments SQL form is checked against its Python
transform on seeded legacy data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from zhongtai.compare import sqlhash
from zhongtai.compare.rowhash import RowShape, checksum, text_hash
from zhongtai.db import create_engine
from zhongtai.migrate import source
from zhongtai.migrate.mappings import resolve
from zhongtai.migrate.sqlforms import sql_form
from zhongtai.platform.columns import UtcDateTime
from zhongtai.workload.seed import seed_legacy

META = sa.MetaData()
KINDS = sa.Table(
    "cmp_kinds",
    META,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("small", sa.SmallInteger),
    sa.Column("name", sa.String(64)),
    sa.Column("body", sa.Text),
    sa.Column("flag", sa.Boolean),
    sa.Column("at", UtcDateTime),
    sa.Column("day", sa.Date),
)
AT = datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC)
NAMES = ("id", "small", "name", "body", "flag", "at", "day")
ROWS = [
    dict(zip(NAMES, values, strict=True))
    for values in (
        (1, -5, "张三 🍜", "line\nbreak\ttab", True, AT, date(1990, 1, 2)),
        (2, 0, "", "", False, datetime(1970, 1, 1, tzinfo=UTC), date(2000, 12, 31)),
        (3, None, None, None, None, None, None),
        (2**62, 32767, "trailing  ", "x" * 3000, True, AT, date(1, 1, 1)),
    )
]
COLUMNS = [c.name for c in KINDS.c]


def test_sql_row_text_and_checksums_equal_python(db_url):
    engine = create_engine(db_url)
    try:
        META.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(KINDS), ROWS)
        dialect = engine.dialect.name
        assert sqlhash.renderable(KINDS, COLUMNS, dialect) is None
        shape = RowShape(KINDS, COLUMNS, ["id"])
        text = sqlhash.table_text(KINDS, COLUMNS, dialect)
        with engine.connect() as conn:
            sqlhash.prepare(conn)
            by_sql = dict(conn.execute(sa.select(KINDS.c.id, text)).all())
            fetched = {r["id"]: shape.text(r) for r in conn.execute(sa.select(KINDS)).mappings()}
            total = sqlhash.checksum(conn, text, KINDS)
            high = sqlhash.checksum(conn, text, KINDS, KINDS.c.id > 2)
            key = sqlhash.table_text(KINDS, ["id"], dialect)
            buckets = sqlhash.bucket_checksums(conn, text, key, 7, KINDS)
        for row in ROWS:
            assert by_sql[row["id"]] == shape.text(row) == fetched[row["id"]], row["id"]
        assert total == checksum(shape.text(r) for r in ROWS)
        assert high == checksum(shape.text(r) for r in ROWS[2:])
        for b, sums in buckets.items():
            mine = [r for r in ROWS if sqlhash.key_bucket(shape.key_text(r), 7) == b]
            assert sums.count == len(mine) and sums.total == sum(
                text_hash(shape.text(r)) for r in mine
            )
    finally:
        engine.dispose()


def test_json_and_float_columns_are_hashed_in_python():
    table = sa.Table(
        "j",
        sa.MetaData(),
        sa.Column("id", sa.Integer),
        sa.Column("doc", sa.JSON),
        sa.Column("x", sa.Float),
    )
    assert "j.doc" in sqlhash.renderable(table, ["id", "doc"], "postgresql")
    assert "j.x" in sqlhash.renderable(table, ["id", "x"], "mysql")
    assert sqlhash.renderable(table, ["id"], "oracle").startswith("no in-database checksum")


@pytest.mark.parametrize("engine_name", ["postgresql", "mariadb"])
def test_the_payments_sql_form_is_its_python_transform_row_by_row(engine_name, make_db):
    from tests.conftest import ENGINES

    if engine_name not in ENGINES:
        pytest.skip(f"{engine_name} not in ZHONGTAI_TEST_ENGINES")
    url = make_db(engine_name, "ztcform")
    seed_legacy(url, stores=3, members=40, orders=400, seed=5, progress=False)
    mapping = resolve(["payments"])[0]
    target = mapping.targets[0]
    form = sql_form("payments", "payments")
    engine = create_engine(url)
    shape = RowShape(target.table, [c.name for c in target.table.c], target.key)
    try:
        with engine.begin() as conn:  # rows the guard must send to Python
            conn.execute(
                sa.update(mapping.source)
                .where(mapping.source.c.id == 1)
                .values(pay_channel="\twx_jsapi")
            )
            conn.execute(
                sa.update(mapping.source)
                .where(mapping.source.c.id == 2)
                .values(create_time="2024/01/02 10:00:00")
            )
        with engine.connect() as conn:
            d = conn.dialect.name
            exprs = form.columns(mapping.source, d)
            text = sqlhash.row_text(
                [sqlhash.value_text(exprs[c], target.table.c[c].type, d) for c in shape.columns], d
            )
            guarded = dict(
                conn.execute(
                    sa.select(mapping.source.c.id, text).where(form.guard(mapping.source, d))
                ).all()
            )
            ctx = source.build_context(conn, mapping)
            records = source.read_chunk(conn, mapping, ctx, after=0, upto=None, limit=100_000)
        assert len(records) > 50 and 1 not in guarded and 2 not in guarded
        assert len(guarded) == len(records) - 2
        for record in records:
            out = mapping.apply(record)
            key = record.row["id"]
            if key in guarded:
                assert guarded[key] == shape.text(out["payments"][0]), key
    finally:
        engine.dispose()
