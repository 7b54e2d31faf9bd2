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
