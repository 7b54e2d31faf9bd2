"""The shop's calendar from the database: services, constraints, cache and its invalidation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import deadlines, services
from core.deadlines import business_calendar
from core.models import CalendarClosure, WorkingHours

WIB = ZoneInfo("Asia/Jakarta")
SATURDAY, SUNDAY, TUESDAY = date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 24)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


@pytest.mark.django_db
def test_without_saved_hours_the_shop_works_the_default_week():
    cal = business_calendar()

    assert cal.end_of_day(SATURDAY) == at(SATURDAY, 12)
    assert not cal.is_working_day(SUNDAY)
    assert not cal.is_working_day(date(2026, 12, 25))


@pytest.mark.django_db
def test_saving_one_weekday_keeps_the_default_hours_of_the_others():
    services.working_hours_set(weekday=5, intervals=[])

    cal = business_calendar()

    assert not cal.is_working_day(SATURDAY)
    assert cal.end_of_day(TUESDAY) == at(TUESDAY, 17)
    assert WorkingHours.objects.filter(weekday=0).count() == 2


@pytest.mark.django_db
def test_saving_a_weekday_replaces_its_intervals():
    services.working_hours_set(weekday=1, intervals=[(time(9), time(11)), (time(12), time(18))])

    cal = business_calendar()

    assert cal.between(at(TUESDAY, 0), at(TUESDAY, 23)) == timedelta(hours=8)
    assert cal.next_open(at(TUESDAY, 11, 30)) == at(TUESDAY, 12)
    assert list(WorkingHours.objects.filter(weekday=1).values_list("opens", "closes")) == [
        (time(9), time(11)), (time(12), time(18))]


@pytest.mark.django_db
def test_overlapping_or_inverted_intervals_are_refused_and_nothing_is_written():
    with pytest.raises(ValidationError) as overlap:
        services.working_hours_set(weekday=1, intervals=[(time(8), time(12)), (time(11), time(13))])
    with pytest.raises(ValidationError):
        services.working_hours_set(weekday=1, intervals=[(time(12), time(8))])
    with pytest.raises(ValidationError):
        services.working_hours_set(weekday=9, intervals=[(time(8), time(12))])

    assert "intervals" in overlap.value.message_dict
    assert not WorkingHours.objects.exists()


@pytest.mark.django_db
def test_a_week_without_any_working_hours_is_refused():
    for weekday in range(6):
        services.working_hours_set(weekday=weekday, intervals=[] if weekday else [(time(8), time(12))])

    with pytest.raises(ValidationError) as refused:
        services.working_hours_set(weekday=0, intervals=[])

    assert "intervals" in refused.value.message_dict
    assert list(WorkingHours.objects.values_list("weekday", flat=True)) == [0]


@pytest.mark.django_db
def test_the_database_refuses_overlapping_or_inverted_rows_as_a_backstop():
    WorkingHours.objects.create(weekday=2, opens=time(8), closes=time(12))

    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(weekday=2, opens=time(11), closes=time(13))
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(weekday=3, opens=time(13), closes=time(9))
    WorkingHours.objects.create(weekday=2, opens=time(12), closes=time(13))  # touching is fine
    WorkingHours.objects.create(weekday=3, opens=time(8), closes=time(12))  # another weekday is fine


@pytest.mark.django_db
def test_a_cuti_bersama_row_closes_a_day_the_package_does_not_know():
    services.calendar_closure_add(day=TUESDAY, kind="cuti_bersama", name="Cuti bersama tambahan")

    cal = business_calendar()

    assert not cal.is_working_day(TUESDAY)
    assert cal.cutoff_deadline(at(TUESDAY - timedelta(days=1), 16), time(15)) == at(TUESDAY + timedelta(days=1), 17)


@pytest.mark.django_db
def test_a_working_override_opens_a_public_holiday():
    christmas = date(2026, 12, 25)
    services.calendar_closure_add(day=christmas, kind="working_override", name="Tetap kirim")

    assert business_calendar().end_of_day(christmas) == at(christmas, 17)


@pytest.mark.django_db
def test_a_day_cannot_be_closed_and_worked_or_entered_twice():
    services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="Renovasi gudang")

    with pytest.raises(ValidationError) as contradiction:
        services.calendar_closure_add(day=TUESDAY, kind="working_override", name="Lembur")
    with pytest.raises(ValidationError) as duplicate:
        services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="Lagi")
    services.calendar_closure_add(day=TUESDAY, kind="extra_holiday", name="Libur daerah")

    assert "date" in contradiction.value.message_dict and "date" in duplicate.value.message_dict
    assert CalendarClosure.objects.filter(date=TUESDAY).count() == 2


@pytest.mark.django_db
def test_closure_input_is_checked():
    with pytest.raises(ValidationError):
        services.calendar_closure_add(day=TUESDAY, kind="holiday", name="x")
    with pytest.raises(ValidationError):
        services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="   ")
    with pytest.raises(ValidationError):
        services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="x" * 121)

    assert not CalendarClosure.objects.exists()


@pytest.mark.django_db
def test_removing_a_closure_reopens_the_day_and_twice_is_harmless():
    closure = services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="Stock opname")

    services.calendar_closure_remove(closure_id=closure.pk)
    services.calendar_closure_remove(closure_id=closure.pk)

    assert business_calendar().is_working_day(TUESDAY)


# -- the cache ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_calendar_is_cached_per_process(django_assert_max_num_queries):
    first = business_calendar()

    with django_assert_max_num_queries(0):
        again = business_calendar()

    assert again is first


@pytest.mark.django_db
def test_a_committed_change_replaces_the_cached_calendar_at_once(django_capture_on_commit_callbacks):
    before = business_calendar()

    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="Stock opname")
    after = business_calendar()

    assert before.is_working_day(TUESDAY)
    assert after is not before and not after.is_working_day(TUESDAY)
    assert business_calendar() is after


@pytest.mark.django_db
def test_changes_through_the_orm_invalidate_too(django_capture_on_commit_callbacks):
    assert business_calendar().is_working_day(SUNDAY) is False

    with django_capture_on_commit_callbacks(execute=True):
        CalendarClosure.objects.create(date=SUNDAY, kind="working_override", name="Lembur")
    assert business_calendar().is_working_day(SUNDAY)

    with django_capture_on_commit_callbacks(execute=True):
        CalendarClosure.objects.filter(date=SUNDAY).delete()
    assert not business_calendar().is_working_day(SUNDAY)


@pytest.mark.django_db
def test_another_process_sees_a_change_once_its_version_check_is_due(monkeypatch):
    # Given this process cached the calendar
    cached = business_calendar()
    # when another process changes the rows and publishes a new version (no signal reaches us)
    CalendarClosure.objects.bulk_create([CalendarClosure(date=TUESDAY, kind="shop_closure", name="Banjir")])
    cache.set(deadlines.VERSION_KEY, "changed-elsewhere", timeout=None)

    # then until the check is due the cached copy is used, afterwards the new rows
    assert business_calendar() is cached
    deadlines._version.clear()  # the version check is due (VERSION_CHECK_SECONDS later)
    fresh = business_calendar()
    assert fresh is not cached and not fresh.is_working_day(TUESDAY)
    assert business_calendar() is fresh  # same version: kept


@pytest.mark.django_db
def test_inside_the_changing_transaction_the_change_is_already_visible():
    business_calendar()  # cached before the change

    with transaction.atomic():
        services.working_hours_set(weekday=1, intervals=[(time(10), time(14))])
        inside = business_calendar()

    assert inside.end_of_day(TUESDAY) == at(TUESDAY, 14)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_trace_in_the_cache():
    business_calendar()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="Batal")
        assert not business_calendar().is_working_day(TUESDAY)
        raise RuntimeError("rolled back")

    assert business_calendar().is_working_day(TUESDAY)


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_published_for_other_processes():
    cache.set(deadlines.VERSION_KEY, "old", timeout=None)

    services.calendar_closure_add(day=TUESDAY, kind="shop_closure", name="Stock opname")

    assert cache.get(deadlines.VERSION_KEY) not in (None, "old")
    assert not business_calendar().is_working_day(TUESDAY)


# -- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_people_saving_a_weekday_at_once_leave_one_consistent_day():
    from itertools import count

    from core.errors import Conflict
    from tests.concurrency import race

    services.working_hours_set(weekday=5, intervals=[(time(8), time(12))])  # rows exist: both lock them
    choices = [[(time(9), time(12)), (time(13), time(15))], [(time(10), time(16))]]
    turn = count()

    outcomes = race(2, lambda: services.working_hours_set(weekday=5, intervals=choices[next(turn) % 2]))

    saturday = sorted(WorkingHours.objects.filter(weekday=5).values_list("opens", "closes"))
    assert saturday in [sorted(choice) for choice in choices]
    assert all(isinstance(o, list | Conflict) for o in outcomes)
    assert WorkingHours.objects.filter(weekday=0).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_never_leave_overlapping_hours():
    from core.errors import Conflict
    from tests.concurrency import race

    outcomes = race(2, lambda: services.working_hours_set(weekday=0, intervals=[(time(7), time(15))]))

    assert any(isinstance(o, list) for o in outcomes)
    assert all(isinstance(o, list | Conflict) for o in outcomes)
    assert sorted(WorkingHours.objects.filter(weekday=0).values_list("opens", "closes")) == [(time(7), time(15))]
    assert WorkingHours.objects.filter(weekday=1).count() == 2
