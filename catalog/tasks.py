"""Catalog background work: the debounced channel stock push."""

from __future__ import annotations

from celery import shared_task

from catalog.services import push


@shared_task(bind=True, name="catalog.tasks.stock_push_flush")
def stock_push_flush(self) -> dict:
    """Send queued stock quantities to the channels; failed items are queued again with backoff.

    A failed flush puts its requests back and queues itself again with backoff (core.drain).
    """
    result = push.stock_push_flush()
    return {"attempted": result.attempted, "ok": result.ok, "failed": result.failed, "requeued": result.requeued}
