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
