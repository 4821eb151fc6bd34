from datetime import date

import pytest

from zhongtai.legacy.order_no import (
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

    no = make_order_no(1, date(2026, 1, 31), "BJ0007", 99_999)
    assert re.match(STORE_IN_ORDER_NO, no).group(1) == "BJ0007"


@pytest.mark.parametrize(
    "args",
    [
        (3, date(2025, 1, 1), "sh0012", 1),
        (3, date(2025, 1, 1), "SH12", 1),
        (10, date(2025, 1, 1), "SH0012", 1),
        (3, date(2025, 1, 1), "SH0012", 0),
        (3, date(2025, 1, 1), "SH0012", 100_000),
    ],
)
def test_bad_parts_are_refused(args):
    with pytest.raises(ValueError):
        make_order_no(*args)


def test_foreign_numbers_are_refused():
    with pytest.raises(ValueError, match="not a zhongtai legacy order number"):
        store_code_of("MT123456789")


def test_store_codes():
    assert make_store_code("sh", 12) == "SH0012"
    with pytest.raises(ValueError):
        make_store_code("SHA", 1)
