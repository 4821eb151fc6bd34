"""The bulk-write fast paths equal SQLAlchemy's own bind processing, value for value."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, postgresql, sqlite

from zhongtai.migrate import converters, times, transforms, writer
from zhongtai.migrate.mapping import Target
from zhongtai.platform.order import tables as ot

DIALECTS = [sqlite.pysqlite.dialect(), postgresql.psycopg.dialect(), mysql.pymysql.dialect()]
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
)
MOMENTS = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@given(moment=MOMENTS)
def test_utc_datetime_fast_path_binds_what_the_column_type_binds(dialect, moment):
    column = ot.orders.c.created_at
    fast = converters.converter(column, dialect)
    assert fast(moment) == converters.generic(column, dialect)(moment)
    assert fast(moment) == fast(moment)  # the SQLite text memo answers the same again


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_naive_datetimes_are_refused_like_the_column_type_refuses_them(dialect):
    column = ot.orders.c.created_at
    for process in (converters.converter(column, dialect), converters.generic(column, dialect)):
        with pytest.raises(ValueError, match="naive datetime"):
            process(datetime(2024, 1, 1))


@given(value=JSON)
def test_dumps_is_json_dumps(value):
    assert converters.dumps(value) == json.dumps(value)
    column = ot.orders.c.channel_ext
    for dialect in (DIALECTS[0], DIALECTS[2]):
        assert converters.converter(column, dialect)(value) == (
            converters.generic(column, dialect)(value)
        )


def test_json_passes_through_where_the_driver_serialises_it():
    assert converters.converter(ot.orders.c.channel_ext, DIALECTS[1], raw_json=True) is None


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_prepared_rows_are_the_generic_bind_values_one_per_key(dialect):
    target = Target(ot.order_status_history, key=("order_id", "seq"))
    at = datetime(2024, 5, 6, 7, 8, 9, 123, tzinfo=UTC)
    rows = [
        {"order_id": 1, "seq": s, "track": "MAIN", "from_status": None, "to_status": "PAID",
         "sub_status": None, "source": "POS", "reason": None, "amount": None,
         "at": at if s != 2 else None}
        for s in (1, 2, 3, 1)  # (1, 1) twice: the last one wins
    ]  # fmt: skip
    rows[3]["source"] = "LAST"
    columns, values = writer.prepare_rows(dialect, target, rows)
    generic = {c: converters.generic(ot.order_status_history.c[c], dialect) for c in columns}
    raw_json = dialect.name == "postgresql"
    expected = {}
    for row in rows:
        key = (row["order_id"], row["seq"])
        expected[key] = tuple(
            row[c] if row[c] is None or generic[c] is None or raw_json and c == "amount"
            else generic[c](row[c])
            for c in columns
        )  # fmt: skip
    assert sorted(values) == sorted(expected.values())
    assert len(values) == 3


def test_a_row_without_a_column_names_it():
    target = Target(ot.order_status_history, key=("order_id", "seq"))
    with pytest.raises(ValueError, match="lacks column 'seq'"):
        writer.prepare_rows(
            DIALECTS[0], target, [{"order_id": 1, "seq": 1, "track": "M"}, {"order_id": 1}]
        )


def test_memoised_transforms_answer_as_the_rule_does_across_a_full_cache(monkeypatch):
    monkeypatch.setattr(transforms, "_FEN_MAX", 8)
    monkeypatch.setattr(times, "_PARSED_MAX", 8)
    for _ in range(2):
        for cents in range(0, 3000, 7):
            yuan = cents / 100 + 0.005
            assert transforms.yuan_to_fen(yuan) == transforms._float_to_fen(yuan)
        for minute in range(40):
            text = f"2024-03-01 12:{minute:02d}:00"
            expected = datetime(2024, 3, 1, 4, minute, tzinfo=UTC)
            assert times.local_to_utc(text) == expected
    assert len(transforms._FEN) <= 8 and len(times._PARSED) <= 8
    assert times.local_to_utc("0000-00-00 00:00:00") is None
    with pytest.raises(transforms.TransformError):
        transforms.yuan_to_fen(float("nan"))


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_other_types_keep_the_generic_processor(dialect):
    cases = [(ot.orders.c.paid_amount, 7), (ot.orders.c.order_no, "x"),
             (sa.Column("flag", sa.Boolean), True)]  # fmt: skip
    for column, value in cases:
        fast, generic = converters.converter(column, dialect), converters.generic(column, dialect)
        assert (fast is None) == (generic is None)
        if fast is not None:
            assert fast(value) == generic(value)
