"""Ship-by deadlines on the business calendar, with frozen time: cut-off, weekends, holidays, closures."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.deadlines import forget_cached_calendar
from core.models import CalendarClosure
from shipping.models import ChannelShippingPolicy, Shipment, ShipmentStatus
from shipping.selectors import queue_queryset, ship_by_for_order, shipping_settings
from shipping.services.deadlines import cutoff_ship_by, late_dispatch_rates, ldr_window

pytestmark = pytest.mark.django_db
JKT = ZoneInfo("Asia/Jakarta")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=JKT)


@pytest.fixture(autouse=True)
def fresh_calendar():
    forget_cached_calendar()
    yield
    forget_cached_calendar()


@pytest.mark.parametrize(("paid", "deadline"), [
    (at(2026, 11, 27, 14, 0), at(2026, 11, 27, 17, 0)),   # Friday before the cut-off: today
    (at(2026, 11, 27, 16, 0), at(2026, 11, 28, 12, 0)),   # after it: Saturday (open until 12:00)
    (at(2026, 11, 28, 13, 0), at(2026, 11, 30, 17, 0)),   # Saturday afternoon, Sunday closed: Monday
    (at(2026, 11, 29, 10, 0), at(2026, 11, 30, 17, 0)),   # Sunday: Monday
    (at(2026, 12, 23, 16, 0), at(2026, 12, 26, 12, 0)),   # cuti bersama 24th, Christmas 25th: Saturday
    (at(2026, 3, 17, 16, 0), at(2026, 3, 25, 17, 0)),     # Idul Fitri and its cuti bersama
])
def test_the_cutoff_rule_skips_weekends_and_holidays(paid, deadline):
    assert cutoff_ship_by(paid, cfg=shipping_settings()) == deadline


def test_a_shop_closure_the_seller_entered_moves_the_deadline():
    CalendarClosure.objects.create(date=date(2026, 11, 30), kind=CalendarClosure.Kind.SHOP_CLOSURE, name="Stock opname")
    forget_cached_calendar()
    assert cutoff_ship_by(at(2026, 11, 28, 13, 0), cfg=shipping_settings()) == at(2026, 12, 1, 17, 0)


def test_a_channel_policy_adds_working_days():
    assert cutoff_ship_by(at(2026, 11, 27, 14, 0), cfg=shipping_settings(), extra_days=2) == at(2026, 11, 30, 17, 0)


def test_an_own_order_gets_the_cutoff_deadline_and_a_marketplace_order_keeps_its_own(place_order, shopee_channel):
    with time_machine.travel(at(2026, 11, 27, 16, 0), tick=False):
        order = place_order()
        assert ship_by_for_order(order) == at(2026, 11, 28, 12, 0)
        order.ship_by = at(2026, 11, 29, 23, 59)
        assert ship_by_for_order(order) == at(2026, 11, 29, 23, 59)
        ChannelShippingPolicy.objects.create(channel=order.channel, use_marketplace_deadline=False,
                                             dispatch_working_days=1)
        assert ship_by_for_order(order) == at(2026, 11, 30, 17, 0)


def test_at_risk_and_late_queues_follow_the_clock(place_order):
    with time_machine.travel(at(2026, 11, 27, 10, 0), tick=False):
        order = place_order()
        from shipping.services.shipments import shipment_create

        shipment = shipment_create(order_id=order.pk)
        assert shipment.ship_by == at(2026, 11, 27, 17, 0)
        assert not queue_queryset("at_risk").exists() and not queue_queryset("late").exists()
    with time_machine.travel(at(2026, 11, 27, 14, 0), tick=False):
        assert list(queue_queryset("at_risk")) == [shipment]
    with time_machine.travel(at(2026, 11, 27, 17, 1), tick=False):
        assert list(queue_queryset("late")) == [shipment]


def test_late_dispatch_rate_counts_the_last_seven_working_days_per_channel(place_order, web_channel):
    now = at(2026, 11, 30, 18, 0)  # Monday evening
    ChannelShippingPolicy.objects.create(channel=web_channel, late_dispatch_threshold_percent=Decimal("4"))
    start, end = ldr_window(today=now.date())
    assert (start, end) == (date(2026, 11, 23), date(2026, 12, 1))  # Mon..Mon: 7 working days (Sun excluded)
    rows = []
    for n, (deadline, left) in enumerate([
        (at(2026, 11, 24, 17, 0), at(2026, 11, 24, 15, 0)),  # on time
        (at(2026, 11, 25, 17, 0), at(2026, 11, 26, 9, 0)),   # late
        (at(2026, 11, 28, 12, 0), None),                     # never left: late
        (at(2026, 11, 27, 17, 0), at(2026, 11, 27, 16, 59)),  # on time
        (at(2026, 11, 20, 17, 0), None),                     # before the window: not counted
        (at(2026, 12, 1, 17, 0), None),                      # not due yet: not counted
    ]):
        order = place_order()
        rows.append(Shipment(order=order, number=f"LDR-{n}", ship_by=deadline, dispatched_at=left,
                             status=ShipmentStatus.PICKED_UP if left else ShipmentStatus.CREATED))
    Shipment.objects.bulk_create(rows)

    web = next(r for r in late_dispatch_rates(now=now) if r.channel_id == web_channel.pk)

    assert (web.due, web.late) == (4, 2)
    assert web.rate_percent == Decimal("50.0") and web.over_threshold


def test_on_time_flags_per_shipment(place_order):
    order = place_order()
    shipment = Shipment(order=order, number="F-1", ship_by=at(2026, 11, 27, 17, 0),
                        dispatched_at=at(2026, 11, 27, 16, 0), delivered_at=at(2026, 11, 29, 10, 0),
                        etd_min_days=1, etd_max_days=2)
    assert shipment.dispatched_on_time is True and shipment.delivered_within_eta is True
    shipment.delivered_at = shipment.dispatched_at + timedelta(days=4)
    shipment.dispatched_at = at(2026, 11, 28, 9, 0)
    assert shipment.dispatched_on_time is False and shipment.delivered_within_eta is False
