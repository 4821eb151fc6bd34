"""Phone normalisation: every legacy format to E.164 + extension + masked flag."""

from __future__ import annotations

import pytest

from zhongtai.platform.phone import Phone, parse_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", Phone("+8613800138000")),
        ("+86 138-0013-8000", Phone("+8613800138000")),
        ("86-13800138000", Phone("+8613800138000")),
        ("0086 13800138000", Phone("+8613800138000")),
        ("138 0013 8000", Phone("+8613800138000")),
        ("１３８００１３８０００", Phone("+8613800138000")),  # full-width digits
        ("138****8000", Phone("+86138****8000", masked=True)),
        ("18449039731_7333", Phone("+8618449039731", "7333")),
        ("18449039731,7333", Phone("+8618449039731", "7333")),
        ("021-12345678", Phone("+862112345678")),
        ("+1 415 555 0100", Phone("+14155550100")),
    ],
)
def test_legacy_formats_normalise(text, expected):
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "abc", "12345", "+86 138****8000x", "+12"])
def test_garbage_is_refused_with_the_value_named(text):
    with pytest.raises(ValueError) as err:
        parse_phone(text)
    assert "phone" in str(err.value)


def test_display_keeps_the_extension():
    assert Phone("+8618449039731", "7333").display() == "+8618449039731_7333"
