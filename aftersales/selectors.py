"""Reads for after-sales: the case queue by SLA urgency, return queues, review queues, counts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Case as When_
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from aftersales.models import (
    ACTIVE_CASE_STATUSES,
    Case,
    CaseStatus,
    ReturnRequest,
    ReturnStatus,
    Review,
    ReviewStatus,
)

DUE_SOON = timedelta(hours=2)


def _breached_q(now) -> Q:
    return (Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
            | Q(resolution_due_at__lt=now, sla_paused_at__isnull=True))


def case_queue(*, queue: str = "", status: str = "", kind: str = "", category: str = "", assignee_id: int | None = None,
               customer_id: int | None = None, search: str = "", now=None) -> QuerySet[Case]:
    """Cases, most urgent first: breached, then by the next due time; waiting cases last."""
    now = now or timezone.now()
    qs = Case.objects.select_related("customer", "order", "assignee")
    if queue == "breached":
        qs = qs.filter(status__in=[CaseStatus.OPEN, CaseStatus.IN_PROGRESS]).filter(_breached_q(now))
    elif queue == "due_soon":
        soon = now + DUE_SOON
        qs = qs.filter(status__in=[CaseStatus.OPEN, CaseStatus.IN_PROGRESS]).exclude(_breached_q(now)).filter(
            Q(first_responded_at__isnull=True, first_response_due_at__lte=soon) | Q(resolution_due_at__lte=soon))
    elif queue == "active" or not status:
        qs = qs.filter(status__in=ACTIVE_CASE_STATUSES) if not status and queue != "all" else qs
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(category=category)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(subject__icontains=search) | Q(order__number__icontains=search)
                       | Q(customer__name__icontains=search) | Q(customer__phone__icontains=search))
    return qs.annotate(
        urgency=When_(
            When(_breached_q(now) & Q(status__in=[CaseStatus.OPEN, CaseStatus.IN_PROGRESS]), then=Value(0)),
            When(status=CaseStatus.WAITING_CUSTOMER, then=Value(2)),
            When(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED], then=Value(3)),
            default=Value(1), output_field=IntegerField(),
        )
    ).order_by("urgency", F("resolution_due_at").asc(nulls_last=True), "-created_at")


def count_breached() -> int:
    now = timezone.now()
    return Case.objects.filter(status__in=[CaseStatus.OPEN, CaseStatus.IN_PROGRESS]).filter(_breached_q(now)).count()


def count_due_soon() -> int:
    return case_queue(queue="due_soon").count()


def count_open_cases() -> int:
    return Case.objects.filter(status__in=ACTIVE_CASE_STATUSES).count()


def return_list(*, status: str = "", search: str = "") -> QuerySet[ReturnRequest]:
    qs = ReturnRequest.objects.select_related("order", "order__customer", "case").prefetch_related("lines")
    if status:
        qs = qs.filter(status__in=status.split(","))
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(order__number__icontains=search))
    return qs.order_by("created_at", "id") if status else qs


def count_returns(statuses: tuple[str, ...]) -> int:
    return ReturnRequest.objects.filter(status__in=statuses).count()


def count_returns_to_approve() -> int:
    return count_returns((ReturnStatus.REQUESTED,))


def count_returns_to_receive() -> int:
    return count_returns((ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT))


def count_returns_to_inspect() -> int:
    return count_returns((ReturnStatus.RECEIVED,))


def count_returns_to_complete() -> int:
    return count_returns((ReturnStatus.INSPECTED,))


def review_list(*, queue: str = "", rating: int | None = None, source: str = "") -> QuerySet[Review]:
    qs = Review.objects.select_related("product", "order", "customer", "case").prefetch_related("photos")
    if queue == "moderate":
        qs = qs.filter(status=ReviewStatus.PENDING)
    elif queue == "unanswered":
        qs = qs.filter(reply="", status=ReviewStatus.PUBLISHED)
    elif queue == "low":
        qs = qs.filter(rating__lte=2, reply="")
    if rating:
        qs = qs.filter(rating=rating)
    if source:
        qs = qs.filter(source=source)
    return qs


def count_reviews_to_moderate() -> int:
    return Review.objects.filter(status=ReviewStatus.PENDING).count()


def count_reviews_unanswered() -> int:
    return Review.objects.filter(reply="", status=ReviewStatus.PUBLISHED).count()


def count_low_ratings() -> int:
    return Review.objects.filter(rating__lte=2, reply="").count()


def cases_for_order(*, order_id: int) -> QuerySet[Case]:
    return Case.objects.filter(order_id=order_id).select_related("return_request").order_by("-created_at")
