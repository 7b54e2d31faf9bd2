"""Writes for the shared records: retrying failed background work and inbox deliveries."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound
from core.models import TaskFailure


def task_failure_retry(*, failure_id: int, actor) -> TaskFailure:
    """Send a failed task again with its original arguments and mark the failure resolved.

    Claimed with a conditional update, so two people clicking "retry" send it once.
    """
    from oms.celery import app

    with transaction.atomic():
        claimed = TaskFailure.objects.filter(pk=failure_id, resolved=False).update(
            resolved=True, retried_at=timezone.now(), retried_by=actor
        )
        failure = TaskFailure.objects.filter(pk=failure_id).first()
        if failure is None:
            raise NotFound(_("This failed task no longer exists (it was purged or retried already)."))
        if not claimed:
            raise Conflict("This failed task was already retried.")
        transaction.on_commit(
            lambda: app.send_task(failure.task_name, args=failure.args, kwargs=failure.kwargs)
        )
    return failure


def task_failures_purge(*, older_than_days: int = 90) -> int:
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    deleted, _ = TaskFailure.objects.filter(resolved=True, failed_at__lt=cutoff).delete()
    return deleted


PURGE_BATCH = 5_000


def inbound_deliveries_purge(*, now=None) -> int:
    """Delete rejected and duplicate webhook deliveries older than INBOX_REJECTED_RETENTION_DAYS.

    Those are refused junk and second copies: nothing was done with them. Deliveries that were
    processed or failed are kept (they are the record of what a provider told us, for bookkeeping
    and audits). Deleted in batches, so a large backlog never holds a long lock.
    """
    from django.conf import settings

    from core.models import InboundDelivery

    cutoff = (now or timezone.now()) - timezone.timedelta(days=settings.INBOX_REJECTED_RETENTION_DAYS)
    old = InboundDelivery.objects.filter(
        status__in=[InboundDelivery.Status.REJECTED, InboundDelivery.Status.DUPLICATE], received_at__lt=cutoff
    )
    deleted = 0
    while True:
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            return deleted
        deleted += InboundDelivery.objects.filter(pk__in=ids).delete()[0]
