"""How the admin client types a customer's phone into the search box (pure)."""

from __future__ import annotations

import random
import re

import pytest

from zhongtai.workload.admin_client import typed_phone


@pytest.mark.parametrize("stored", ["18449039731_7333", "13912345678", "13912345678,13800000000"])
def test_typed_phone_keeps_the_mobile_digits(stored):
    rng = random.Random(2)
    typed = {typed_phone(stored, rng) for _ in range(50)}
    assert len(typed) > 1  # several formats get used
    for text in typed:
        digits = re.sub(r"\D", "", text)
        assert digits.removeprefix("86") == stored[:11]


def test_short_numbers_are_typed_as_they_are():
    assert typed_phone("021-1234567", random.Random(0)) == "021-1234567"
