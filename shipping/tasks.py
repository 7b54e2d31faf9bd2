"""Celery tasks of shipping: take ids, load fresh rows, call a service."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)

POLL_BATCH = 200


@shared_task(bind=True, autoretry_for=(OperationalError,))
def shipments_mirror_task(self, order_ids: list[int]) -> int:
    from shipping.services.mirror import shipments_mirror_orders

    return shipments_mirror_orders(order_ids=order_ids)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def shipments_mirror_sweep_task(self) -> int:
    """Beat: orders whose resi no shipment holds yet (a missed hook, a resi without a status change)."""
    from shipping.services.mirror import orders_missing_shipment, shipments_mirror_orders

    return shipments_mirror_orders(order_ids=orders_missing_shipment())


@shared_task(bind=True, autoretry_for=(OperationalError,))
def shipping_delivery_process_task(self, delivery_id: int) -> str:
    from shipping.services.inbound import delivery_process

    return delivery_process(delivery_id=delivery_id)


@shared_task(bind=True, autoretry_for=(OperationalError,))
def shipping_deliveries_sweep_task(self) -> int:
    from core import inbox
    from shipping.services.inbound import PROVIDERS

    ids = inbox.delivery_stale_ids(providers=PROVIDERS)
    for delivery_id in ids:
        shipping_delivery_process_task.delay(delivery_id)
    return len(ids)


@shared_task(bind=True, max_retries=5)
def shipment_cancel_booking_task(self, shipment_id: int, reason: str) -> bool:
    from shipping.providers import ProviderError
    from shipping.services.bookings import shipment_cancel_booking

    try:
        return shipment_cancel_booking(shipment_id=shipment_id, reason=reason)
    except ProviderError as exc:
        if exc.transient:
            raise self.retry(exc=exc, countdown=min(60 * 2 ** self.request.retries, 3600)) from None
        raise


@shared_task(bind=True, autoretry_for=(OperationalError,))
def tracking_poll_task(self) -> dict:
    """Beat: poll every active aggregator account for shipments not updated within N hours."""
    from shipping.models import ShippingAccount
    from shipping.services.polling import tracking_poll_account

    done = {}
    for account_id in ShippingAccount.objects.filter(is_active=True).values_list("pk", flat=True):
        done[account_id] = tracking_poll_account(account_id=account_id, sleep=time.sleep).asked
    return done


@shared_task(bind=True, autoretry_for=(OperationalError,))
def orders_complete_sweep_task(self) -> int:
    from shipping.services.polling import orders_complete_delivered

    return orders_complete_delivered()


@shared_task(bind=True, autoretry_for=(OperationalError,))
def shipping_alerts_task(self) -> int:
    """Beat: tell the warehouse about late and at-risk parcels and exceptions (shipping.hooks)."""
    from shipping.services.alerts import alerts_send

    return alerts_send(now=timezone.now() - timedelta(seconds=0))
