"""Money conservation for one order, in integer fen (pure).

The invariants of domain.md §3.5, enforced exactly on the center's own figures:

* every line: ``qty × unit_price = line_total``;
* ``goods_amount = Σ line_total``;
* every discount: ``merchant_part + platform_part = amount``;
* ``discount_amount = Σ amount``, ``merchant_subsidy = Σ merchant_part``,
  ``platform_subsidy = Σ platform_part``;
* ``goods_amount + package_fee + delivery_fee − discount_amount = paid_amount``.

A channel whose float yuan figures drift by a fen does not break the rule: the caller records
the drift as a discount line of kind ``ROUNDING`` (the only kind allowed to be negative, and
bounded), so the difference is classified in the data rather than hidden. ``service_fee`` and
``merchant_income`` are settlement figures the channel computes; they are stored, not derived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zhongtai.platform.errors import InvalidInput

ROUNDING = "ROUNDING"
# A difference larger than this is a missing line or a wrong figure, not float drift.
ROUNDING_LIMIT_FEN = 100


class MoneyError(InvalidInput):
    """Figures that break money conservation; ``details`` names each figure involved."""

    def __init__(self, message: str, **details: int) -> None:
        super().__init__(
            message,
            code="MONEY_NOT_CONSERVED",
            hint="amounts are integer fen; see the order center's money rules",
            details=details,
        )


def fen(name: str, value: object, *, allow_negative: bool = False) -> int:
    """``value`` as integer fen, or MoneyError saying why it is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(f"{name} must be an integer number of fen, got {value!r}")
    if value < 0 and not allow_negative:
        raise MoneyError(f"{name} must not be negative, got {value}")
    return value


@dataclass(frozen=True)
class Amounts:
    """An order's money figures in fen, all conserved against its lines and discounts."""

    goods_amount: int
    package_fee: int
    delivery_fee: int
    discount_amount: int
    merchant_subsidy: int
    platform_subsidy: int
    service_fee: int
    paid_amount: int
    merchant_income: int | None  # as the channel settles it; None when it said nothing

    def as_dict(self) -> dict[str, int | None]:
        return dict(vars(self))


def is_plain_fen(value: object) -> bool:
    """True for the common good case (a non-negative ``int``), which needs no message: the
    checks below format their figure's name for :func:`fen` only when it may be bad."""
    return type(value) is int and value >= 0


def check_line(line_no: int, qty: int, unit_price: int, line_total: int) -> None:
    if not is_plain_fen(unit_price):
        fen(f"line {line_no} unit_price", unit_price)
    if not is_plain_fen(line_total):
        fen(f"line {line_no} line_total", line_total)
    if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
        raise MoneyError(f"line {line_no} qty must be a positive integer, got {qty!r}")
    if qty * unit_price != line_total:
        raise MoneyError(
            f"line {line_no}: qty {qty} × unit_price {unit_price} = {qty * unit_price}, "
            f"but line_total is {line_total}; send the per-unit price actually charged",
            qty=qty,
            unit_price=unit_price,
            line_total=line_total,
        )


def check_discount(index: int, kind: str, amount: int, merchant_part: int, platform_part: int):
    rounding = kind == ROUNDING
    if rounding or not (
        is_plain_fen(amount) and is_plain_fen(merchant_part) and is_plain_fen(platform_part)
    ):
        fen(f"discount {index} amount", amount, allow_negative=rounding)
        fen(f"discount {index} merchant_part", merchant_part, allow_negative=rounding)
        fen(f"discount {index} platform_part", platform_part, allow_negative=rounding)
    if rounding and abs(amount) > ROUNDING_LIMIT_FEN:
        raise MoneyError(
            f"discount {index}: a ROUNDING line of {amount} fen exceeds ±{ROUNDING_LIMIT_FEN}; "
            "record the difference as a real discount or fee",
            amount=amount,
        )
    if merchant_part + platform_part != amount:
        raise MoneyError(
            f"discount {index} ({kind}): merchant_part {merchant_part} + platform_part "
            f"{platform_part} ≠ amount {amount}",
            amount=amount,
            merchant_part=merchant_part,
            platform_part=platform_part,
        )


def conserve(
    line_totals: Iterable[int],
    discounts: Iterable[tuple[int, int, int]],
    given: Mapping[str, int | None],
) -> Amounts:
    """Derive the omitted figures and check the given ones; MoneyError on any mismatch.

    ``discounts`` yields ``(amount, merchant_part, platform_part)``; ``given`` holds the
    caller's figures by name, ``None`` (or absent) meaning "derive it".
    """
    goods_amount = sum(line_totals)
    discount_amount = merchant_subsidy = platform_subsidy = 0
    for d in discounts:
        discount_amount += d[0]
        merchant_subsidy += d[1]
        platform_subsidy += d[2]
    derived = {
        "goods_amount": goods_amount,
        "discount_amount": discount_amount,
        "merchant_subsidy": merchant_subsidy,
        "platform_subsidy": platform_subsidy,
    }
    for name, value in derived.items():
        stated = given.get(name)
        if stated is not None and fen(name, stated, allow_negative=True) != value:
            raise MoneyError(
                f"{name} is {stated} fen but the order's lines add up to {value}",
                **{name: stated, f"expected_{name}": value},
            )
    fees = {}
    for name in ("package_fee", "delivery_fee", "service_fee"):
        value = given.get(name) or 0
        fees[name] = value if is_plain_fen(value) else fen(name, value)
    paid = (
        derived["goods_amount"]
        + fees["package_fee"]
        + fees["delivery_fee"]
        - derived["discount_amount"]
    )
    stated_paid = given.get("paid_amount")
    if stated_paid is not None and fen("paid_amount", stated_paid) != paid:
        raise MoneyError(
            f"paid_amount is {stated_paid} fen but goods {derived['goods_amount']} + package "
            f"{fees['package_fee']} + delivery {fees['delivery_fee']} − discounts "
            f"{derived['discount_amount']} = {paid}; add the missing discount or fee line "
            f"(a float drift of a fen or two goes in a {ROUNDING} discount)",
            paid_amount=stated_paid,
            expected_paid_amount=paid,
        )
    if paid < 0:
        raise MoneyError(f"discounts exceed the order value: paid amount would be {paid} fen")
    income = given.get("merchant_income")
    return Amounts(
        **derived,
        **fees,
        paid_amount=paid,
        merchant_income=None if income is None else fen("merchant_income", income),
    )
