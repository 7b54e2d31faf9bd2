"""Celery tasks of payments: take ids, load fresh rows, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from core.errors import DomainError

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def order_payment_sync_task(self, order_id: int) -> str:
    from payments.services.payments import order_payment_sync

    return order_payment_sync(order_id=order_id)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def order_payment_sync_batch_task(self, order_ids: list[int]) -> int:
    """Move many orders forward after a statement import: one task per batch, not per line."""
    from payments.services.payments import order_payment_sync

    done = 0
    for order_id in order_ids:
        try:
            order_payment_sync(order_id=order_id)
            done += 1
        except DomainError as exc:  # e.g. the order was cancelled meanwhile: Finance sees it in review
            logger.warning("order %s not moved forward: %s", order_id, exc)
    return done


@shared_task(bind=True, autoretry_for=(OperationalError,))
def statement_import_task(self, import_id: int) -> None:
    from payments.services.statements import statement_import_run

    statement_import_run(import_id=import_id)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def gateway_delivery_process_task(self, delivery_id: int) -> None:
    from payments.services.gateways import gateway_delivery_process

    gateway_delivery_process(delivery_id=delivery_id)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def expire_unpaid_orders_task(self) -> int:
    """Beat: unpaid orders past their payment window are expired (stock released)."""
    from payments.services.payments import expire_overdue

    return expire_overdue()


@shared_task(bind=True, autoretry_for=(OperationalError,))
def gateway_deliveries_sweep_task(self) -> int:
    """Beat: queue again gateway deliveries a crash left in received/processing."""
    from core import inbox
    from payments.services.gateways import MIDTRANS, XENDIT

    ids = inbox.delivery_stale_ids(providers=[MIDTRANS, XENDIT])
    for delivery_id in ids:
        gateway_delivery_process_task.delay(delivery_id)
    return len(ids)
