"""The legacy data quirks the seed reproduces (domain.md §2.4), declared in one place.

``QUIRKS`` lists every quirk with its rate, the rows it is rolled for (``among``) and where it
shows. The generators never hard-code a rate: they ask ``QuirkDice.roll(name)``, which draws
from the seed's RNG and counts both the eligible rows and the hits, so a report (and the unit
tests) can check each quirk against its declared rate. The transforms below are small pure
functions named after the quirk they produce.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from zhongtai.legacy.clock import ZERO_DATE


@dataclass(frozen=True)
class Quirk:
    name: str
    rate: float  # probability per eligible row
    among: str  # which rows are rolled
    shows: str  # where and how it appears


# fmt: off
QUIRKS: dict[str, Quirk] = {q.name: q for q in (
    # name, rate, rolled among, where and how it shows
    Quirk("float_drift", 0.02, "orders",
          "t_order.total_amount is ±0.01 off items + fees − discounts"),
    Quirk("float_sum", 0.05, "orders",
          "t_order.original_amount summed as floats, e.g. 42.00000000000001"),
    Quirk("masked_phone", 0.25, "Meituan orders",
          "t_order.recipient_phone masked, 138****8000"),
    Quirk("privacy_phone", 0.4, "Meituan/Eleme orders not masked",
          "t_order.recipient_phone privacy number 18449039731_7333 or Eleme '…,7333'"),
    Quirk("privacy_remark", 0.5, "Meituan orders with a privacy number",
          "t_order.remark carries '收餐人隐私号…' text"),
    Quirk("platform_id_above_2_53", 0.7, "Meituan/Eleme/Baidu orders",
          "t_order.channel_order_id above 2^53 (breaks JavaScript numbers)"),
    Quirk("repush_duplicate", 0.004, "Meituan/Eleme orders older than 45 days",
          "a second t_order row with the same channel_order_id and no t_push_log"),
    Quirk("dead_channel", 0.01, "orders older than 60 days",
          "t_order.channel = 5 (Baidu, retired)"),
    Quirk("unmapped_item", 0.03, "Meituan/Eleme orders",
          "an extra t_order_item with sku_id NULL (channel code never mapped)"),
    Quirk("deleted_sku_ref", 0.01, "order lines",
          "t_order_item.sku_id points at a soft-deleted t_product_sku"),
    Quirk("gift_line", 0.02, "orders",
          "a gift t_order_item with price 0 or negative"),
    Quirk("asap_expect_time", 0.88, "Meituan/Eleme orders",
          "t_order.expect_time = 0 meaning 'as soon as possible', not 1970"),
    Quirk("zero_date", 0.3, "empty pos_pull_time, pos_ack_time, t_refund.finish_time",
          "'0000-00-00 00:00:00' instead of NULL"),
    Quirk("update_before_create", 0.005, "orders",
          "t_order.update_time written in UTC, 8 hours before create_time"),
    Quirk("inconsistent_status", 0.005, "completed orders",
          "status 5 with pay_status 0, or refund_status 5 on a completed order"),
    Quirk("urlencoded_ext_json", 0.2, "Meituan orders",
          "t_order.ext_json URL-encoded instead of JSON"),
    Quirk("stale_store_name", 0.2, "stores",
          "store renamed; older orders carry the old t_order.store_name"),
    Quirk("geo_swapped", 0.03, "stores and delivery orders",
          "lat and lng swapped"),
    Quirk("store_phone_format", 0.5, "stores",
          "t_store.phone as a landline, with spaces, or two numbers"),
    Quirk("masked_member_phone", 0.02, "members with a phone",
          "t_member.mobile masked 138****8000 by an old privacy clean-up"),
    Quirk("member_phone_format", 0.35, "members with a phone not masked",
          "t_member.mobile as +86 138-0013-8000, 86-13800138000, 138 0013 8000"),
    Quirk("duplicate_person", 0.04, "members",
          "one person as an openid-only row and a phone-only row"),
    Quirk("emoji_lost", 0.5, "members whose nickname had an emoji",
          "t_member.nickname emoji stored as ????"),
    Quirk("birthday_format", 0.4, "members with a birthday",
          "t_member.birthday as 1990/5/12, 19900512, 05-12 or 0000-00-00"),
    Quirk("stale_category_name", 0.1, "products",
          "t_product.category_name still the category's old name"),
    Quirk("soft_deleted_duplicate", 0.05, "products",
          "a soft-deleted t_product row with the same erp_code (unique key broken)"),
)}
# fmt: on


class QuirkDice:
    """Rolls declared quirks with the seed's RNG and counts eligible rows and hits."""

    def __init__(self, rng: random.Random) -> None:
        self._random = rng.random
        self._rates = {name: q.rate for name, q in QUIRKS.items()}
        self.eligible: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()

    def roll(self, name: str) -> bool:
        """True when quirk ``name`` applies to the current row (at its declared rate)."""
        self.eligible[name] += 1
        if self._random() < self._rates[name]:
            self.hits[name] += 1
            return True
        return False


# --- money -----------------------------------------------------------------------------------


def drift_fen(rng: random.Random, fen: int) -> int:
    """A total one fen off, as left by the legacy's float arithmetic."""
    return fen + (1 if rng.random() < 0.5 else -1) if fen > 1 else fen + 1


def float_sum(fens: list[int]) -> float:
    """Yuan summed as floats without rounding: the way the legacy computed original_amount."""
    total = 0.0
    for fen in fens:
        total += fen / 100
    return total


# --- phones ----------------------------------------------------------------------------------


def mobile(rng: random.Random) -> str:
    """A plausible 11-digit mainland mobile number."""
    return f"1{'3578'[int(rng.random() * 4)]}{int(rng.random() * 1e9):09d}"


def mask_phone(digits: str) -> str:
    """Meituan's masked form, 138****8000."""
    return f"{digits[:3]}****{digits[-4:]}"


def privacy_phone(rng: random.Random, eleme: bool) -> str:
    """A virtual number with extension: Meituan ``1844…_7333``, Eleme phoneList ``1844…,7333``."""
    virtual = f"1{'78'[int(rng.random() * 2)]}{int(rng.random() * 1e9):09d}"
    ext = f"{int(rng.random() * 10_000):04d}"
    return f"{virtual},{ext}" if eleme else f"{virtual}_{ext}"


def odd_mobile(rng: random.Random, digits: str) -> str:
    """The same mobile in one of the formats old sign-up forms let through."""
    a, b, c = digits[:3], digits[3:7], digits[7:]
    forms = (f"+86 {a}-{b}-{c}", f"86-{digits}", f"{a} {b} {c}", f"+86{digits}", f"{digits} ")
    return forms[int(rng.random() * len(forms))]


def odd_store_phone(rng: random.Random, area: str, digits: str) -> str:
    """A store phone as a landline, with spaces, or two numbers in one field."""
    line = f"{area}-{int(rng.random() * 9e7) + 10_000_000}"
    forms = (line, f"{line},{digits}", f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"{line}转8")
    return forms[int(rng.random() * len(forms))]


# --- text, ids, time -------------------------------------------------------------------------


def lose_emoji(text: str) -> str:
    """What utf8 (3-byte) columns did to 4-byte characters: each becomes ????."""
    return "".join("????" if ord(ch) > 0xFFFF else ch for ch in text)


def privacy_remark(remark: str, phone: str) -> str:
    """Meituan's caution with the privacy-number notice appended."""
    digits = phone.split("_")[0]
    notice = f"收餐人隐私号 {phone}，手机号 {mask_phone(digits)}"
    return f"{remark} {notice}".strip()


def id_above_2_53(rng: random.Random) -> str:
    """A platform order id that a JavaScript double cannot hold exactly."""
    return str(2**53 + 1 + int(rng.random() * 4e18))


def odd_birthday(rng: random.Random, year: int, month: int, day: int) -> str:
    """A birthday in one of the formats the VARCHAR column collected."""
    forms = (
        f"{year}/{month}/{day}",
        f"{year}{month:02d}{day:02d}",
        f"{month:02d}-{day:02d}",
        "0000-00-00",
        f"{year}-{month}-{day} 00:00:00",
    )
    return forms[int(rng.random() * len(forms))]


def urlencode_json(text: str) -> str:
    """A payload stored still URL-encoded, as some push handlers wrote it."""
    return quote(text, safe="")


ZERO = ZERO_DATE
UTC_SKEW_SECONDS = 8 * 3600  # a batch job that wrote update_time in UTC
