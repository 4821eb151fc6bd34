"""Row hashing: one canonical text per row whatever the Python types, a 48-bit MD5 slice."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from zhongtai.compare.rowhash import (
    NULL,
    SEP,
    HashSum,
    RowShape,
    checksum,
    row_text,
    text_hash,
)
from zhongtai.migrate.mapping import normalise
from zhongtai.platform.columns import UtcDateTime

TABLE = sa.Table(
    "t",
    sa.MetaData(),
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.String(40)),
    sa.Column("flag", sa.Boolean),
    sa.Column("at", UtcDateTime),
    sa.Column("day", sa.Date),
    sa.Column("doc", sa.JSON),
    sa.Column("ratio", sa.Float),
)
SHAPE = RowShape(TABLE, [c.name for c in TABLE.c], ["id"])


def test_text_hash_is_the_last_twelve_hex_digits_of_the_md5():
    text = "1\x1f张三\x1f\x1e"
    assert text_hash(text) == int(hashlib.md5(text.encode()).hexdigest()[-12:], 16)
    assert text_hash(text) < 2**48


def test_the_same_row_from_either_side_gives_the_same_text():
    legacy = {
        "id": 7,
        "name": "张三",
        "flag": True,
        "at": datetime(2024, 1, 2, 3, 4, 5, 999, tzinfo=UTC),
        "day": date(1990, 1, 2),
        "doc": {"b": 1, "a": [1, 2]},
        "ratio": 0.5,
    }
    platform = {  # what a driver might hand back: Decimal, int flag, naive UTC, other zone
        "id": Decimal(7),
        "name": "张三",
        "flag": 1,
        "at": datetime(2024, 1, 2, 11, 4, 5, tzinfo=timezone(timedelta(hours=8))),
        "day": date(1990, 1, 2),
        "doc": {"a": [1, 2], "b": 1},
        "ratio": 0.5,
    }
    assert SHAPE.text(legacy) == SHAPE.text(platform)
    assert SHAPE.project(legacy) == SHAPE.project(platform)
    assert SHAPE.text(legacy).split(SEP)[3] == "2024-01-02T03:04:05+00:00"
    assert SHAPE.key_text(platform) == "7" and SHAPE.key_of(SHAPE.project(platform)) == (7,)


def test_null_is_a_marker_distinct_from_empty_text_and_missing_columns_read_as_null():
    empty = SHAPE.text({"id": 1, "name": ""})
    null = SHAPE.text({"id": 1, "name": None})
    assert empty != null and null.split(SEP)[1] == NULL
    assert SHAPE.text({"id": 1}) == null  # a row without the column


values = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63),
    st.booleans(),
    st.text(max_size=20),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)


@given(st.lists(values, min_size=7, max_size=7))
def test_the_fast_text_path_equals_normalise_then_text(row):
    raw = dict(zip([c.name for c in TABLE.c], row, strict=True))
    assert SHAPE.text(raw) == row_text([normalise(v) for v in row])


def test_checksum_sums_hashes_with_count_and_duplicates_do_not_cancel():
    one = checksum(["a"])
    assert one.count == 1 and one.total == text_hash("a")
    two = checksum(["a", "a"])
    assert two.count == 2 and two.total == 2 * text_hash("a")  # XOR would give 0
    agg = HashSum()
    for t in ["a", "b", None]:
        agg.step(t)
    assert int(agg.finalize(), 16) == checksum(["a", "b"]).total
