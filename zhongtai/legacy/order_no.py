"""Order numbers that embed the store code (pure).

Format: ``{channel}{yyMMdd}{store_code}{serial:05d}``, for example ``3251201SH001200042``:
channel 3 (mini-program), 1 Dec 2025, store SH0012, the store's 42nd order that day. The
strangler proxy keys sticky canary routing on the store code it can read back out.

The five-digit serials of one store's day are split in two ranges, so that the legacy app and
an order center standing in for it never give the same number, even when both take the
store's orders on one day (a store moving between them): the legacy app's counter
(``t_day_seq``) numbers :data:`LEGACY_SERIALS`, the order center's :data:`PLATFORM_SERIALS`.
Both stay legacy-shaped, so POS, channels and the proxy read them alike.
"""

from __future__ import annotations

import re
from datetime import date

STORE_CODE = re.compile(r"^[A-Z]{2}\d{4}$")
ORDER_NO = re.compile(r"^(?P<channel>\d)(?P<day>\d{6})(?P<store>[A-Z]{2}\d{4})(?P<serial>\d{5})$")
# The same pattern as one regex with a single group, for route configuration files.
STORE_IN_ORDER_NO = r"^\d{7}([A-Z]{2}\d{4})\d{5}$"
LEGACY_SERIALS = range(1, 50_000)  # 00001-49999
PLATFORM_SERIALS = range(50_001, 100_000)  # 50001-99999: the order center's counter + 50000


def make_order_no(
    channel: int, day: date, store_code: str, serial: int, serials: range = LEGACY_SERIALS
) -> str:
    """The order number of ``serial``, which must lie in ``serials`` (the numbering system's
    range: the legacy app's unless told)."""
    if not STORE_CODE.match(store_code):
        raise ValueError(f"store code {store_code!r} is not two capitals and four digits")
    if not 0 <= channel <= 9:
        raise ValueError(f"channel {channel!r} must be a single digit")
    if serial not in serials:
        raise ValueError(
            f"serial {serial!r} out of range {serials.start}..{serials.stop - 1} "
            "for one store and day"
        )
    return f"{channel}{day:%y%m%d}{store_code}{serial:05d}"


def store_code_of(order_no: str) -> str:
    """The store code embedded in ``order_no``; ValueError if it is not one of ours."""
    m = ORDER_NO.match(order_no)
    if not m:
        raise ValueError(f"{order_no!r} is not a zhongtai legacy order number")
    return m.group("store")


def make_store_code(city_prefix: str, number: int) -> str:
    code = f"{city_prefix.upper()}{number:04d}"
    if not STORE_CODE.match(code):
        raise ValueError(f"cannot make a store code from {city_prefix!r} and {number!r}")
    return code
