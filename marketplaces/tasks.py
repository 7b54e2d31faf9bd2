"""Celery tasks for marketplace channels.

Pushes: the intake stores each push and calls `delivery_schedule`, which queues one drain of the
channel unless one is already queued (a Redis SET NX marker); `deliveries_drain` processes the
channel's waiting pushes 50 at a time (100 while a backlog lasts), one transaction per batch, and
starts helper drains when a backlog builds up. Pushes
given back after a transient error are retried per channel with backoff (`deliveries_retry`);
`deliveries_sweep` re-queues anything a crash left behind; `delivery_process` handles one
delivery (sweep, staff retry). Pull sync: `channels_sync_all` fans out one `channel_sync` per
active marketplace channel.
"""

from __future__ import annotations

from celery import shared_task

from channels import selectors
from channels.adapters.base import TransientAdapterError
from core import inbox
from core.drain import Drain
from marketplaces import services

# The task names still say "channels.tasks": they are what a running system has queued and what
# beat sends, so they stay as they were when these tasks lived in channels/ (moving a task must
# not strand the messages already in the broker).

PUSH_PROVIDERS = ("shopee", "tiktok", "lazada", "tokopedia")


@shared_task(
    bind=True, name="channels.tasks.delivery_process", autoretry_for=(TransientAdapterError,), max_retries=5
)
def delivery_process(self, delivery_id: int) -> str:
    """One delivery (the sweep, a staff retry), with the waiting pushes of its channel."""
    from channels.models import Channel

    channel_id = Channel.objects.filter(deliveries__pk=delivery_id).values_list("pk", flat=True).first()
    return services.delivery_process(
        delivery_id=delivery_id, final_attempt=self.request.retries >= self.max_retries,
        on_release=(lambda attempts: retry_schedule(channel_id, attempts)) if channel_id else None,
    )


# Debounced drains (core.drain): while a channel's marker exists a drain of it is queued or
# running, so the intake queues no other (one Redis SET NX per push instead of one task per push).
# Pushes given back after a transient error are drained again by deliveries_retry after a backoff
# (30 s, 1, 2, 4... up to 10 min), one delayed drain per channel at a time.
DRAIN_KEY = "channels:drain:{channel_id}"
PUSH_DRAIN = Drain(key="channels:drain", task=lambda: deliveries_drain, marker_ttl=120)
PUSH_RETRY = Drain(key="channels:retry", task=lambda: deliveries_retry)
# Drains of one channel running side by side when a backlog builds up (slot 0 is the intake's).
DRAIN_SLOTS = 3


def _scope(channel_id: int, slot: int = 0) -> str:
    return f"{channel_id}:{slot}" if slot else str(channel_id)


def retry_schedule(channel_id: int, attempts: int) -> None:
    """Pushes given back after a transient error are tried again after 30 s, 1, 2, 4... up to 10 min."""
    PUSH_RETRY.retry_later(channel_id, scope=channel_id, attempts=attempts)


@shared_task(name="channels.tasks.deliveries_retry")
def deliveries_retry(channel_id: int) -> int:
    PUSH_RETRY.retry_taken(scope=channel_id)
    handled, more = services.deliveries_drain(
        channel_id=channel_id, retry=True, on_release=lambda attempts: retry_schedule(channel_id, attempts)
    )
    if more:
        deliveries_retry.delay(channel_id)
    return handled


def delivery_schedule(delivery) -> None:
    """Intake hook (after commit): make sure a drain of the delivery's channel is on its way."""
    PUSH_DRAIN.wake(delivery.channel_id, scope=_scope(delivery.channel_id))


def _helper_slot_start(channel_id: int) -> None:
    for slot in range(1, DRAIN_SLOTS):
        if PUSH_DRAIN.wake(channel_id, slot, scope=_scope(channel_id, slot)):
            return


@shared_task(bind=True, name="channels.tasks.deliveries_drain")
def deliveries_drain(self, channel_id: int, slot: int = 0) -> int:
    """Process a channel's waiting pushes. A drain that fails as a whole drops its marker and is
    queued again with backoff (core.drain); the pushes it had claimed go back through the sweep."""
    scope = _scope(channel_id, slot)
    try:
        handled, more = services.deliveries_drain(
            channel_id=channel_id,
            on_idle=lambda: PUSH_DRAIN.idle(scope=scope),
            on_backlog=(lambda: _helper_slot_start(channel_id)) if slot == 0 else None,
            on_release=lambda attempts: retry_schedule(channel_id, attempts),
        )
    except Exception:
        PUSH_DRAIN.idle(scope=scope)
        PUSH_DRAIN.failed(channel_id, slot, scope=scope)
        raise
    PUSH_DRAIN.succeeded(scope=scope)
    if more:  # a long backlog: continue in a fresh task so one task never runs for ever
        deliveries_drain.delay(channel_id, slot)
    return handled


@shared_task(name="channels.tasks.deliveries_sweep")
def deliveries_sweep() -> int:
    """Queue again the deliveries a crash left in "received" or "processing"."""
    # Bounds in core.inbox (SWEEP_*): stranded pushes are queued again within two minutes.
    ids = inbox.delivery_stale_ids(providers=PUSH_PROVIDERS)
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
