"""Phone numbers in every legacy format → E.164 + extension + masked flag (pure).

Formats met in the legacy data (domain.md §2.4 item 5) and what they become:

=============================  ==================  =========  ======  ========
legacy value                   ``e164``            extension  masked  multiple
=============================  ==================  =========  ======  ========
``13800138000``                ``+8613800138000``  –          no      no
``+86 138-0013-8000``          ``+8613800138000``  –          no      no
``86-13800138000``             ``+8613800138000``  –          no      no
``138 0013 8000``              ``+8613800138000``  –          no      no
``138****8000``                ``+86138****8000``  –          yes     no
``18449039731_7333``           ``+8618449039731``  ``7333``   no      no
``18449039731,7333``           ``+8618449039731``  ``7333``   no      no
``021-12345678``               ``+862112345678``   –          no      no
``13800138000,13900139000``    ``+8613800138000``  –          no      yes
=============================  ==================  =========  ======  ========

A masked number keeps its ``*`` inside the E.164-shaped string (there is nothing better to
keep) and says so with ``masked``. Several numbers keep the first and set ``multiple``.
:func:`normalize_phone` is idempotent on its own output (``format_phone``), and
:func:`phone_to_legacy` is its inverse for reverse sync (the extra numbers of a ``multiple``
value are gone, which is the one loss).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from zhongtai.migrate.times import TransformError

__all__ = ["Phone", "normalize_phone", "format_phone", "phone_to_legacy"]


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    extension: str | None = None
    masked: bool = False
    multiple: bool = False


_LIST_SEPARATORS = re.compile(r"[,;/|，；、]+")
_EXTENSION = re.compile(r"^(?P<number>.+?)\s*(?:_|转|#|ext\.?|x)\s*(?P<ext>\d{1,6})$", re.I)
_NOISE = re.compile(r"[\s\-().\u00a0]")
_BODY = re.compile(r"^\+?[\d*]+$")


def _number(raw: str) -> tuple[str, bool]:
    """One number (no extension) as (E.164, masked); TransformError when unrecognisable."""
    text = _NOISE.sub("", raw)
    if not text or not _BODY.match(text):
        raise TransformError(f"phone {raw!r} has characters a phone number cannot have")
    masked = "*" in text
    if text.startswith("+"):
        body = text[1:]
        if body.startswith("86"):
            return _national(body[2:], raw, masked)
        if 8 <= len(body) <= 15 and body[0] != "0":
            return "+" + body, masked
        raise TransformError(f"phone {raw!r} is not a valid international number")
    if text.startswith("0086"):
        return _national(text[4:], raw, masked)
    if text.startswith("86") and len(text) == 13 and text[2] == "1":
        return _national(text[2:], raw, masked)
    return _national(text, raw, masked)


def _national(digits: str, raw: str, masked: bool) -> tuple[str, bool]:
    if len(digits) == 11 and digits[0] == "1":  # mobile
        return "+86" + digits, masked
    if digits.startswith("0") and 10 <= len(digits) <= 12 and digits[1] != "0":
        return "+86" + digits[1:], masked  # landline with trunk prefix: 021-12345678
    if digits[:3] in {"400", "800"} and len(digits) == 10:  # service numbers
        return "+86" + digits, masked
    beijing = digits.startswith("10")  # area code 010; mobiles start with 13-19
    if digits[0] != "0" and 9 <= len(digits) <= 11 and (digits[0] != "1" or beijing):
        return "+86" + digits, masked  # landline already without trunk prefix (from E.164)
    raise TransformError(
        f"phone {raw!r} is neither an 11-digit mobile nor a landline with area code"
    )


@lru_cache(maxsize=65_536)  # pure, and the same numbers recur across a customer's orders
def normalize_phone(raw: str | None) -> Phone | None:
    """Parse a legacy phone field; blank → None; unparseable → TransformError."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    parts = [p.strip() for p in _LIST_SEPARATORS.split(text) if p.strip()]
    if not parts:
        return None
    first, rest = parts[0], parts[1:]
    extension = None
    m = _EXTENSION.match(first)
    if m:
        first, extension = m.group("number"), m.group("ext")
    elif rest and rest[0].isdigit() and len(rest[0]) <= 6:
        # Eleme privacy numbers arrive as "18449039731,7333": the tail is an extension.
        extension, rest = rest[0], rest[1:]
    e164, masked = _number(first)
    multiple = False
    for other in rest:
        _number(other)  # must itself be a phone, or the whole value is suspect
        multiple = True
    return Phone(e164=e164, extension=extension, masked=masked, multiple=multiple)


def format_phone(phone: Phone | None) -> str | None:
    """The canonical one-string form: E.164, plus ``_ext`` when there is an extension."""
    if phone is None:
        return None
    return phone.e164 + (f"_{phone.extension}" if phone.extension else "")


def phone_to_legacy(phone: Phone | None) -> str | None:
    """Inverse for reverse sync: the national form the legacy app writes.

    Chinese mobiles lose ``+86`` (``13800138000``, ``18449039731_7333``, ``138****8000``);
    landlines get their trunk ``0`` and a dash after the area code (``021-12345678``);
    other countries keep E.164.
    """
    if phone is None:
        return None
    ext = f"_{phone.extension}" if phone.extension else ""
    if not phone.e164.startswith("+86"):
        return phone.e164 + ext
    national = phone.e164[3:]
    if len(national) == 11 and national[0] == "1":
        return national + ext
    if national[:3] in {"400", "800"} and len(national) == 10:
        return national + ext
    # Area codes: 10 and 2x are two digits (Beijing, Shanghai, ...); the rest have three.
    area = 2 if national[0] == "2" or national.startswith("10") else 3
    return f"0{national[:area]}-{national[area:]}{ext}"


def without_multiple(phone: Phone | None) -> Phone | None:
    """The same phone with ``multiple`` cleared: what survives a round trip."""
    return None if phone is None else replace(phone, multiple=False)
