"""The business calendar engine on explicit datetimes (no database).

Calendar used: the default week (Mon-Fri 08-12 + 13-17, Sat 08-12) with Indonesia's holidays.
Reference dates in 2026: Mon 23 Nov .. Sun 29 Nov is an ordinary week; Thu 24 Dec is cuti bersama
and Fri 25 Dec Christmas; Idul Fitri falls on Sat-Sun 21-22 Mar with cuti bersama on Fri 20 and
Mon-Tue 23-24 Mar, Nyepi on Thu 19 Mar and its cuti bersama on Wed 18 Mar.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.deadlines import DEFAULT_HOURS, MAX_CLOSED_RUN_DAYS, BusinessCalendar, indonesian_holidays

WIB = ZoneInfo("Asia/Jakarta")
H = timedelta(hours=1)


def at(day: str, hhmm: str = "00:00", tz=WIB) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=tz)


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar(holidays=indonesian_holidays)


# -- add ------------------------------------------------------------------------------------


def test_add_within_one_morning(cal):
    assert cal.add(at("2026-11-23", "09:00"), 2 * H) == at("2026-11-23", "11:00")


def test_add_skips_the_lunch_break(cal):
    assert cal.add(at("2026-11-23", "11:00"), 2 * H) == at("2026-11-23", "14:00")


def test_add_from_inside_the_lunch_break_starts_at_reopening(cal):
    assert cal.add(at("2026-11-23", "12:30"), 1 * H) == at("2026-11-23", "14:00")


def test_add_from_closing_time_continues_next_morning(cal):
    assert cal.add(at("2026-11-23", "17:00"), 1 * H) == at("2026-11-24", "09:00")


def test_add_ending_exactly_at_closing_time_stays_on_that_day(cal):
    assert cal.add(at("2026-11-23", "13:00"), 4 * H) == at("2026-11-23", "17:00")
    assert cal.add(at("2026-11-23", "08:00"), 4 * H) == at("2026-11-23", "12:00")


def test_add_across_the_weekend_uses_saturday_morning_and_skips_sunday(cal):
    assert cal.add(at("2026-11-27", "16:00"), 3 * H) == at("2026-11-28", "10:00")
    assert cal.add(at("2026-11-28", "11:00"), 2 * H) == at("2026-11-30", "09:00")


def test_add_from_a_sunday_starts_on_monday_morning(cal):
    assert cal.add(at("2026-11-29", "10:00"), 30 * timedelta(minutes=1)) == at("2026-11-30", "08:30")


def test_add_skips_cuti_bersama_and_christmas(cal):
    # Wed 23 Dec 16:00: one hour that day, Thu 24 (cuti bersama) and Fri 25 (Christmas) closed.
    assert cal.add(at("2026-12-23", "16:00"), 2 * H) == at("2026-12-26", "09:00")


def test_add_skips_the_whole_idul_fitri_and_nyepi_break(cal):
    # Tue 17 Mar 16:00 -> Wed 18 (cuti Nyepi), Thu 19 (Nyepi), Fri 20 (cuti), Sat-Sun 21-22 (Idul Fitri),
    # Mon-Tue 23-24 (cuti) are all closed.
    assert cal.add(at("2026-03-17", "16:00"), 2 * H) == at("2026-03-25", "09:00")


def test_add_zero_returns_the_start_even_outside_hours(cal):
    start = at("2026-11-29", "10:00")
    assert cal.add(start, timedelta(0)) == start


def test_add_refuses_a_negative_duration(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add(at("2026-11-23", "09:00"), -H)


def test_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="aware"):
        cal.add(datetime(2026, 11, 23, 9), H)
    with pytest.raises(ValueError, match="aware"):
        cal.between(datetime(2026, 11, 23, 9), at("2026-11-23", "10:00"))
    with pytest.raises(ValueError, match="aware"):
        cal.next_open(datetime(2026, 11, 23, 9))


def test_moments_in_another_zone_are_answered_in_jakarta_time(cal):
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 WIB

    result = cal.add(start, H)

    assert result == at("2026-11-23", "10:00")
    assert result.utcoffset() == timedelta(hours=7)


def test_thirty_working_days_of_time_lands_on_the_right_moment(cal):
    # A week of the default calendar has 44 working hours (5 x 8 + 4); from Monday 08:00,
    # 6 weeks of working time ends at the close of the sixth Saturday when no holiday interferes.
    start = at("2026-09-07", "08:00")  # Mon 7 Sep .. Sat 17 Oct 2026 has no holiday

    assert cal.add(start, 6 * 44 * H) == at("2026-10-17", "12:00")


def test_long_spans_are_counted_by_day_not_by_minute(cal):
    start = at("2026-01-01", "08:00")

    began = clock.perf_counter()
    end = cal.add(start, 2000 * H)
    span = cal.between(start, end)
    elapsed = clock.perf_counter() - began

    assert span == 2000 * H
    assert elapsed < 0.5


# -- between --------------------------------------------------------------------------------


def test_between_counts_only_opening_hours_of_a_day(cal):
    assert cal.between(at("2026-11-23", "07:00"), at("2026-11-23", "18:00")) == 8 * H
    assert cal.between(at("2026-11-23", "11:30"), at("2026-11-23", "13:30")) == 1 * H


def test_between_over_the_weekend(cal):
    # Fri 16-17, Sat 08-12, Mon 08-09.
    assert cal.between(at("2026-11-27", "16:00"), at("2026-11-30", "09:00")) == 6 * H


def test_between_is_zero_when_end_is_not_after_start(cal):
    moment = at("2026-11-23", "10:00")
    assert cal.between(moment, moment) == timedelta(0)
    assert cal.between(moment, moment - H) == timedelta(0)


def test_between_is_zero_over_a_holiday(cal):
    assert cal.between(at("2026-12-24", "00:00"), at("2026-12-26", "00:00")) == timedelta(0)


def test_a_paused_clock_sums_between_over_its_running_spans(cal):
    # Given a complaint opened Mon 09:00, paused 11:00 (waiting on the customer) until Tue 10:00,
    # when the clock is read Tue 14:00
    running = [(at("2026-11-23", "09:00"), at("2026-11-23", "11:00")),
               (at("2026-11-24", "10:00"), at("2026-11-24", "14:00"))]

    used = sum((cal.between(start, end) for start, end in running), timedelta(0))

    # then 2 h on Monday and 3 h on Tuesday (10-12, 13-14) have been used
    assert used == 5 * H


def test_between_over_a_year_matches_the_working_days(cal):
    start, end = at("2026-01-01"), at("2027-01-01")
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    expected = sum(
        ((4 if day.weekday() == 5 else 8) * H for day in days if cal.is_working_day(day)), timedelta(0)
    )

    began = clock.perf_counter()
    assert cal.between(start, end) == expected
    assert clock.perf_counter() - began < 0.5


def test_between_and_add_are_inverse(cal):
    start = at("2026-03-16", "10:15")
    for hours in (0.5, 3, 7.25, 40, 170):
        assert cal.between(start, cal.add(start, hours * H)) == hours * H


# -- next_open ------------------------------------------------------------------------------


def test_next_open_is_the_moment_itself_when_open(cal):
    moment = at("2026-11-23", "10:17")
    assert cal.next_open(moment) == moment
    assert cal.next_open(at("2026-11-23", "08:00")) == at("2026-11-23", "08:00")


def test_next_open_at_the_lunch_and_closing_boundaries(cal):
    assert cal.next_open(at("2026-11-23", "12:00")) == at("2026-11-23", "13:00")
    assert cal.next_open(at("2026-11-23", "17:00")) == at("2026-11-24", "08:00")
    assert cal.next_open(at("2026-11-28", "12:00")) == at("2026-11-30", "08:00")


def test_next_open_after_a_holiday(cal):
    assert cal.next_open(at("2026-12-24", "09:00")) == at("2026-12-26", "08:00")


# -- days -----------------------------------------------------------------------------------


def test_working_days_exclude_sunday_public_holidays_and_cuti_bersama(cal):
    assert cal.is_working_day(date(2026, 11, 23))
    assert cal.is_working_day(date(2026, 11, 28))  # Saturday morning
    assert not cal.is_working_day(date(2026, 11, 29))  # Sunday
    assert not cal.is_working_day(date(2026, 12, 25))  # Christmas
    assert not cal.is_working_day(date(2026, 12, 24))  # cuti bersama (government category)
    assert not cal.is_working_day(date(2026, 3, 23))  # cuti bersama Idul Fitri


def test_the_sellers_closures_close_a_day():
    cal = BusinessCalendar(holidays=indonesian_holidays, closures=[date(2026, 11, 24)])

    assert not cal.is_working_day(date(2026, 11, 24))
    assert cal.add(at("2026-11-23", "16:00"), 2 * H) == at("2026-11-25", "09:00")


def test_a_working_override_opens_a_holiday_with_its_weekdays_hours():
    cal = BusinessCalendar(holidays=indonesian_holidays, working_overrides=[date(2026, 12, 24)])

    assert cal.is_working_day(date(2026, 12, 24))
    assert cal.end_of_day(date(2026, 12, 24)) == at("2026-12-24", "17:00")
    assert cal.add(at("2026-12-23", "16:00"), 2 * H) == at("2026-12-24", "09:00")


def test_a_working_override_on_a_sunday_works_mondays_hours():
    cal = BusinessCalendar(holidays=indonesian_holidays, working_overrides=[date(2026, 11, 29)])

    assert cal.is_working_day(date(2026, 11, 29))
    assert cal.between(at("2026-11-29"), at("2026-11-30")) == 8 * H
    assert cal.next_open(at("2026-11-29", "12:30")) == at("2026-11-29", "13:00")


def test_a_working_override_wins_over_a_closure_of_the_same_day():
    cal = BusinessCalendar(closures=[date(2026, 11, 24)], working_overrides=[date(2026, 11, 24)])

    assert cal.is_working_day(date(2026, 11, 24))


def test_add_working_days_forward_backward_and_zero(cal):
    assert cal.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 28)  # Fri -> Sat
    assert cal.add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Sat -> Mon
    assert cal.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 26)  # over cuti bersama + Christmas
    assert cal.add_working_days(date(2026, 11, 30), -1) == date(2026, 11, 28)
    assert cal.add_working_days(date(2026, 11, 29), 0) == date(2026, 11, 29)


def test_add_working_days_over_thirty_days(cal):
    # From Mon 7 Sep 2026: 5 more that week, then 6 a week (no holiday until 17 Oct): Mon 12 Oct.
    assert cal.add_working_days(date(2026, 9, 7), 30) == date(2026, 10, 12)


def test_working_days_between_counts_the_start_and_not_the_end(cal):
    assert cal.working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 6
    assert cal.working_days_between(date(2026, 11, 23), date(2026, 11, 23)) == 0
    assert cal.working_days_between(date(2026, 11, 30), date(2026, 11, 23)) == 0
    # Mon 21 - Wed 23 and Sat 26 work; Thu 24 (cuti bersama), Fri 25 (Christmas) and Sunday do not.
    assert cal.working_days_between(date(2026, 12, 21), date(2026, 12, 28)) == 4


def test_add_working_days_and_working_days_between_agree(cal):
    for start in (date(2026, 3, 16), date(2026, 11, 23), date(2026, 12, 21)):
        for n in (1, 2, 5, 17, 60):
            assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_end_of_day_is_the_last_closing_time(cal):
    assert cal.end_of_day(date(2026, 11, 23)) == at("2026-11-23", "17:00")
    assert cal.end_of_day(date(2026, 11, 28)) == at("2026-11-28", "12:00")
    with pytest.raises(ValueError, match="not a working day"):
        cal.end_of_day(date(2026, 11, 29))


def test_day_methods_refuse_datetimes(cal):
    with pytest.raises(TypeError):
        cal.is_working_day(at("2026-11-23", "09:00"))


# -- cut-off --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid", "deadline"),
    [
        (("2026-11-23", "06:00"), ("2026-11-23", "17:00")),  # before opening: today
        (("2026-11-23", "14:59"), ("2026-11-23", "17:00")),  # before the cut-off: today
        (("2026-11-23", "15:00"), ("2026-11-24", "17:00")),  # at the cut-off: next working day
        (("2026-11-23", "16:30"), ("2026-11-24", "17:00")),
        (("2026-11-27", "19:00"), ("2026-11-28", "12:00")),  # Friday evening: Saturday's close
        (("2026-11-28", "11:00"), ("2026-11-28", "12:00")),  # Saturday morning: today
        (("2026-11-28", "13:00"), ("2026-11-30", "17:00")),  # Saturday, closed already: Monday
        (("2026-11-28", "19:00"), ("2026-11-30", "17:00")),  # Saturday evening: Monday
        (("2026-11-29", "10:00"), ("2026-11-30", "17:00")),  # Sunday: Monday
        (("2026-12-23", "16:00"), ("2026-12-26", "12:00")),  # before cuti bersama + Christmas
        (("2026-03-17", "15:30"), ("2026-03-25", "17:00")),  # into the Nyepi + Lebaran break
    ],
)
def test_cutoff_deadline(cal, paid, deadline):
    assert cal.cutoff_deadline(at(*paid), time(15)) == at(*deadline)


def test_cutoff_deadline_refuses_a_cutoff_with_a_zone(cal):
    with pytest.raises(ValueError):
        cal.cutoff_deadline(at("2026-11-23", "10:00"), time(15, tzinfo=UTC))


# -- construction ---------------------------------------------------------------------------


def test_overlapping_or_inverted_hours_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar(hours={0: [(time(8), time(12)), (time(11), time(17))]})
    with pytest.raises(ValueError, match="open before"):
        BusinessCalendar(hours={0: [(time(12), time(8))]})
    with pytest.raises(ValueError, match="weekdays"):
        BusinessCalendar(hours={7: [(time(8), time(12))]})


def test_a_week_without_hours_is_refused():
    with pytest.raises(ValueError, match="at least one weekday"):
        BusinessCalendar(hours={})


def test_a_calendar_closed_for_years_says_so_instead_of_looping():
    start = date(2026, 1, 1)
    closed = [start + timedelta(days=i) for i in range(MAX_CLOSED_RUN_DAYS + 10)]
    cal = BusinessCalendar(closures=closed)

    with pytest.raises(ValueError, match="closed for more than"):
        cal.next_open(at("2026-01-01", "09:00"))


def test_holiday_years_are_loaded_only_when_touched():
    asked: list[int] = []

    def source(year: int):
        asked.append(year)
        return indonesian_holidays(year)

    cal = BusinessCalendar(holidays=source)
    cal.between(at("2026-11-23", "08:00"), at("2026-12-31", "17:00"))
    cal.add(at("2026-11-23", "08:00"), 10 * H)

    assert asked == [2026]


def test_custom_hours_with_several_breaks():
    cal = BusinessCalendar(hours={0: [(time(7), time(9)), (time(10), time(11)), (time(19), time(21))]})

    assert cal.between(at("2026-11-23"), at("2026-11-24")) == 5 * H
    assert cal.add(at("2026-11-23", "08:30"), 2 * H) == at("2026-11-23", "19:30")
    assert cal.end_of_day(date(2026, 11, 23)) == at("2026-11-23", "21:00")
    assert cal.add_working_days(date(2026, 11, 23), 1) == date(2026, 11, 30)


def test_real_elapsed_time_is_counted_across_a_daylight_saving_change():
    # Jakarta has no DST; in Amsterdam 02:00 jumps to 03:00 on Sun 29 Mar 2026.
    ams = ZoneInfo("Europe/Amsterdam")
    cal = BusinessCalendar(hours={6: [(time(0), time(6))]}, tz=ams)

    assert cal.between(at("2026-03-29", "00:00", ams), at("2026-03-30", "00:00", ams)) == 5 * H
    assert cal.add(at("2026-03-29", "00:00", ams), 3 * H) == at("2026-03-29", "04:00", ams)


def test_default_hours_are_the_documented_week():
    assert DEFAULT_HOURS[0] == ((time(8), time(12)), (time(13), time(17)))
    assert DEFAULT_HOURS[5] == ((time(8), time(12)),)
    assert DEFAULT_HOURS[6] == ()
