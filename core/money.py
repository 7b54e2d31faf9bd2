"""Rupiah helpers. Amounts are whole rupiah in integers; rounding happens here and only here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def round_idr(value: Decimal | int | str) -> int:
    """Round a rupiah value to a whole rupiah, half up (the way invoices are rounded)."""
    try:
        return int(Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"not an amount: {value!r}") from None


def percent_of(amount: int, percent: Decimal | int | str) -> int:
    """`percent`% of `amount`, rounded once."""
    return round_idr(Decimal(amount) * Decimal(percent) / Decimal(100))


def format_idr(amount: int | None) -> str:
    """`Rp 1.250.000`; negative amounts as `-Rp 1.250.000`."""
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(int(amount)):,}".replace(",", ".")


def ratio_percent(part: int | Decimal, whole: int | Decimal, *, places: int = 1) -> Decimal | None:
    """`part` as a percentage of `whole`, rounded once (half up) to `places` decimals; None when whole is 0."""
    if not whole:
        return None
    exponent = Decimal(1).scaleb(-places)
    return (Decimal(part) * Decimal(100) / Decimal(whole)).quantize(exponent, rounding=ROUND_HALF_UP)


def divide_idr(amount: int, count: int) -> int | None:
    """A rupiah amount shared by `count` (an average order value), rounded once; None when count is 0."""
    if not count:
        return None
    return round_idr(Decimal(amount) / Decimal(count))
