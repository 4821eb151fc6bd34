from datetime import date

import pytest

from zhongtai.legacy.order_no import (
    LEGACY_SERIALS,
    PLATFORM_SERIALS,
    STORE_IN_ORDER_NO,
    make_order_no,
    make_store_code,
    store_code_of,
)


def test_order_number_embeds_and_returns_the_store_code():
    no = make_order_no(3, date(2025, 12, 1), "SH0012", 42)
    assert no == "3251201SH001200042"
    assert store_code_of(no) == "SH0012"


def test_route_regex_extracts_the_same_store_code():
    import re

    no = make_order_no(1, date(2026, 1, 31), "BJ0007", 99_999, PLATFORM_SERIALS)
    assert re.match(STORE_IN_ORDER_NO, no).group(1) == "BJ0007"


@pytest.mark.parametrize(
    "args",
    [
        (3, date(2025, 1, 1), "sh0012", 1),
        (3, date(2025, 1, 1), "SH12", 1),
        (10, date(2025, 1, 1), "SH0012", 1),
        (3, date(2025, 1, 1), "SH0012", 0),
        (3, date(2025, 1, 1), "SH0012", 50_000),  # past legacy's range
        (3, date(2025, 1, 1), "SH0012", 50_001),  # the platform's
    ],
)
def test_bad_parts_are_refused(args):
    with pytest.raises(ValueError):
        make_order_no(*args)


def test_legacy_and_platform_serials_are_disjoint_and_both_five_digits():
    assert not set(LEGACY_SERIALS) & set(PLATFORM_SERIALS)
    day = date(2025, 1, 1)
    ends = [LEGACY_SERIALS[0], LEGACY_SERIALS[-1], PLATFORM_SERIALS[0], PLATFORM_SERIALS[-1]]
    numbers = [make_order_no(3, day, "SH0012", serial, serials) for serial, serials in
               zip(ends, [LEGACY_SERIALS] * 2 + [PLATFORM_SERIALS] * 2, strict=True)]  # fmt: skip
    assert [n[-5:] for n in numbers] == ["00001", "49999", "50001", "99999"]
    assert {store_code_of(n) for n in numbers} == {"SH0012"}
    with pytest.raises(ValueError, match="out of range 50001..99999"):
        make_order_no(3, day, "SH0012", 100_000, PLATFORM_SERIALS)


def test_foreign_numbers_are_refused():
    with pytest.raises(ValueError, match="not a zhongtai legacy order number"):
        store_code_of("MT123456789")


def test_store_codes():
    assert make_store_code("sh", 12) == "SH0012"
    with pytest.raises(ValueError):
        make_store_code("SHA", 1)
