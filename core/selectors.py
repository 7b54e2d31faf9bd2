from __future__ import annotations

from datetime import date, time

import holidays
from django.db.models import QuerySet

from core.deadlines import DEFAULT_HOURS
from core.models import CalendarClosure, InboundDelivery, TaskFailure, WorkingHours


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


def working_hours_week() -> dict[int, list[tuple[time, time]]]:
    """Each weekday's intervals as the calendar uses them (the default week while none are saved)."""
    week: dict[int, list[tuple[time, time]]] = {day: [] for day in range(7)}
    rows = list(WorkingHours.objects.values_list("weekday", "opens", "closes"))
    if not rows:
        return {day: list(DEFAULT_HOURS.get(day, ())) for day in range(7)}
    for weekday, opens, closes in rows:
        week[weekday].append((opens, closes))
    return {day: sorted(hours) for day, hours in week.items()}


def working_hours_are_default() -> bool:
    return not WorkingHours.objects.exists()


def calendar_closure_list(*, year: int) -> QuerySet[CalendarClosure]:
    return CalendarClosure.objects.filter(date__year=year).order_by("date", "kind")


def public_holiday_list(*, year: int, language: str = "id") -> list[tuple[date, str]]:
    """Indonesia's public holidays and government cuti bersama of a year, with their names."""
    names = holidays.country_holidays(
        "ID", years=year, categories=(holidays.PUBLIC, holidays.GOVERNMENT),
        language="id" if language.startswith("id") else "en_US",
    )
    return sorted(names.items())
