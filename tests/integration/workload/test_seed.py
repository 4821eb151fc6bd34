"""``seed_legacy`` against real databases: SQLite, PostgreSQL and MariaDB (``db_url``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.errors import ZhongtaiError
from zhongtai.legacy import schema
from zhongtai.legacy.day_seq import next_day_seq
from zhongtai.legacy.order_no import store_code_of
from zhongtai.workload.seed import legacy_row_counts, seed_legacy

SIZES = {"stores": 6, "members": 150, "orders": 1_200}


def table_contents(url: str) -> dict[str, list[tuple]]:
    """Every legacy table's rows in key order, floats as the database returns them."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in schema.metadata.tables.values():
                keys = [c for c in table.primary_key.columns]
                out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*keys))]
            return out
    finally:
        engine.dispose()


@pytest.fixture
def seeded(db_url):
    report = seed_legacy(db_url, **SIZES, seed=3)
    return db_url, report


def test_seed_writes_the_reported_rows(seeded):
    url, report = seeded
    engine = create_engine(url)
    try:
        counts = legacy_row_counts(engine)
    finally:
        engine.dispose()
    assert counts == report.rows
    assert counts["t_order"] == SIZES["orders"] and counts["t_member"] == SIZES["members"]
    assert counts["t_store"] == SIZES["stores"]
    assert all(counts[t] > 0 for t in ("t_order_item", "t_order_status_log", "t_push_log"))
    assert report.quirks["float_drift"] > 0 and "://" in report.url


def test_same_seed_gives_the_same_database_content(seeded, make_db, engine_name):
    url, _ = seeded
    other = make_db(engine_name)
    seed_legacy(other, **SIZES, seed=3)
    first, second = table_contents(url), table_contents(other)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_the_generator_child_process_writes_the_same_content(seeded, make_db, engine_name):
    url, _ = seeded
    other = make_db(engine_name)
    seed_legacy(other, **SIZES, seed=3, parallel=True)
    assert table_contents(other) == table_contents(url)


def test_a_non_empty_database_is_refused_without_reset(seeded):
    url, report = seeded
    before = table_contents(url)
    with pytest.raises(ZhongtaiError, match="already holds data") as caught:
        seed_legacy(url, **SIZES, seed=4)
    assert "--reset" in caught.value.hint
    assert table_contents(url) == before, "a refused seed changes nothing"
    again = seed_legacy(url, **SIZES, seed=3, reset=True)
    assert again.rows == report.rows
    assert table_contents(url) == before, "reset and the same seed give the same data"


def test_day_counters_match_the_seeded_serials_and_the_live_app_continues_them(seeded):
    url, _ = seeded
    engine = create_engine(url)
    o, d = schema.t_order, schema.t_day_seq
    biz_date = sa.literal("20") + sa.func.substr(o.c.order_no, 2, 6)  # yyMMdd in the order no
    try:
        with engine.begin() as conn:
            highest = {
                (r.store_id, r.biz_date): r.top
                for r in conn.execute(
                    sa.select(
                        o.c.store_id,
                        biz_date.label("biz_date"),
                        sa.func.max(o.c.day_seq).label("top"),
                    ).group_by(o.c.store_id, biz_date)
                )
            }
            counters = {(r.store_id, r.biz_date): r.seq for r in conn.execute(sa.select(d))}
            assert counters == highest
            (store_id, day), seq = max(counters.items(), key=lambda kv: kv[0][1])
            assert next_day_seq(conn, store_id, day) == seq + 1  # no collision with history
    finally:
        engine.dispose()


def test_new_rows_get_ids_after_the_seeded_ones(seeded):
    url, report = seeded
    engine = create_engine(url)
    log = schema.t_order_status_log
    try:
        with engine.begin() as conn:
            new_id = conn.execute(
                log.insert().values(order_id=1, to_status=1, source="ADMIN")
            ).inserted_primary_key[0]
            order_no = conn.execute(sa.select(schema.t_order.c.order_no).limit(1)).scalar_one()
    finally:
        engine.dispose()
    assert new_id == report.rows["t_order_status_log"] + 1
    assert store_code_of(order_no)
