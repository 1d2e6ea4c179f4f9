"""Money, one way for every face: integer cents inside, dollar strings at the edges.

``cents("0.25")`` is how the CLI's ``--amount``, the panels' dollar fields and a provider's
answer all become cents; a float never meets a multiplication (``0.29 * 100`` is 28.999…).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..errors import ValidationError

#: The largest single amount any face accepts: $10,000.00.
MAX_CENTS = 1_000_000


def dollars(amount_cents: int) -> str:
    """Cents as a dollar string with two decimals: 125 -> '1.25' (what MTurk's API takes)."""
    return f"{Decimal(int(amount_cents)) / 100:.2f}"


def display(amount_cents: int | None) -> str:
    """Cents for people: 123456 -> '$1,234.56' ('' for None)."""
    return "" if amount_cents is None else f"${Decimal(int(amount_cents)) / 100:,.2f}"


def cents(amount: Any) -> int:
    """A provider's dollar amount ('1.25', Decimal) as cents, rounded half up."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse(value: Any, field: str, *, allow_zero: bool = False) -> int:
    """What a person typed ('0.25', '$1', 0.3) as cents; refuses fractions of a cent, negatives and junk."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(field, "must be a dollar amount like 0.25")
    text = str(value).strip().removeprefix("$").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(field, f"{str(value)[:40]!r} is not a dollar amount like 0.25") from None
    if not amount.is_finite():
        raise ValidationError(field, "must be a finite dollar amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(field, "must have at most two decimals (whole cents)")
    result = int(amount * 100)
    if result < (0 if allow_zero else 1) or result > MAX_CENTS:
        low = "0.00" if allow_zero else "0.01"
        raise ValidationError(field, f"must be from ${low} to ${dollars(MAX_CENTS)}")
    return result


def check_cents(value: Any, field: str = "amount_cents") -> int:
    """An amount already in cents (REST, Python): a whole number from 1 to MAX_CENTS."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CENTS:
        raise ValidationError(field, f"must be a whole number of cents from 1 to {MAX_CENTS}")
    return value
