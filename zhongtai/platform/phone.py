"""Phone numbers the platform way: E.164 plus a separate extension and a masked flag (pure).

Legacy data holds every format (``13800138000``, ``+86 138-0013-8000``, ``86-13800138000``,
``138 0013 8000``), masked numbers (``138****8000``), privacy numbers with an extension
(``18449039731_7333``, ``18449039731,7333``) and landlines (``021-12345678``).
:func:`parse_phone` turns any of them into one :class:`Phone`; a masked number keeps its
stars and sets ``masked`` (it can be shown, never used as an identity).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s\-().]")
_EXTENSION = re.compile(r"^(?P<number>[^_,#;]+)[_,#](?P<ext>\d{1,6})$")
_CN_MOBILE = re.compile(r"^1[3-9][\d*]{9}$")
_CN_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")


@dataclass(frozen=True)
class Phone:
    """``e164`` like ``+8613800138000`` (stars kept when masked), optional extension."""

    e164: str
    extension: str | None = None
    masked: bool = False

    def display(self) -> str:
        return f"{self.e164}_{self.extension}" if self.extension else self.e164


def parse_phone(text: str, *, default_country: str = "86") -> Phone:
    """Normalise one phone number; ``ValueError`` names the input and the accepted shapes."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        raise ValueError("phone is empty; give a number such as 13800138000 or +8613800138000")
    extension = None
    match = _EXTENSION.match(raw)
    if match:
        raw, extension = match["number"], match["ext"]
    compact = _SEPARATORS.sub("", raw)
    masked = "*" in compact
    international = compact.startswith("+") or compact.startswith("00")
    digits = compact.lstrip("+")
    if digits.startswith("00"):
        digits = digits[2:]
    if not re.fullmatch(r"[\d*]+", digits):
        raise ValueError(f"phone {text!r} has characters other than digits, '+', '-', spaces")
    if digits.startswith(default_country) and _CN_MOBILE.match(digits[len(default_country) :]):
        digits = digits[len(default_country) :]
    elif international:
        if masked or not 8 <= len(digits) <= 15:
            raise ValueError(f"phone {text!r} is not a valid international number")
        return Phone(f"+{digits}", extension, False)
    if _CN_MOBILE.match(digits):
        return Phone(f"+{default_country}{digits}", extension, masked)
    if not masked and _CN_LANDLINE.match(digits):
        return Phone(f"+{default_country}{digits[1:]}", extension, False)
    raise ValueError(
        f"phone {text!r} is not a mobile (11 digits, 1xx), a landline (0xx-xxxxxxxx) "
        "or an international number (+<country><number>)"
    )
