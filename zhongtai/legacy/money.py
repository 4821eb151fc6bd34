"""Money as the legacy handles it (pure): float yuan in orders, integer fen in payments and POS.

Rounding rule, used everywhere a yuan amount becomes fen: take the float's shortest decimal
form (``repr``), round it half-up to 2 decimals (ties away from zero), then multiply by 100.
So ``2.675`` yuan is 268 fen, although the binary double is slightly below 2.675.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def round_yuan(amount: float | int | Decimal | None) -> float | None:
    """Round a yuan amount to 2 decimals the way the legacy code does (Python ``round``)."""
    if amount is None:
        return None
    return round(float(amount), 2)


def yuan_to_fen(amount: float | int | Decimal | None) -> int:
    """Integer fen for a yuan amount, rounded half-up on the 2-decimal yuan; None is 0."""
    if amount is None:
        return 0
    exact = amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))
    return int(exact.quantize(_CENT, rounding=ROUND_HALF_UP) * 100)


def fen_to_yuan(fen: int | None) -> float | None:
    """Float yuan for an integer fen amount (exact to 2 decimals)."""
    if fen is None:
        return None
    return float(Decimal(int(fen)) / 100)


def as_float(value: float | int | Decimal | None) -> float | None:
    """A database money value (DOUBLE or DECIMAL) as the float the JSON carries."""
    return None if value is None else float(value)
