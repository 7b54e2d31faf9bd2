"""Demo business calendar: the year's cuti bersama as a seller types them in, one stock-taking
closure and one extra working Sunday before Lebaran. Runs first (core is the first app), so every
later app's deadlines already count with it."""

from __future__ import annotations

from datetime import date, timedelta

import holidays

from core import services
from core.models import CalendarClosure

SKB_NOTE = "SKB 3 Menteri tentang Hari Libur Nasional dan Cuti Bersama"


def _joint_leave_days(year: int) -> list[tuple[date, str]]:
    """The government's cuti bersama of the year (for 2026: SKB 3 Menteri No. 1497/2025, 2/2025, 5/2025)."""
    return sorted(holidays.country_holidays("ID", years=year, categories=(holidays.GOVERNMENT,), language="id").items())


def _eid_al_fitr(year: int) -> date | None:
    public = holidays.country_holidays("ID", years=year, language="en_US")
    return min((day for day, name in public.items() if name.startswith("Eid al-Fitr")), default=None)


def _add(day: date, kind: str, name: str, note: str = "") -> bool:
    if CalendarClosure.objects.filter(date=day, kind=kind).exists():
        return False
    services.calendar_closure_add(day=day, kind=kind, name=name, note=note)
    return True


def seed(ctx) -> None:
    year = ctx.now.year
    added = sum(
        _add(day, CalendarClosure.Kind.CUTI_BERSAMA, name, SKB_NOTE) for day, name in _joint_leave_days(year)
    )
    stock_take = date(year, 12, 31)
    while stock_take.weekday() >= 5:
        stock_take -= timedelta(days=1)
    added += _add(stock_take, CalendarClosure.Kind.SHOP_CLOSURE, "Stock opname akhir tahun",
                  "Gudang tutup untuk hitung stok; pesanan dikirim hari kerja berikutnya.")
    eid = _eid_al_fitr(year)
    if eid is not None:
        sunday_before = eid - timedelta(days=(eid.weekday() + 1) % 7 or 7)
        added += _add(sunday_before, CalendarClosure.Kind.WORKING_OVERRIDE, "Lembur sebelum libur Lebaran",
                      "Kejar pengiriman sebelum kurir libur.")
    ctx.say(f"{added} calendar days for {year} (cuti bersama, stock taking, an extra working Sunday)")
