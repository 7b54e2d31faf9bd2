"""Orders background jobs."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def orders_expire_sweep(self) -> int:
    """Cancel every unpaid order past its payment deadline (beat: every few minutes)."""
    from orders.selectors import orders_due_for_expiry
    from orders.services import order_expire

    expired = 0
    for order_id in orders_due_for_expiry():
        order = order_expire(order_id=order_id, source="system")
        expired += order.status == "cancelled"
    if expired:
        logger.info("expired %s unpaid orders", expired)
    return expired


@shared_task(bind=True, autoretry_for=(OperationalError,))
def idempotency_keys_purge(self) -> int:
    """Forget Idempotency-Keys older than a week (orders.services.idempotency)."""
    from orders.services.idempotency import idempotency_keys_purge as purge

    return purge()
