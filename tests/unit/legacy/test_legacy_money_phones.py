from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhongtai.legacy.money import fen_to_yuan, round_yuan, yuan_to_fen
from zhongtai.legacy.phones import phone_matches, query_digits, stored_digits


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        (2.675, 268),  # the double is 2.67499999…; the rule rounds the decimal form half-up
        (1.005, 101),
        (0.125, 13),
        (66.55, 6655),
        (0.1 + 0.2, 30),
        (-2.675, -268),
        (Decimal("18.345"), 1835),
        (7, 700),
        (None, 0),
    ],
)
def test_yuan_to_fen_rounds_half_up_on_two_decimals(yuan, fen):
    assert yuan_to_fen(yuan) == fen


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_fen_survive_a_round_trip_through_float_yuan(fen):
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


def test_round_yuan_is_the_legacy_python_round():
    assert round_yuan(32.0 * 3) == 96.0
    assert round_yuan(0.1 + 0.2) == 0.3
    assert round_yuan(None) is None


@pytest.mark.parametrize(
    "stored",
    [
        "13800138000",
        "+86 138-0013-8000",
        "86-13800138000",
        "138 0013 8000",
        "13800138000_7333",
        "021-5555,13800138000",
        "(+86)138.0013.8000",
    ],
)
@pytest.mark.parametrize("query", ["13800138000", "+86 138 0013 8000", "0086-13800138000"])
def test_every_stored_format_matches_every_query_format(stored, query):
    assert phone_matches(stored, query)


def test_masked_and_other_numbers_do_not_match():
    assert not phone_matches("138****8000", "13800138000")
    assert not phone_matches("13900139000", "13800138000")
    assert not phone_matches(None, "13800138000")


def test_query_digits_strips_the_country_code_and_refuses_short_queries():
    assert query_digits("+86 138-0013-8000") == "13800138000"
    assert query_digits("8613800138000") == "13800138000"
    assert query_digits("0138001") == "0138001"
    with pytest.raises(ValueError, match="at least 7 digits"):
        query_digits("138-00")
    assert stored_digits(" +86 (138) 0013-8000 ") == "8613800138000"
