"""Payments' hooks into the order lifecycle (registered in PaymentsConfig.ready()).

Order created: open the expected payment in the order's transaction. Status changed (batch; one
change is a batch of one): an order paid elsewhere books its open payment as paid, a cancelled
order's open payments expire.
"""

from __future__ import annotations

from django.db import transaction

from payments.models import GATEWAY_METHODS, Payment, PaymentMethod, PaymentStatus
from payments.services.opening import _payment_open, payment_method_for_order
from payments.services.transitions import payments_expire_many, payments_mark_paid_many


def on_order_created(order_id: int) -> None:
    """orders hook: open the expected payment inside the order's creating transaction (no savepoint:
    an error rolls the order back whole). Called twice for an order, the second call does nothing."""
    from orders.models import Order, OrderStatus
    from orders.services.create import order_in_creation

    order = order_in_creation(order_id) or Order.objects.select_related("channel").get(pk=order_id)
    if order.total_amount <= 0 or order.status == OrderStatus.CANCELLED:
        return
    if (order.payment_method or "").lower() == "cash" and not order.channel.is_marketplace:
        return  # paid in cash at the counter: nothing to collect later
    method = payment_method_for_order(order)
    if order.status != OrderStatus.AWAITING_PAYMENT and method not in (PaymentMethod.COD, PaymentMethod.MARKETPLACE):
        return  # already paid elsewhere (an offline sale): nothing to expect
    with transaction.atomic(savepoint=False):
        _payment_open(order=order, method=method, amount=None, actor=None, source="system", expires_at=None,
                      first=True)


def on_orders_status_changed(changes) -> None:
    """orders status-changed hook (batch). Cancelled: the open payments nothing was paid on expire
    (payments_expire_many). Paid by someone else than payments: the open transfer/gateway payment is
    recorded as received (payments_mark_paid_many). Marketplace and COD orders wait for their payout
    or remittance."""
    from django.db.models import Q

    from orders.models import OrderStatus

    paid = [c for c in changes if c.to_status == OrderStatus.PAID and c.source != "payments"]
    cancelled = [c for c in changes if c.to_status == OrderStatus.CANCELLED]
    if not paid and not cancelled:
        return
    wanted = Q(pk__in=[])
    if paid:
        wanted |= Q(order_id__in={c.order_id for c in paid}, method__in=[PaymentMethod.BANK_TRANSFER, *GATEWAY_METHODS])
    if cancelled:
        wanted |= Q(order_id__in={c.order_id for c in cancelled}, received_amount=0)
    found: dict[int, list[tuple[int, str, int]]] = {}
    for pk, order_id, method, received in (
        Payment.objects.filter(wanted, status=PaymentStatus.PENDING).order_by("pk")
        .values_list("pk", "order_id", "method", "received_amount")
    ):
        found.setdefault(order_id, []).append((pk, method, received))
    to_pay: dict[int, str] = {}  # payment id -> source; the first change concerning a payment decides
    to_expire: dict[int, None] = {}
    for change in changes:
        is_paid = change.to_status == OrderStatus.PAID and change.source != "payments"
        for payment_id, method, received in found.get(change.order_id, ()):
            if payment_id in to_pay or payment_id in to_expire:
                continue
            if is_paid and (method == PaymentMethod.BANK_TRANSFER or method in GATEWAY_METHODS):
                to_pay[payment_id] = change.source or "order"
            elif change.to_status == OrderStatus.CANCELLED and received == 0:
                to_expire[payment_id] = None
    if to_expire:
        payments_expire_many(payment_ids=list(to_expire), source="system", note="Order cancelled")
    if to_pay:
        payments_mark_paid_many(sources=to_pay, note="The order was marked paid")
