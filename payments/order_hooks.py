"""Answers the payments app gives the orders app about one order (registered in PaymentsConfig.ready)."""

from __future__ import annotations

from orders.hooks import AmountDue
from payments.models import Payment, PaymentStatus


def order_amount_due(order_id: int) -> AmountDue | None:
    """The order's latest payment as the buyer must pay it: base amount plus kode unik.

    One query; None when the order has no payment (a marketplace order, or none opened yet).
    """
    payment = (
        Payment.objects.filter(order_id=order_id)
        .only("method", "status", "amount", "base_amount", "unique_code")
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is None:
        return None
    return AmountDue(
        amount=payment.amount,
        base_amount=payment.base_amount,
        unique_code=payment.unique_code,
        method_label=str(payment.get_method_display()),
        is_open=payment.status == PaymentStatus.PENDING,
    )
