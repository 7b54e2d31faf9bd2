"""Rupiah helpers. Amounts are whole rupiah in integers; rounding happens here and only here.

Typed amounts are read by one parser, `parse_idr`, used by every form field (core.forms.MoneyField),
API field (core.serializers.MoneyField), admin input and import: it accepts the ways people write
rupiah ("89.000", "89000", "Rp 89.000", "Rp89.000,00", "89,000.00", "Rp 89.000,-") and refuses
anything it cannot read one way only, with a message. It never reads "89.000" as 89.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

# The largest amount any field takes unless it says otherwise: Rp 1 triliun. Far above any order
# or price an online shop sees, far below what a BigIntegerField holds.
MAX_AMOUNT = 10**12
# Longest text read as an amount ("Rp 1.000.000.000.000,00" is 23 characters).
MAX_AMOUNT_TEXT = 40


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


# --- Reading typed amounts --------------------------------------------------------------------


class AmountError(ValueError):
    """A typed amount that cannot be read one way only; `message` says why (translated)."""

    MESSAGES = {
        "invalid": _("Enter an amount in rupiah, for example 89.000 or Rp 89.000."),
        "grouping": _("%(value)s: group thousands by three digits, for example 1.250.000."),
        "fraction": _("%(value)s is not a whole rupiah amount; leave out the sen, for example 89.000."),
        "ambiguous": _("%(value)s can be read two ways. Write whole rupiah without a decimal part, "
                       "for example 89.000."),
        "negative": _("The amount cannot be negative."),
        "min_value": _("The amount must be at least %(limit)s."),
        "max_value": _("The amount can be at most %(limit)s."),
    }

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code, params)

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.code]) % self.params if self.params else str(self.MESSAGES[self.code])

    def __str__(self) -> str:
        return self.message


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_CURRENCY_BEFORE = re.compile(r"^(?:rp|idr)\.?", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"(?:rp|idr|rupiah)\.?$", re.IGNORECASE)
_NUMBER = re.compile(r"[0-9][0-9.,]*")


def _grouped(text: str, sep: str) -> bool:
    """`1.250.000` with sep '.': a 1-3 digit head and groups of exactly three digits."""
    return re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(sep)}[0-9]{{3}})+", text) is not None


def _split_number(text: str, shown: str, *, short_decimals: bool) -> tuple[str, str]:
    """(whole digits, fraction digits) of a number written with '.' and/or ',' separators.

    `short_decimals` reads "89.50" as 89 and a half (bank statements); else it is refused as
    ambiguous, since a person typing "89.50" may have meant 89.500.
    """
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        head, _sep, fraction = text.rpartition(decimal_sep)
        if text.count(decimal_sep) > 1 or not 1 <= len(fraction) <= 2 or not fraction.isdigit():
            raise AmountError("invalid")
        if not _grouped(head, thousands):
            raise AmountError("grouping", value=shown)
        return head.replace(thousands, ""), fraction
    if dots or commas:
        sep = "." if dots else ","
        if dots + commas > 1:
            if not _grouped(text, sep):
                raise AmountError("grouping", value=shown)
            return text.replace(sep, ""), ""
        head, _sep, tail = text.partition(sep)
        if not head:
            raise AmountError("invalid")
        if len(tail) == 3:
            if len(head) > 3:
                raise AmountError("grouping", value=shown)
            return head + tail, ""
        if 1 <= len(tail) <= 2:
            # "150000.00" from a spreadsheet is plainly a decimal; "89.00" may be a mistyped 89.000.
            if len(head) <= 3 and not short_decimals:
                raise AmountError("ambiguous", value=shown)
            return head, tail
        raise AmountError("grouping", value=shown)
    return text, ""


def parse_idr(
    value,
    *,
    min_amount: int | None = 0,
    max_amount: int | None = MAX_AMOUNT,
    fractions: str = "refuse",
) -> int:
    """Whole rupiah from what a person typed or a file holds; raises AmountError with a message.

    Accepts ints, Decimals and floats (spreadsheet cells) and text: an optional "Rp"/"IDR" sign, an
    optional minus, thousands grouped by "." or "," (or spaces), an optional decimal part after the
    last separator ("89.000,00", "89,000.00", "150000.00") and the Indonesian ",-" ending.
    A decimal part that is not zero is refused (`fractions="refuse"`, for typed input) or rounded
    once, half up (`fractions="round"`, for bank statements that carry sen).
    `min_amount` / `max_amount` bound the result (None: unbounded); the default refuses negatives.
    """
    if value is None or isinstance(value, bool):
        raise AmountError("invalid")
    shown = str(value).strip()[:MAX_AMOUNT_TEXT]
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise AmountError("invalid") from None
        if not number.is_finite():
            raise AmountError("invalid")
    else:
        number = _parse_text(str(value), short_decimals=fractions == "round")
    if number != number.to_integral_value():
        if fractions != "round":
            raise AmountError("fraction", value=shown)
        amount = round_idr(number)
    else:
        amount = int(number)
    if min_amount is not None and amount < min_amount:
        if min_amount == 0:
            raise AmountError("negative")
        raise AmountError("min_value", limit=format_idr(min_amount))
    if max_amount is not None and amount > max_amount:
        raise AmountError("max_value", limit=format_idr(max_amount))
    return amount


def _parse_text(text: str, *, short_decimals: bool) -> Decimal:
    if len(text) > MAX_AMOUNT_TEXT:
        raise AmountError("invalid")
    shown = text.strip()
    text = _SPACES.sub(" ", text).strip()
    negative = False
    for _round in range(2):  # "-Rp 5.000" and "Rp -5.000" both
        if text[:1] in ("-", "\u2212"):
            negative, text = True, text[1:].lstrip()
        text = _CURRENCY_BEFORE.sub("", text).lstrip()
    text = _CURRENCY_AFTER.sub("", text).rstrip()
    if text.endswith((",-", ".-")):
        text = text[:-2]
    if " " in text:
        # Spaces may only group thousands: "1 250 000".
        if not re.fullmatch(r"[0-9]{1,3}(?: [0-9]{3})+(?:[.,][0-9]{1,2})?", text):
            raise AmountError("grouping" if re.fullmatch(r"[0-9 ]+", text) else "invalid", value=shown)
        text = text.replace(" ", "")
    if not text or not text.isascii() or _NUMBER.fullmatch(text) is None:
        raise AmountError("invalid")
    whole, decimals = _split_number(text, shown, short_decimals=short_decimals)
    number = Decimal(f"{whole}.{decimals or 0}")
    return -number if negative else number
