"""The business calendar: the one deadline engine of oms.

Ship-by deadlines, complaint SLAs and SOP compliance targets all count working time with
`business_calendar()`, the shop's calendar built from its working hours (`WorkingHours`), its own
closed or extra working days (`CalendarClosure`) and Indonesia's public holidays and government
joint leave (cuti bersama) from the `holidays` package.

`BusinessCalendar` itself is pure: it is built from plain values and never touches the database,
so it is fast and can be tested with any week. Every method walks day by day over at most a few
intervals, never minute by minute. Inputs and outputs are aware datetimes; working hours are wall
clock times in the calendar's zone (Asia/Jakarta), all arithmetic is done in UTC, so a zone with
daylight saving would count real elapsed time too.

A clock that pauses (a complaint waiting on the customer) sums `between()` over its running spans.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.ttl import TTLCache

Interval = tuple[time, time]

_MORNING = (time(8), time(12))
_AFTERNOON = (time(13), time(17))
# The week used until the shop saves its own hours: Mon-Fri 08-12 + 13-17, Sat 08-12, Sun closed.
DEFAULT_HOURS: dict[int, tuple[Interval, ...]] = {
    **dict.fromkeys(range(5), (_MORNING, _AFTERNOON)),
    5: (_MORNING,),
    6: (),
}

# How many closed days in a row a search crosses before deciding the calendar never opens again.
MAX_CLOSED_RUN_DAYS = 3 * 366

HolidaySource = Callable[[int], Iterable[date]] | Iterable[date]


@lru_cache(maxsize=64)
def indonesian_holidays(year: int) -> frozenset[date]:
    """Indonesia's public holidays and the government's cuti bersama (joint leave) of one year."""
    return frozenset(
        holidays_lib.country_holidays(
            "ID", years=year, categories=(holidays_lib.PUBLIC, holidays_lib.GOVERNMENT)
        )
    )


def validate_intervals(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted intervals of one day; ValueError if one does not open before it closes or two overlap."""
    ordered = tuple(sorted(intervals))
    for opens, closes in ordered:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("working hours are wall-clock times without a time zone")
        if not opens < closes:
            raise ValueError(f"an interval must open before it closes ({opens:%H:%M}-{closes:%H:%M})")
    for (_o1, closes), (opens, _c2) in pairwise(ordered):
        if opens < closes:
            raise ValueError(f"intervals overlap ({opens:%H:%M} is before {closes:%H:%M})")
    return ordered


class BusinessCalendar:
    """Working time of one shop. Pure: built from values, no database access in any method.

    hours: weekday (0 = Monday .. 6 = Sunday) -> that day's opening intervals (wall-clock times);
        a weekday left out is closed. Defaults to DEFAULT_HOURS.
    holidays: closed dates, or a function year -> closed dates called once per year a computation
        touches (indonesian_holidays for the shop).
    closures: the seller's own closed dates (cuti bersama rows, shop closures, extra holidays).
    working_overrides: dates worked although normally closed (a Saturday replacing a holiday);
        they win over holidays and closures. Such a day works its weekday's hours, or, on a
        weekday with none (Sunday), the hours of the first weekday from Monday that has some.
    tz: the zone the hours are in.
    """

    def __init__(
        self,
        *,
        hours: Mapping[int, Sequence[Interval]] | None = None,
        holidays: HolidaySource = (),
        closures: Iterable[date] = (),
        working_overrides: Iterable[date] = (),
        tz: str | tzinfo = "Asia/Jakarta",
    ) -> None:
        week = DEFAULT_HOURS if hours is None else hours
        unknown = set(week) - set(range(7))
        if unknown:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {sorted(unknown)}")
        self._hours = tuple(validate_intervals(week.get(weekday, ())) for weekday in range(7))
        if not any(self._hours):
            raise ValueError("a business calendar needs working hours on at least one weekday")
        self._override_hours = next(day for day in self._hours if day)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        if callable(holidays):
            self._holiday_source: Callable[[int], Iterable[date]] | None = holidays
            self._holidays: frozenset[date] = frozenset()
        else:
            self._holiday_source = None
            self._holidays = frozenset(holidays)
        self._holiday_years: dict[int, frozenset[date]] = {}
        self._closures = frozenset(closures)
        self._overrides = frozenset(working_overrides)
        # Per-instance memo of each day's intervals in UTC; bounded, thread-safe.
        self._intervals = lru_cache(maxsize=8192)(self._day_intervals)

    def __repr__(self) -> str:
        return (f"<BusinessCalendar {self.tz} closures={len(self._closures)} "
                f"overrides={len(self._overrides)}>")

    # -- days -------------------------------------------------------------------------------

    def _is_holiday(self, day: date) -> bool:
        if self._holiday_source is None:
            return day in self._holidays
        year_days = self._holiday_years.get(day.year)
        if year_days is None:
            year_days = self._holiday_years[day.year] = frozenset(self._holiday_source(day.year))
        return day in year_days

    def _day_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """That day's opening intervals as UTC datetimes (empty when the shop is closed)."""
        if day in self._overrides:
            hours = self._hours[day.weekday()] or self._override_hours
        elif day in self._closures or self._is_holiday(day):
            return ()
        else:
            hours = self._hours[day.weekday()]
        result = []
        for opens, closes in hours:
            start = datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC)
            end = datetime.combine(day, closes, tzinfo=self.tz).astimezone(UTC)
            if end > start:  # an interval swallowed by a daylight-saving jump has no time in it
                result.append((start, end))
        return tuple(result)

    def is_working_day(self, day: date) -> bool:
        """A day with working hours that is no public holiday, cuti bersama or closure."""
        return bool(self._intervals(_as_date(day)))

    def add_working_days(self, day: date, n: int) -> date:
        """The date n working days after `day` (before it when n < 0); `day` itself when n == 0.

        From a working day d, working_days_between(d, add_working_days(d, n)) == n.
        """
        current = _as_date(day)
        step = 1 if n > 0 else -1
        remaining, closed_run = abs(n), 0
        while remaining:
            current += timedelta(days=step)
            if self._intervals(current):
                remaining -= 1
                closed_run = 0
            else:
                closed_run = self._closed_day(closed_run)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in [start, end); 0 when end is not after start."""
        current, end = _as_date(start), _as_date(end)
        count = 0
        while current < end:
            if self._intervals(current):
                count += 1
            current += timedelta(days=1)
        return count

    def end_of_day(self, day: date) -> datetime:
        """The moment the shop closes on that working day; ValueError on a closed day."""
        intervals = self._intervals(_as_date(day))
        if not intervals:
            raise ValueError(f"{day} is not a working day")
        return intervals[-1][1].astimezone(self.tz)

    # -- moments ----------------------------------------------------------------------------

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself if the shop is open then, else the next moment it opens.

        Closing times are not open: at 12:00 sharp with a 12:00-13:00 break this is 13:00.
        """
        at = _utc(moment, "moment")
        day, closed_run = self._local_date(at), 0
        while True:
            for start, end in self._intervals(day):
                if at < end:
                    return max(start, at).astimezone(self.tz)
            closed_run = self._closed_day(closed_run) if not self._intervals(day) else 0
            day += timedelta(days=1)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest moment at which `duration` of working time has passed since `start`.

        Time outside working hours does not count; a result that falls on a closing time stays
        there (4 working hours from 13:00 is 17:00 the same day, not 08:00 the next). A zero
        duration returns `start`; a negative one raises ValueError.
        """
        at = _utc(start, "start")
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        remaining = duration
        if not remaining:
            return at.astimezone(self.tz)
        day, closed_run = self._local_date(at), 0
        while True:
            intervals = self._intervals(day)
            for interval_start, interval_end in intervals:
                if interval_end <= at:
                    continue
                begin = max(interval_start, at)
                available = interval_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
            closed_run = self._closed_day(closed_run) if not intervals else 0
            day += timedelta(days=1)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero when end is not after start."""
        low, high = _utc(start, "start"), _utc(end, "end")
        total = timedelta(0)
        if high <= low:
            return total
        day, last = self._local_date(low), self._local_date(high)
        while day <= last:
            for interval_start, interval_end in self._intervals(day):
                overlap = min(interval_end, high) - max(interval_start, low)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def cutoff_deadline(self, moment: datetime, cutoff: time) -> datetime:
        """Close of the working day `moment` counts for under a daily cut-off.

        "Paid before 15:00 ships today, else the next working day": a moment on a working day,
        before `cutoff` (wall-clock time in the calendar's zone) and before that day's closing
        counts for that day; anything later, or on a closed day, counts for the next working day.
        """
        if cutoff.tzinfo is not None:
            raise ValueError("cutoff is a wall-clock time without a time zone")
        at = _utc(moment, "moment")
        local = at.astimezone(self.tz)
        today = local.date()
        intervals = self._intervals(today)
        if intervals and local.time() < cutoff and at < intervals[-1][1]:
            return self.end_of_day(today)
        return self.end_of_day(self.add_working_days(today, 1))

    # -- helpers ----------------------------------------------------------------------------

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    @staticmethod
    def _closed_day(closed_run: int) -> int:
        closed_run += 1
        if closed_run > MAX_CLOSED_RUN_DAYS:
            raise ValueError(f"the calendar stays closed for more than {MAX_CLOSED_RUN_DAYS} days in a row")
        return closed_run


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def _as_date(day: date) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, not {type(day).__name__}")
    return day


# -- the shop's calendar --------------------------------------------------------------------

VERSION_KEY = "core:business-calendar:version"
# How stale another process's calendar may be after a change: it re-reads the version this often.
VERSION_CHECK_SECONDS = 2.0

# The shared version as this process last read it (re-read once it is VERSION_CHECK_SECONDS old),
# and the calendar built for each version (kept until the version changes or _publish_change).
_version: TTLCache[str | None] = TTLCache(ttl=VERSION_CHECK_SECONDS, max_entries=1)
_calendars: TTLCache[BusinessCalendar] = TTLCache(ttl=float("inf"), max_entries=4)
# Set while this thread's open transaction has changed the calendar and not committed yet.
_pending = threading.local()


def build_business_calendar() -> BusinessCalendar:
    """The shop's calendar read from the database now (two queries); prefer business_calendar()."""
    from core.models import CalendarClosure, WorkingHours

    week: dict[int, list[Interval]] = {}
    for weekday, opens, closes in WorkingHours.objects.values_list("weekday", "opens", "closes"):
        week.setdefault(weekday, []).append((opens, closes))
    closures, overrides = [], []
    for day, kind in CalendarClosure.objects.values_list("date", "kind"):
        (overrides if kind == CalendarClosure.Kind.WORKING_OVERRIDE else closures).append(day)
    return BusinessCalendar(
        hours=week or None, holidays=indonesian_holidays, closures=closures, working_overrides=overrides,
        tz=settings.TIME_ZONE,
    )


def business_calendar() -> BusinessCalendar:
    """The shop's calendar, cached per process.

    A change to working hours or closures publishes a new version in the shared cache when its
    transaction commits; this process drops its copy at once, others within
    VERSION_CHECK_SECONDS. Inside the transaction that made a change, the calendar is read fresh
    (and not kept), so that transaction sees its own change and a rollback leaves nothing behind.
    """
    if getattr(_pending, "active", False):
        if transaction.get_connection().in_atomic_block:
            return build_business_calendar()
        _pending.active = False  # that transaction ended without a commit
    # The version before the rows: a change committed meanwhile only causes one more rebuild.
    version = _version.get_or_set("version", lambda: cache.get(VERSION_KEY))
    return _calendars.get_or_set(version, build_business_calendar)


def business_calendar_invalidate() -> None:
    """Tell every process the calendar changed (after commit when inside a transaction).

    Called by the WorkingHours / CalendarClosure signals; call it after writing those rows in a
    way that sends no signals (bulk_create, queryset update).
    """
    if transaction.get_connection().in_atomic_block:
        _pending.active = True
    transaction.on_commit(_publish_change)


def _publish_change() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    forget_cached_calendar()


def forget_cached_calendar() -> None:
    """Drop this process's copy only (tests start from a clean process state)."""
    _pending.active = False
    _version.clear()
    _calendars.clear()


def _on_calendar_row_changed(sender, **kwargs) -> None:
    business_calendar_invalidate()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from core.models import CalendarClosure, WorkingHours

    for model in (WorkingHours, CalendarClosure):
        post_save.connect(_on_calendar_row_changed, sender=model, dispatch_uid=f"deadlines.saved.{model.__name__}")
        post_delete.connect(_on_calendar_row_changed, sender=model,
                            dispatch_uid=f"deadlines.deleted.{model.__name__}")
