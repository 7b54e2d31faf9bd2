from __future__ import annotations

from django.db.models import QuerySet

from core.models import InboundDelivery, TaskFailure


def task_failure_list(*, resolved: bool = False) -> QuerySet[TaskFailure]:
    return TaskFailure.objects.filter(resolved=resolved).select_related("retried_by")


def task_failure_open_count() -> int:
    return TaskFailure.objects.filter(resolved=False).count()


def inbound_delivery_problem_list() -> QuerySet[InboundDelivery]:
    """Deliveries that were rejected or whose processing failed, newest first."""
    return InboundDelivery.objects.filter(
        status__in=[InboundDelivery.Status.FAILED, InboundDelivery.Status.REJECTED]
    ).select_related("channel").defer("body")


def inbound_delivery_failed_count() -> int:
    return InboundDelivery.objects.filter(status=InboundDelivery.Status.FAILED).count()
