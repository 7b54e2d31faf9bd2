"""The order's side of payments: move orders forward when their payments cover them, and
expire the unpaid ones past their window (Celery beat)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from core.money import format_idr
from payments.models import GATEWAY_METHODS, Payment, PaymentMethod, PaymentStatus
from payments.services.transitions import payments_expire_many

logger = logging.getLogger(__name__)


def order_payment_sync(*, order_id: int) -> str:
    """Move the order forward when its payments cover it; a batch of one of orders_payment_sync_many.

    Returns the derived payment state. Idempotent: called after every payment change.
    """
    return orders_payment_sync_many(order_ids=[order_id])[order_id]


def orders_payment_sync_many(*, order_ids) -> dict[int, str]:
    """Move every order whose payments cover it from awaiting payment to paid: summaries in a
    constant number of queries, one orders_mark_paid_many. Returns each order's payment state."""
    from orders.models import Order, OrderStatus
    from orders.services import orders_mark_paid_many
    from payments.selectors import order_payment_summaries

    summaries = order_payment_summaries(order_ids=order_ids)
    covered = [pk for pk, summary in summaries.items() if summary["state"] in ("paid", "overpaid")]
    waiting = Order.objects.filter(pk__in=covered, status=OrderStatus.AWAITING_PAYMENT).values_list("pk", flat=True)
    notes = {pk: f"Payments received: {format_idr(summaries[pk]['received'])}" for pk in waiting}
    if notes:
        orders_mark_paid_many(order_ids=list(notes), actor=None, source="payments", notes=notes)
    return {pk: summary["state"] for pk, summary in summaries.items()}


def overdue_orders_queryset(now: datetime | None = None, *, include_partial: bool = False):
    """Orders still awaiting a transfer/gateway payment whose window has passed, nothing received.

    `include_partial` also lists those that received part of the money (Finance chases them;
    they are never expired automatically)."""
    from django.db.models import Exists, OuterRef, Q

    from orders.models import Order, OrderStatus

    now = now or timezone.now()
    expired_open = Payment.objects.filter(
        order_id=OuterRef("pk"), status=PaymentStatus.PENDING, expires_at__lt=now,
        method__in=[PaymentMethod.BANK_TRANSFER, *GATEWAY_METHODS],
    )
    blocking = Q(method__in=[PaymentMethod.COD, PaymentMethod.MARKETPLACE]) | Q(status=PaymentStatus.NEEDS_REVIEW)
    if not include_partial:
        blocking |= Q(received_amount__gt=0)
    money_or_cod = Payment.objects.filter(order_id=OuterRef("pk")).filter(blocking)
    return (
        Order.objects.filter(status=OrderStatus.AWAITING_PAYMENT)
        .filter(Q(Exists(expired_open)) | Q(payment_due_at__lt=now, payments__isnull=True))
        .exclude(Exists(money_or_cod))
        .distinct()
    )


def expire_overdue(*, limit: int = 500) -> int:
    """Expire payments and orders past their window (Celery beat). Returns orders expired."""
    from orders import services as order_services

    done = 0
    for order_id in list(overdue_orders_queryset().values_list("pk", flat=True)[:limit]):
        try:
            with transaction.atomic():
                payments_expire_many(payment_ids=Payment.objects.filter(
                    order_id=order_id, status=PaymentStatus.PENDING, received_amount=0).values_list("pk", flat=True))
                order_services.order_expire(order_id=order_id, actor=None, source="system",
                                            note="Payment window passed")
            done += 1
        except DomainError as exc:
            logger.warning("could not expire order %s: %s", order_id, exc)
    return done
