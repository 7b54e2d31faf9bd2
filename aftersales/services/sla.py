"""The case SLA clock, on the shop's one business calendar (core.deadlines).

- On opening: the most specific active SlaPolicy (category + priority, category, priority, any)
  sets `first_response_due_at` and `resolution_due_at` = calendar.add(opened, target), i.e. in
  working time (hours with breaks, Indonesian holidays, cuti bersama, shop closures).
- Waiting on the customer pauses the resolution clock: the working time left is kept
  (`sla_remaining_seconds`, from calendar.between) and, when the case resumes, the new due time is
  calendar.add(resumed, left). So the clock is the working time summed over the active intervals.
  A clock that had already run out stays breached.
- Breach: the due time has passed without the reply / the resolution (paused clocks excepted).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from aftersales.models import Case, CaseStatus, SlaPolicy
from core.deadlines import business_calendar


def sla_policy_for(*, category: str, priority: str) -> SlaPolicy | None:
    candidates = list(
        SlaPolicy.objects.filter(is_active=True)
        .filter(Q(category=category) | Q(category=""))
        .filter(Q(priority=priority) | Q(priority=""))
    )
    # most specific first: both set, then category only, then priority only, then the catch-all
    candidates.sort(key=lambda p: (not p.category, not p.priority, p.pk))
    return candidates[0] if candidates else None


def sla_start(case: Case, *, at: datetime) -> list[str]:
    """Set the case's policy and due times from `at`; returns the fields changed."""
    policy = sla_policy_for(category=case.category, priority=case.priority)
    case.sla_policy = policy
    if policy is None:
        case.first_response_due_at = case.resolution_due_at = None
    else:
        calendar = business_calendar()
        if case.first_responded_at is None:
            case.first_response_due_at = calendar.add(at, timedelta(minutes=policy.first_response_minutes))
        case.resolution_due_at = calendar.add(at, timedelta(minutes=policy.resolution_minutes))
    case.sla_paused_at, case.sla_remaining_seconds = None, None
    return ["sla_policy", "first_response_due_at", "resolution_due_at", "sla_paused_at", "sla_remaining_seconds"]


def sla_pause(case: Case, *, at: datetime) -> list[str]:
    if case.resolution_due_at is None or case.sla_paused_at is not None:
        return []
    left = business_calendar().between(at, case.resolution_due_at) if at < case.resolution_due_at else timedelta(0)
    case.sla_paused_at = at
    case.sla_remaining_seconds = int(left.total_seconds())
    return ["sla_paused_at", "sla_remaining_seconds"]


def sla_resume(case: Case, *, at: datetime) -> list[str]:
    if case.sla_paused_at is None:
        return []
    left = case.sla_remaining_seconds or 0
    if left > 0:
        case.resolution_due_at = business_calendar().add(at, timedelta(seconds=left))
    case.sla_paused_at, case.sla_remaining_seconds = None, None
    return ["sla_paused_at", "sla_remaining_seconds", "resolution_due_at"]


def first_response_breached(case: Case, *, now: datetime) -> bool:
    if case.first_response_due_at is None:
        return False
    return (case.first_responded_at or now) > case.first_response_due_at


def resolution_breached(case: Case, *, now: datetime) -> bool:
    if case.resolution_due_at is None:
        return False
    if case.sla_paused_at is not None:
        return (case.sla_remaining_seconds or 0) == 0
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return (case.resolved_at or now) > case.resolution_due_at
    return now > case.resolution_due_at


def sla_state(case: Case, *, now: datetime) -> dict:
    """What the queue shows: breached, paused, due soon (within 2 working hours), or on time."""
    breached = first_response_breached(case, now=now) or resolution_breached(case, now=now)
    due = case.first_response_due_at if case.first_responded_at is None else case.resolution_due_at
    paused = case.sla_paused_at is not None
    soon = False
    if not breached and not paused and due is not None and case.is_active:
        soon = business_calendar().between(now, due) <= timedelta(hours=2)
    return {"breached": breached, "paused": paused, "due_soon": soon, "due_at": due}
