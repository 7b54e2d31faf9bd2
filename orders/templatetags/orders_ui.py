"""Template helpers of the orders dashboard and the customer page: `{% load orders_ui %}`."""

from django import template

from orders.exports import payment_method_label
from orders.models import OrderStatus

register = template.Library()

_STATUS_COLOURS = {
    OrderStatus.AWAITING_PAYMENT: "warning",
    OrderStatus.PAID: "info",
    OrderStatus.PROCESSING: "primary",
    OrderStatus.PACKED: "primary",
    OrderStatus.SHIPPED: "success",
    OrderStatus.DELIVERED: "success",
    OrderStatus.COMPLETED: "secondary",
    OrderStatus.CANCELLED: "danger",
}


@register.filter
def status_colour(status: str) -> str:
    """Bootstrap colour name for an order status badge."""
    return _STATUS_COLOURS.get(status, "secondary")


@register.filter
def status_label(status: str) -> str:
    try:
        return str(OrderStatus(status).label)
    except ValueError:
        return status or ""


@register.filter
def payment_label(value: str) -> str:
    return payment_method_label(value) if value else "-"
