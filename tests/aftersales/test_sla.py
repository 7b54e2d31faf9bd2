"""The case SLA clock: business time on the shop calendar, paused while waiting on the customer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from aftersales.models import Case, CaseStatus, SlaPolicy
from aftersales.services import cases
from aftersales.services.escalation import cases_escalate
from core.deadlines import forget_cached_calendar
from core.errors import InvalidTransition
from core.models import CalendarClosure
from notifications.models import Notification

pytestmark = pytest.mark.django_db
JKT = ZoneInfo("Asia/Jakarta")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=JKT)


def test_first_response_target_skips_the_lunch_break(sla_policy):
    # given: a 60-minute first response, a case opened on Friday 11:30
    with time_machine.travel(at(2026, 7, 10, 11, 30), tick=False):
        case = cases.case_open(subject="Barang belum sampai")

    # then: 30 minutes before lunch, 30 after it
    assert case.first_response_due_at == at(2026, 7, 10, 13, 30)


def test_resolution_target_skips_the_weekend_and_a_public_holiday(sla_policy):
    # given: 8 working hours, opened Saturday 15 Aug 2026 at 11:00; Monday 17 Aug is Independence Day
    with time_machine.travel(at(2026, 8, 15, 11, 0), tick=False):
        case = cases.case_open(subject="Paket rusak")

    # then: Sat 11-12 (1 h), Tue 08-12 (4 h), Tue 13-16 (3 h)
    assert case.resolution_due_at == at(2026, 8, 18, 16, 0)


def test_cuti_bersama_entered_by_the_seller_is_not_working_time(sla_policy):
    CalendarClosure.objects.create(date=at(2026, 7, 13, 0, 0).date(), kind="cuti_bersama", name="Cuti bersama")
    forget_cached_calendar()

    with time_machine.travel(at(2026, 7, 10, 16, 30), tick=False):  # Friday
        case = cases.case_open(subject="Salah ukuran")

    # Fri 16:30-17 (30 min) ... Sat closed after 12, Mon 13 Jul closed: Sat 08:00-08:30
    assert case.first_response_due_at == at(2026, 7, 11, 8, 30)


def test_waiting_on_the_customer_pauses_the_resolution_clock(sla_policy, cs_user):
    # given: opened Monday 08:00 with 8 working hours to resolve (due Monday 17:00)
    with time_machine.travel(at(2026, 7, 6, 8, 0), tick=False):
        case = cases.case_open(subject="Warna tidak sesuai")
    assert case.resolution_due_at == at(2026, 7, 6, 17, 0)

    # when: CS asks for a photo at 10:00 (6 working hours left) and the customer answers on Wednesday 09:00
    with time_machine.travel(at(2026, 7, 6, 10, 0), tick=False):
        cases.case_reply(case_id=case.pk, body="Mohon kirim foto barangnya.", wait_for_customer=True, actor=cs_user)
    with time_machine.travel(at(2026, 7, 8, 9, 0), tick=False):
        cases.case_customer_message(case_id=case.pk, body="Ini fotonya")

    # then: the clock resumes with its 6 hours: Wed 09-12 (3 h) and 13-16 (3 h)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.resolution_due_at == at(2026, 7, 8, 16, 0)
    assert case.first_responded_at == at(2026, 7, 6, 10, 0)


def test_the_most_specific_policy_wins(sla_policy):
    SlaPolicy.objects.create(name="Rusak mendesak", category="damaged", priority="urgent",
                             first_response_minutes=15, resolution_minutes=120)

    with time_machine.travel(at(2026, 7, 6, 9, 0), tick=False):
        urgent = cases.case_open(subject="Pecah", category="damaged", priority="urgent")
        normal = cases.case_open(subject="Pecah", category="damaged")

    assert urgent.first_response_due_at == at(2026, 7, 6, 9, 15)
    assert normal.first_response_due_at == at(2026, 7, 6, 10, 0)


def test_a_breached_case_escalates_to_the_assignee_then_to_the_admins_once_each(sla_policy, cs_user, make_user):
    admin = make_user("Admin", username="admin-budi", email="admin@example.id")
    with time_machine.travel(at(2026, 7, 6, 8, 0), tick=False):
        case = cases.case_open(subject="Belum dibalas", assignee_id=cs_user.pk)

    # first response due 09:00; at 09:30 the assignee is alerted, once
    with time_machine.travel(at(2026, 7, 6, 9, 30), tick=False):
        assert cases_escalate() == 1
        assert cases_escalate() == 0
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert Notification.objects.filter(event="staff_alert", recipient="cs@example.id").count() == 1

    # two working hours after the breach (11:00) the admins are alerted
    with time_machine.travel(at(2026, 7, 6, 11, 5), tick=False):
        assert cases_escalate() == 1
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert Notification.objects.filter(event="staff_alert", recipient=admin.email).count() == 1


def test_a_case_waiting_on_the_customer_does_not_escalate(sla_policy, cs_user):
    with time_machine.travel(at(2026, 7, 6, 8, 0), tick=False):
        case = cases.case_open(subject="Tunggu foto")
        cases.case_wait_for_customer(case_id=case.pk, actor=cs_user)

    with time_machine.travel(at(2026, 7, 9, 8, 0), tick=False):
        assert cases_escalate() == 0


@pytest.mark.parametrize(("start", "target"), [
    (CaseStatus.OPEN, CaseStatus.CLOSED),
    (CaseStatus.CLOSED, CaseStatus.RESOLVED),
    (CaseStatus.RESOLVED, CaseStatus.WAITING_CUSTOMER),
])
def test_transitions_outside_the_table_are_refused(start, target):
    case = cases.case_open(subject="x")
    Case.objects.filter(pk=case.pk).update(status=start, resolution="explanation")
    case.refresh_from_db()

    assert not case.can_transition_to(target)


def test_closing_an_open_case_is_an_invalid_transition():
    case = cases.case_open(subject="x")

    with pytest.raises(InvalidTransition):
        cases.case_close(case_id=case.pk)


def test_resolve_then_reopen_starts_a_fresh_clock(sla_policy, cs_user):
    with time_machine.travel(at(2026, 7, 6, 8, 0), tick=False):
        case = cases.case_open(subject="x")
        cases.case_resolve(case_id=case.pk, resolution="explanation", note="Sudah dijelaskan", actor=cs_user)
    with time_machine.travel(at(2026, 7, 7, 9, 0), tick=False):
        case = cases.case_reopen(case_id=case.pk, reason="Masih rusak", actor=cs_user)

    assert case.status == CaseStatus.OPEN and case.reopened_count == 1
    assert case.resolution_due_at == at(2026, 7, 8, 9, 0)
