"""SLA breaches escalate: first to the case's assignee (or the Customer Service team when nobody
has it), then, when still breached ESCALATE_ADMIN_AFTER of working time later, to the admins.

Runs from Celery beat (aftersales.tasks.cases_escalate_task). Each step is written once per case
(escalation_level 0 -> 1 -> 2 under the row lock, an `escalated` event); the staff e-mail is a
notification keyed by that event, so a repeated sweep alerts nobody twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import ACTIVE_CASE_STATUSES, Case, CaseStatus
from aftersales.services import sla
from aftersales.services.common import case_event, lock_case
from core import roles
from core.deadlines import business_calendar

ESCALATE_ADMIN_AFTER = timedelta(minutes=getattr(settings, "AFTERSALES_ESCALATE_ADMIN_AFTER_MINUTES", 120))


def breached_cases(now: datetime):
    running = Q(status__in=[CaseStatus.OPEN, CaseStatus.IN_PROGRESS])
    return Case.objects.filter(running, escalation_level__lt=2).filter(
        Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
        | Q(resolution_due_at__lt=now, sla_paused_at__isnull=True)
    )


def cases_escalate(*, now: datetime | None = None, limit: int = 500) -> int:
    """Escalate every breached running case one step where due; returns the steps taken."""
    now = now or timezone.now()
    steps = 0
    for case_id in list(breached_cases(now).order_by("resolution_due_at").values_list("pk", flat=True)[:limit]):
        steps += case_escalate(case_id=case_id, now=now)
    return steps


def _breached_since(case: Case, now: datetime) -> datetime | None:
    moments = []
    if case.first_responded_at is None and case.first_response_due_at and case.first_response_due_at < now:
        moments.append(case.first_response_due_at)
    if case.sla_paused_at is None and case.resolution_due_at and case.resolution_due_at < now:
        moments.append(case.resolution_due_at)
    return min(moments) if moments else None


def case_escalate(*, case_id: int, now: datetime | None = None) -> int:
    """One escalation step for one case if it is due; returns 1 when a step was taken, else 0."""
    now = now or timezone.now()
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status not in ACTIVE_CASE_STATUSES or case.status == CaseStatus.WAITING_CUSTOMER:
            return 0
        since = _breached_since(case, now)
        if since is None:
            return 0
        if case.escalation_level == 0:
            level, recipients = 1, _assignee_or_team(case)
        elif case.escalation_level == 1 and business_calendar().between(since, now) >= ESCALATE_ADMIN_AFTER:
            level, recipients = 2, _admins()
        else:
            return 0
        case.escalation_level = level
        case.save(update_fields=["escalation_level", "updated_at"])
        event = case_event(case, "escalated", source="system", data={
            "level": level, "breached_since": since.isoformat(), "to": [u.pk for u in recipients],
            "first_response": sla.first_response_breached(case, now=now),
        })
        _alert(case, event, recipients, level)
    return 1


def _assignee_or_team(case: Case) -> list:
    if case.assignee_id and case.assignee.is_active:
        return [case.assignee]
    return list(get_user_model().objects.filter(is_active=True, groups__name=roles.CUSTOMER_SERVICE).distinct())


def _admins() -> list:
    return list(get_user_model().objects.filter(is_active=True, groups__name__in=[roles.ADMIN, roles.OWNER]).distinct())


def _alert(case: Case, event, recipients: list, level: int) -> None:
    from notifications.models import NotificationEvent
    from notifications.services import notification_queue

    subject = _("SLA breached: case %(number)s") % {"number": case.number}
    body = _("Case %(number)s (%(subject)s) has passed its SLA target. Escalation level %(level)s.") % {
        "number": case.number, "subject": case.subject, "level": level,
    }
    for user in recipients:
        if not user.email:
            continue
        # one alert row per person and step: the notification's unique target
        alert = case_event(case, "alert", source="system", data={"escalation": event.pk, "user": user.pk})
        notification_queue(event=NotificationEvent.STAFF_ALERT, channel="email", recipient=user.email,
                           subject=subject, body=body, target=alert)
