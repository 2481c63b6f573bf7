"""The one rounding of every figure: half up, as a person rounds, not the banker's rounding of `round`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def arrondi(value: float | Fraction | Decimal, decimals: int) -> float:
    """Round half up to `decimals` digits (1.25 → 1.3), from the exact value when it is a Fraction."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, Decimal):
        exact = value
    else:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
