"""The demo seeds the year's cuti bersama as a seller types them in."""

from __future__ import annotations

import io
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from core import demo
from core.deadlines import business_calendar
from core.management.commands.seed_demo import DemoContext
from core.models import CalendarClosure

# SKB 3 Menteri No. 1497/2025, 2/2025, 5/2025 (signed 19 September 2025): cuti bersama 2026.
CUTI_BERSAMA_2026 = [
    date(2026, 2, 16),  # Tahun Baru Imlek
    date(2026, 3, 18),  # Nyepi
    date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24),  # Idul Fitri 1447 H
    date(2026, 5, 15),  # Kenaikan Yesus Kristus
    date(2026, 5, 28),  # Idul Adha
    date(2026, 12, 24),  # Natal
]


def _ctx() -> DemoContext:
    return DemoContext(rng=random.Random(1), now=datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Asia/Jakarta")),
                       days=30, stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_seeds_the_published_2026_cuti_bersama_a_closure_and_a_working_sunday():
    demo.seed(_ctx())

    rows = CalendarClosure.objects.order_by("date")
    assert [r.date for r in rows if r.kind == "cuti_bersama"] == CUTI_BERSAMA_2026
    assert [(r.date, r.kind) for r in rows if r.kind != "cuti_bersama"] == [
        (date(2026, 3, 15), "working_override"), (date(2026, 12, 31), "shop_closure")]
    cal = business_calendar()
    assert cal.is_working_day(date(2026, 3, 15)) and not cal.is_working_day(date(2026, 12, 31))


@pytest.mark.django_db
def test_running_the_demo_twice_adds_nothing_more():
    demo.seed(_ctx())
    count = CalendarClosure.objects.count()

    demo.seed(_ctx())

    assert CalendarClosure.objects.count() == count == 10
