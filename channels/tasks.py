"""Celery tasks for channels: process a stored push, sweep stuck deliveries, pull sync."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from channels import selectors, services
from channels.adapters.base import TransientAdapterError
from core import inbox

PUSH_PROVIDERS = ("shopee", "tiktok", "lazada", "tokopedia")


@shared_task(
    bind=True, name="channels.tasks.delivery_process", autoretry_for=(TransientAdapterError,), max_retries=5
)
def delivery_process(self, delivery_id: int) -> str:
    return services.delivery_process(delivery_id=delivery_id, final_attempt=self.request.retries >= self.max_retries)


# A delivery still "received" after this long was never queued or its task was lost (a crash
# between storing and queueing, a broker outage). Long enough not to double-queue a backlog the
# workers are still draining, or a delivery waiting for its retry after a transient error.
SWEEP_RECEIVED_AFTER = timedelta(minutes=10)
SWEEP_CLAIMED_AFTER = timedelta(minutes=15)


@shared_task(name="channels.tasks.deliveries_sweep")
def deliveries_sweep() -> int:
    """Queue again the deliveries a crash left in "received" or "processing"."""
    ids = inbox.delivery_stale_ids(
        providers=PUSH_PROVIDERS, received_before=SWEEP_RECEIVED_AFTER, claimed_before=SWEEP_CLAIMED_AFTER
    )
    for delivery_id in ids:
        delivery_process.delay(delivery_id)
    return len(ids)


@shared_task(name="channels.tasks.channel_sync")
def channel_sync(channel_id: int) -> dict:
    result = services.channel_sync(channel_id=channel_id)
    return {"channel_id": result.channel_id, "skipped": result.skipped, "orders": result.orders, "error": result.error}


@shared_task(name="channels.tasks.channels_sync_all")
def channels_sync_all() -> int:
    """Fan out: one sync task per active marketplace channel."""
    ids = selectors.channel_syncable_ids()
    for channel_id in ids:
        channel_sync.delay(channel_id)
    return len(ids)
