"""Property and example tests of the pure transforms and their inverses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhongtai.legacy.clock import local_str, parse_local, wechat_str
from zhongtai.migrate import transforms as tf
from zhongtai.migrate.transforms import TransformError

FEN = st.integers(min_value=-(10**12), max_value=10**12)
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


# ----------------------------------------------------------------------------- money


@given(FEN)
def test_fen_round_trips_through_float_yuan(fen):
    assert tf.yuan_to_fen(tf.fen_to_yuan(fen)) == fen


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_yuan_to_fen_is_within_half_a_fen(yuan):
    fen = tf.yuan_to_fen(yuan)
    assert abs(fen - yuan * 100) <= tf.FEN_TOLERANCE + 1e-6 * max(1.0, abs(yuan))


@given(FEN, st.integers(min_value=-3, max_value=3))
def test_float_drift_of_sums_is_absorbed(fen, drift_ulps):
    # A yuan value that drifted a few ulps (0.1 + 0.2) still converts to the exact fen.
    yuan = fen / 100
    for _ in range(abs(drift_ulps)):
        yuan = yuan + (1e-16 * abs(yuan) or 1e-300) * (1 if drift_ulps > 0 else -1)
    assert tf.yuan_to_fen(yuan) == fen


def test_money_examples_and_half_away_from_zero():
    assert tf.yuan_to_fen(0.1 + 0.2) == 30
    assert tf.yuan_to_fen(1.005) == 101  # prints as 1.005: a tie, away from zero
    assert tf.yuan_to_fen(-1.005) == -101
    assert tf.yuan_to_fen(2.675) == 268
    assert tf.yuan_to_fen(0.125) == 13 and tf.yuan_to_fen(-0.125) == -13
    assert tf.yuan_to_fen(Decimal("12.50")) == 1250
    assert tf.yuan_to_fen("7.1") == 710
    assert tf.yuan_to_fen(3) == 300
    assert tf.yuan_to_fen(None) is None and tf.fen_to_yuan(None) is None
    for bad in (float("nan"), "abc", True):
        with pytest.raises(TransformError):
            tf.yuan_to_fen(bad)


@given(st.decimals(min_value=-(10**8), max_value=10**8, places=2))
def test_decimal_yuan_is_exact(value):
    assert tf.yuan_to_fen(value) == int(value * 100)


# ----------------------------------------------------------------------------- time


@given(MOMENTS)
def test_local_string_round_trip(moment):
    text = tf.utc_to_local(moment)
    assert tf.local_to_utc(text) == moment
    # Agrees with the legacy app's own clock helpers.
    assert text == local_str(moment)
    assert parse_local(text) == moment


@given(MOMENTS)
def test_unix_and_wechat_round_trips(moment):
    assert tf.unix_to_utc(tf.utc_to_unix(moment)) == moment
    assert tf.unix_to_utc(tf.utc_to_unix(moment) * 1000) == moment  # milliseconds
    assert tf.wechat_to_utc(tf.utc_to_wechat(moment)) == moment
    assert tf.utc_to_wechat(moment) == wechat_str(moment)


def test_time_examples():
    assert tf.local_to_utc("2025-12-01 08:00:00") == datetime(2025, 12, 1, 0, 0, tzinfo=UTC)
    assert tf.local_to_utc("0000-00-00 00:00:00") is None
    assert tf.local_to_utc("") is None and tf.local_to_utc(None) is None
    assert tf.local_to_utc(datetime(2025, 1, 1, 8)) == datetime(2025, 1, 1, tzinfo=UTC)
    assert tf.unix_to_utc(0) is None  # expect_time 0 = as soon as possible
    assert tf.utc_to_unix(None) == 0
    assert tf.wechat_to_utc("20251201120000") == datetime(2025, 12, 1, 4, tzinfo=UTC)
    assert tf.as_utc(datetime(2025, 1, 1)) == datetime(2025, 1, 1, tzinfo=UTC)
    for bad in ("2025-13-01 00:00:00", "yesterday", "2025-01-01 25:00:00"):
        with pytest.raises(TransformError, match="time"):
            tf.local_to_utc(bad)
    with pytest.raises(TransformError):
        tf.wechat_to_utc("2025120112")
    with pytest.raises(TransformError):
        tf.unix_to_utc(-5)


def test_local_times_of_the_fast_path_length_with_their_own_offset():
    # 19 characters like 'yyyy-MM-dd HH:mm:ss', but the offset is the text's own.
    assert tf.local_to_utc("2025-12-01 08:00+08") == datetime(2025, 12, 1, 0, tzinfo=UTC)
    assert tf.local_to_utc("2025-12-01 09:00-01") == datetime(2025, 12, 1, 10, tzinfo=UTC)
    for text in ("2025-12-01 08:00:00", "2025-12-01T08:00:00", "2025-12-01 08:00+08"):
        moment = tf.local_to_utc(text)
        assert moment.tzinfo is UTC and moment == datetime(2025, 12, 1, tzinfo=UTC)
        assert repr(moment) == "datetime.datetime(2025, 12, 1, 0, 0, tzinfo=datetime.timezone.utc)"


def test_birthdays_in_every_legacy_format():
    for text in ("1990-01-02", "1990/1/2", "1990.01.02", "19900102", "1990年1月2日"):
        assert tf.parse_birthday(text) == date(1990, 1, 2), text
    assert tf.parse_birthday("1990-01-02 00:00:00") == date(1990, 1, 2)
    assert tf.parse_birthday("01-02") is None
    assert tf.parse_birthday("0000-00-00") is None
    with pytest.raises(TransformError, match="no known format"):
        tf.parse_birthday("next tuesday")


# ----------------------------------------------------------------------------- phones

MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
LANDLINES = st.sampled_from(["010", "021", "0755", "0571", "020"]).flatmap(
    lambda area: st.from_regex(r"[2-8][0-9]{7}", fullmatch=True).map(lambda n: f"{area}-{n}")
)


def _decorate(draw_mobile: str, style: int) -> str:
    m = draw_mobile
    return [
        m,
        f"+86 {m[:3]}-{m[3:7]}-{m[7:]}",
        f"86-{m}",
        f"{m[:3]} {m[3:7]} {m[7:]}",
        f"+86{m}",
        f"0086{m}",
    ][style]


@given(MOBILES, st.integers(min_value=0, max_value=5))
def test_every_mobile_format_normalises_to_the_same_e164(mobile, style):
    phone = tf.normalize_phone(_decorate(mobile, style))
    assert phone == tf.Phone(e164="+86" + mobile)


@given(
    st.one_of(MOBILES, LANDLINES),
    st.one_of(st.none(), st.from_regex(r"[0-9]{4}", fullmatch=True)),
    st.booleans(),
    st.sampled_from(["_", ","]),
)
def test_normalisation_is_idempotent_and_inverse_round_trips(number, ext, masked, sep):
    if masked and len(number) == 11:
        number = number[:3] + "****" + number[7:]
    raw = number + (f"{sep}{ext}" if ext else "")
    phone = tf.normalize_phone(raw)
    assert phone.extension == ext
    assert phone.masked == ("*" in number)
    assert tf.normalize_phone(tf.format_phone(phone)) == phone
    assert tf.normalize_phone(phone.e164) == tf.Phone(phone.e164, None, phone.masked)
    assert tf.normalize_phone(tf.phone_to_legacy(phone)) == phone


def test_phone_examples_from_the_domain_notes():
    n = tf.normalize_phone
    assert n("138****8000") == tf.Phone("+86138****8000", masked=True)
    assert n("18449039731_7333") == tf.Phone("+8618449039731", "7333")
    assert n("18449039731,7333") == tf.Phone("+8618449039731", "7333")
    assert n("021-12345678") == tf.Phone("+862112345678")
    assert n("13800138000,13900139000") == tf.Phone("+8613800138000", multiple=True)
    assert n("１３８００１３８０００") == tf.Phone("+8613800138000")  # full-width digits
    assert n("  ") is None and n(None) is None
    assert tf.phone_to_legacy(n("021-12345678")) == "021-12345678"
    assert tf.phone_to_legacy(n("18449039731,7333")) == "18449039731_7333"
    for bad in ("12345", "call me", "138001380001234"):
        with pytest.raises(TransformError, match="phone"):
            n(bad)


# ----------------------------------------------------------------------------- statuses

LEGACY_CONSISTENT = [
    # (status, refund_status, order_type, status before refund)
    (0, 0, 1, None),
    (1, 0, 1, None),
    (2, 0, 2, None),
    (3, 0, 3, None),
    (4, 0, 1, None),
    (4, 0, 2, None),
    (5, 0, 1, None),
    (6, 0, 1, None),
    (-1, 0, 1, None),
    (7, 1, 1, 5),
    (7, 3, 2, 2),
    (8, 5, 1, 5),
]


@pytest.mark.parametrize(("status", "refund", "otype", "before"), LEGACY_CONSISTENT)
def test_order_status_round_trips(status, refund, otype, before):
    main, ref, sub = tf.order_status(status, refund, otype, before)
    assert tf.legacy_order_status(main, ref, sub) == (status, refund)


def test_order_status_examples():
    assert tf.order_status(4, 0, 1) == ("DELIVERING", "NONE", None)
    assert tf.order_status(4, 0, 2) == ("READY", "NONE", None)
    assert tf.order_status(7, 1, 1, before_refund=5) == ("COMPLETED", "APPLIED", None)
    assert tf.order_status(8, 0, 1) == ("PAID", "SUCCEEDED", None)  # no log: PAID
    assert tf.order_status(-1, 0, 1) == ("PAID", "NONE", "EXCEPTION")
    with pytest.raises(TransformError, match="42"):
        tf.order_status(42)


def test_main_and_refund_values_are_the_order_centers_enums():
    from zhongtai.platform.order.status import MainStatus, RefundStatus

    for status, refund, otype, before in LEGACY_CONSISTENT:
        main, ref, _ = tf.order_status(status, refund, otype, before)
        assert MainStatus(main) and RefundStatus(ref)
    for code in range(6):
        assert RefundStatus(tf.refund_status(code))


@pytest.mark.parametrize("code", [0, 1, 2, 3])
def test_payment_status_round_trip(code):
    assert tf.payment_status_to_legacy(tf.payment_status(code)) == code


def test_store_status_and_soft_deletes():
    assert tf.store_status(1) == ("OPEN", False)
    assert tf.store_status(-1) == ("CLOSED", True)
    assert tf.store_status_to_legacy("PREPARING") == 2
    at = datetime(2025, 1, 1, tzinfo=UTC)
    assert tf.deleted_at_from(0, 0, at=at) is None
    assert tf.deleted_at_from(1, at=at) == at
    assert tf.deleted_at_from(False, True) == tf.UNKNOWN_DELETION
    assert tf.deleted_flag(at) == 1 and tf.deleted_flag(None) == 0


def test_channels_codes_and_shapes():
    assert [tf.channel_name(c) for c in range(1, 6)] == [
        "MEITUAN",
        "ELEME",
        "MINI_PROGRAM",
        "APP",
        "BAIDU",
    ]
    assert all(tf.channel_code(tf.channel_name(c)) == c for c in range(1, 6))
    with pytest.raises(TransformError, match="channel 9"):
        tf.channel_name(9)
    assert tf.clean_code(" ＡＢ 12 ") == "AB12"
    hours = "10:00-14:00,17:00-22:00"
    spans = tf.business_hours_from_legacy(hours)
    assert spans == [{"open": "10:00", "close": "14:00"}, {"open": "17:00", "close": "22:00"}]
    assert tf.business_hours_to_legacy(spans) == hours
    assert tf.fix_geo(31.2, 121.4) == (121.4, 31.2, True)
    assert tf.fix_geo(121.4, 31.2) == (121.4, 31.2, False)


@given(st.lists(st.tuples(st.integers(0, 23), st.integers(0, 59)), min_size=2, max_size=6))
def test_business_hours_round_trip(points):
    clocks = [f"{h:02d}:{m:02d}" for h, m in points][: len(points) // 2 * 2]
    text = ",".join(f"{a}-{b}" for a, b in zip(clocks[::2], clocks[1::2], strict=True))
    assert tf.business_hours_to_legacy(tf.business_hours_from_legacy(text)) == text


def test_local_time_is_eight_hours_ahead():
    moment = datetime(2025, 6, 1, 16, 30, tzinfo=UTC)
    assert tf.utc_to_local(moment) == "2025-06-02 00:30:00"
    assert tf.local_to_utc("2025-06-02 00:30:00") - moment == timedelta(0)


@given(st.one_of(MOBILES, LANDLINES), st.integers(min_value=0, max_value=5))
def test_phones_agree_with_the_platforms_own_parser(number, style):
    from zhongtai.platform.phone import parse_phone

    raw = _decorate(number, style) if len(number) == 11 else number
    ours, theirs = tf.normalize_phone(raw), parse_phone(raw)
    assert (ours.e164, ours.extension, ours.masked) == (
        theirs.e164,
        theirs.extension,
        theirs.masked,
    )
