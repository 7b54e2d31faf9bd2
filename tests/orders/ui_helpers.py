"""Helpers for the dashboard and customer-page tests: orders in a given status, through the services."""

from __future__ import annotations

from orders import services
from orders.models import Order, OrderStatus

# The service calls that walk an order forward from awaiting payment (bank transfer).
_STEPS = [
    (OrderStatus.PAID, lambda oid: services.order_mark_paid(order_id=oid)),
    (OrderStatus.PROCESSING, lambda oid: services.order_confirm(order_id=oid)),
    (OrderStatus.PACKED, lambda oid: services.order_mark_packed(order_id=oid)),
    (
        OrderStatus.SHIPPED,
        lambda oid: services.order_mark_shipped(order_id=oid, courier="JNE", tracking_number="JNE123456789"),
    ),
    (OrderStatus.DELIVERED, lambda oid: services.order_mark_delivered(order_id=oid)),
    (OrderStatus.COMPLETED, lambda oid: services.order_complete(order_id=oid)),
]


def advance(order: Order, status: str) -> Order:
    """Move a fresh awaiting-payment order to `status` through the real transition services."""
    if status == OrderStatus.CANCELLED:
        return services.order_cancel(order_id=order.pk, reason="Pembeli membatalkan")
    for target, step in _STEPS:
        if order.status == status:
            break
        order = step(order.pk)
        assert order.status == target
    assert order.status == status
    return order
