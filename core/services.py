"""Writes for the shared records: retrying failed background work and inbox deliveries, and the
shop's business calendar (working hours, closed and extra working days)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.deadlines import DEFAULT_HOURS, business_calendar_invalidate, validate_intervals
from core.errors import Conflict
from core.models import CalendarClosure, TaskFailure, WorkingHours


def task_failure_retry(*, failure_id: int, actor) -> TaskFailure:
    """Send a failed task again with its original arguments and mark the failure resolved.

    Claimed with a conditional update, so two people clicking "retry" send it once.
    """
    from oms.celery import app

    with transaction.atomic():
        claimed = TaskFailure.objects.filter(pk=failure_id, resolved=False).update(
            resolved=True, retried_at=timezone.now(), retried_by=actor
        )
        failure = TaskFailure.objects.get(pk=failure_id)
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


# -- business calendar ------------------------------------------------------------------------

def working_hours_set(*, weekday: int, intervals: Iterable[tuple[time, time]]) -> list[WorkingHours]:
    """Replace one weekday's opening intervals (none: closed that day); returns the new rows.

    While no hours are saved the calendar uses its default week; the first save writes that
    default for the other weekdays too, so changing Monday does not close Tuesday. A week left
    without any hours is refused. When two people save at the same moment, one gets Conflict
    (the database refuses overlapping intervals).
    """
    if weekday not in WorkingHours.Weekday.values:
        raise ValidationError({"weekday": _("Unknown weekday.")})
    try:
        ordered = validate_intervals(intervals)
    except ValueError:
        raise ValidationError({"intervals": _(
            "Each interval must open before it closes, and the intervals of one day must not overlap."
        )}) from None
    try:
        with transaction.atomic():
            existing = list(WorkingHours.objects.select_for_update(of=("self",)).order_by("pk"))
            if existing:
                other_days = {row.weekday for row in existing} - {weekday}
            else:
                other_days = {day for day, hours in DEFAULT_HOURS.items() if hours and day != weekday}
            if not ordered and not other_days:
                raise ValidationError({"intervals": _("At least one day of the week must have working hours.")})
            if not existing:
                WorkingHours.objects.bulk_create(
                    WorkingHours(weekday=day, opens=opens, closes=closes)
                    for day, hours in DEFAULT_HOURS.items() if day != weekday
                    for opens, closes in hours
                )
            WorkingHours.objects.filter(weekday=weekday).delete()
            rows = WorkingHours.objects.bulk_create(
                WorkingHours(weekday=weekday, opens=opens, closes=closes) for opens, closes in ordered
            )
            business_calendar_invalidate()  # bulk_create sends no signals
    except IntegrityError:
        raise Conflict(_("The working hours were changed at the same time; please try again.")) from None
    return rows


def calendar_closure_add(*, day: date, kind: str, name: str, note: str = "") -> CalendarClosure:
    """Mark a day closed (cuti bersama, shop closure, extra holiday) or worked (working_override).

    The same day and kind twice is refused, and so is a day both closed by the seller and worked.
    """
    if kind not in CalendarClosure.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of day.")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the day a name.")})
    if len(name) > CalendarClosure._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long.")})
    worked = kind == CalendarClosure.Kind.WORKING_OVERRIDE
    try:
        with transaction.atomic():
            same_day = list(
                CalendarClosure.objects.select_for_update(of=("self",)).filter(date=day).order_by("pk")
            )
            if any(row.kind == kind for row in same_day):
                raise ValidationError({"date": _("This day already has an entry of this kind.")})
            if any(row.closes_shop == worked for row in same_day):
                raise ValidationError({"date": _(
                    "This day is already marked the other way (closed or worked); remove that entry first."
                )})
            return CalendarClosure.objects.create(date=day, kind=kind, name=name, note=note.strip())
    except IntegrityError:  # the same day and kind added at the same moment by someone else
        raise ValidationError({"date": _("This day already has an entry of this kind.")}) from None


def calendar_closure_remove(*, closure_id: int) -> None:
    """Remove a closed or extra working day; one that is already gone is a no-op."""
    with transaction.atomic():
        CalendarClosure.objects.filter(pk=closure_id).delete()
