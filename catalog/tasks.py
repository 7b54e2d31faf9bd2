"""Catalog background work: the debounced channel stock push."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from catalog.services import push


@shared_task(bind=True, name="catalog.tasks.stock_push_flush", autoretry_for=(OperationalError,), max_retries=3)
def stock_push_flush(self) -> dict:
    """Send queued stock quantities to the channels; failed items are queued again with backoff."""
    result = push.stock_push_flush()
    return {"attempted": result.attempted, "ok": result.ok, "failed": result.failed, "requeued": result.requeued}
