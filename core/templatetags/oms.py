from django import template

from core.money import format_idr

register = template.Library()


@register.filter
def rupiah(value) -> str:
    """Format whole rupiah: {{ order.total_amount|rupiah }} -> Rp 1.250.000."""
    if value in (None, ""):
        return "-"
    try:
        return format_idr(int(value))
    except (TypeError, ValueError):
        return str(value)


@register.filter
def amount_input(value) -> str:
    """A whole-rupiah amount as it goes back into a money text box (read again by core.money.parse_idr)."""
    from core.forms import MoneyField

    try:
        return MoneyField().prepare_value(int(value))
    except (TypeError, ValueError):
        return ""
