"""Phone search across the legacy's mixed formats (pure).

Stored phones look like ``13800138000``, ``+86 138-0013-8000``, ``86-13800138000``,
``138 0013 8000``, privacy numbers ``18449039731_7333`` and comma-joined lists. A search
compares digits: separators are removed from the stored value, the query is reduced to its
national digits, and the stored digits must contain the query digits. Masked numbers
(``138****8000``) cannot match a full number; that is the data's loss, not the search's.
"""

from __future__ import annotations

import re

# Characters stripped from stored phones before comparing (the SQL side strips the same).
SEPARATORS = (" ", "-", "+", "(", ")", ".")
MIN_DIGITS = 7
_NON_DIGITS = re.compile(r"\D+")


def query_digits(query: str) -> str:
    """The national digits of a phone query; ValueError when there are too few to search."""
    digits = _NON_DIGITS.sub("", query)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < MIN_DIGITS:
        raise ValueError(
            f"phone {query!r} has {len(digits)} digit(s); give at least {MIN_DIGITS} digits"
        )
    return digits


def stored_digits(stored: str | None) -> str:
    """A stored phone with the separators removed (what the SQL expression computes)."""
    text = stored or ""
    for sep in SEPARATORS:
        text = text.replace(sep, "")
    return text


def phone_matches(stored: str | None, query: str) -> bool:
    """Whether a stored phone matches a query under the admin search rule."""
    return query_digits(query) in stored_digits(stored)
