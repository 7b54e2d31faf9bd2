"""Celery tasks of payments: take ids, load fresh rows, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def order_payment_sync_task(self, order_id: int) -> str:
    """One order forward. Nothing queues it now (a payment change queues the batch task, a batch of
    one); kept so messages queued by a node of the previous release still run during a deploy."""
    from payments.services.order_sync import order_payment_sync

    return order_payment_sync(order_id=order_id)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def order_payment_sync_batch_task(self, order_ids: list[int]) -> int:
    """Move many orders forward after a statement import: one task and one batch write per chunk.

    Returns how many of the orders are now covered by their payments (paid or overpaid)."""
    from payments.services.order_sync import orders_payment_sync_many

    states = orders_payment_sync_many(order_ids=order_ids)
    return sum(1 for state in states.values() if state in ("paid", "overpaid"))


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
    from payments.services.order_sync import expire_overdue

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
