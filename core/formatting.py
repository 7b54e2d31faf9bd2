"""One formatting layer for what staff and customers read: money, numbers, percentages, dates.

Everything follows the active language (Bahasa Indonesia by default, English available) through
Babel's CLDR data, so a page never mixes "282496", "282.496" and "282,496":

    money(282_496)            id: "Rp 282.496"     en: "IDR 282,496"
    number(1_234_567)         id: "1.234.567"      en: "1,234,567"
    percent(Decimal("12.5"))  id: "12,5%"          en: "12.5%"

Amounts are whole rupiah (no sen is ever shown). `percent` takes percentage points (12.5 means
12.5%), as the models store them. Dates are Django's `date` filter with the project's format
module (oms/formats/<lang>/formats.py), shown in Asia/Jakarta; `date_short` / `datetime_short`
here give the same text from Python.

Templates use the filters in core/templatetags/oms.py: `|rupiah`, `|number`, `|percent`.
`core.money.format_idr` stays the fixed Indonesian form for documents whose language is not the
reader's (PDF labels, bank statements).
"""

from __future__ import annotations

import datetime as dt
import decimal as decimal_module
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal, format_percent
from django.utils import formats, timezone, translation

# Whole rupiah, the symbol before the amount with a space; a minus sign before the symbol.
MONEY_PATTERN = "¤ #,##0;-¤ #,##0"
_BABEL_LOCALES = {"id": "id_ID", "en": "en"}


def babel_locale(language: str | None = None) -> str:
    """The Babel locale of a Django language code (the active one when None)."""
    code = (language or translation.get_language() or "id").split("-")[0].lower()
    return _BABEL_LOCALES.get(code, "id_ID")


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def money(amount, *, language: str | None = None) -> str:
    """Whole rupiah in the reader's language: "Rp 282.496" (id), "IDR 282,496" (en); "-" when empty."""
    value = _as_decimal(amount)
    if value is None:
        return "-" if amount in (None, "") else str(amount)
    return format_currency(value, "IDR", format=MONEY_PATTERN, locale=babel_locale(language),
                           currency_digits=False)


def number(value, *, places: int | None = None, language: str | None = None) -> str:
    """A count or quantity with the language's grouping: "1.234.567" (id), "1,234,567" (en).

    `places` fixes the decimals; by default up to 2 are shown, none when the value is whole.
    """
    decimal = _as_decimal(value)
    if decimal is None:
        return "-" if value in (None, "") else str(value)
    with _half_up():
        return format_decimal(decimal, format=_number_pattern(places), locale=babel_locale(language))


def _number_pattern(places: int | None) -> str:
    if places is None:
        return "#,##0.##"
    return "#,##0" + ("." + "0" * places if places > 0 else "")


def percent(value, *, places: int = 1, language: str | None = None) -> str:
    """Percentage points as text: 12.5 -> "12,5%" (id), "12.5%" (en); trailing zeros dropped."""
    decimal = _as_decimal(value)
    if decimal is None:
        return "-" if value in (None, "") else str(value)
    pattern = "#,##0" + ("." + "#" * places if places > 0 else "") + "%"
    with _half_up():
        return format_percent(decimal / 100, format=pattern, locale=babel_locale(language))


def _half_up():
    """Round the shown digits half up, like core.money (Babel follows the decimal context)."""
    return decimal_module.localcontext(rounding=decimal_module.ROUND_HALF_UP)


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def date_short(value: dt.date | dt.datetime | None) -> str:
    """The project's date form in the active language ("3 Des 2026" / "3 Dec 2026")."""
    if value is None:
        return "-"
    return formats.date_format(_local(value), "DATE_FORMAT")


def datetime_short(value: dt.datetime | None) -> str:
    """Date and time in Asia/Jakarta in the active language ("3 Des 2026 14:05")."""
    if value is None:
        return "-"
    return formats.date_format(_local(value), "DATETIME_FORMAT")
