"""Display filters: {% load oms %}, then `|rupiah`, `|number`, `|percent` (core.formatting does the work,
in the active language). Dates: Django's `|date` (formats in oms/formats/)."""

from django import template

from core import formatting

register = template.Library()


@register.filter
def rupiah(value) -> str:
    """Whole rupiah: {{ order.total_amount|rupiah }} -> "Rp 1.250.000" (id), "IDR 1,250,000" (en)."""
    return formatting.money(value)


@register.filter
def number(value, places=None) -> str:
    """A count or quantity with grouping: {{ n|number }} -> "1.234" (id), "1,234" (en); `|number:2` fixes decimals."""
    try:
        places = None if places in (None, "") else int(places)
    except (TypeError, ValueError):
        places = None
    return formatting.number(value, places=places)


@register.filter
def percent(value, places=1) -> str:
    """Percentage points: {{ 12.5|percent }} -> "12,5%" (id), "12.5%" (en)."""
    try:
        places = int(places)
    except (TypeError, ValueError):
        places = 1
    return formatting.percent(value, places=places)


@register.filter
def amount_input(value) -> str:
    """A whole-rupiah amount as it goes back into a money text box (read again by core.money.parse_idr)."""
    from core.forms import MoneyField

    try:
        return MoneyField().prepare_value(int(value))
    except (TypeError, ValueError):
        return ""
