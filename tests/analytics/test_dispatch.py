"""Dispatch KPIs from the daily dispatch rollups, against figures worked out by hand.

Orders are placed through orders.services; their dispatch times are then set directly (a test
shortcut for the shipping flow), the keys marked as a rebuild would, and the refresh run. The
expected numbers below are written from the definitions (the histogram median by hand), never read
back from the rollups.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from analytics.filters import ReportFilters
from analytics.reports import report_build
from analytics.selectors import operations_headline
from analytics.services.dispatch import bucket_of, histogram_median
from analytics.services.rollups import rollup_mark_all, rollup_refresh
from catalog.services import stock_receive
from channels.models import Channel
from orders.models import Order
from orders.services import CustomerInput, LineInput, order_create
from tests.catalog.factories import VariantFactory
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=WIB)
H = timedelta(hours=1)


def test_histogram_buckets_and_median_by_hand():
    assert [bucket_of(h) for h in (-1, 0.5, 71.99, 72, 77.9, 78, 167.9, 168, 191.9, 192, 719, 720, 5000)] == [
        0, 0, 71, 72, 72, 73, 87, 88, 88, 89, 110, 111, 111]
    # 3 orders in buckets 3, 10, 30: the middle (1.5 of 3) is half-way through bucket 10 -> 10.5 h
    assert histogram_median({3: 1, 10: 1, 30: 1}) == 10.5
    # 4 orders, two in bucket 5 and two in bucket 8: the middle (2 of 4) ends bucket 5 -> 6.0 h
    assert histogram_median({5: 2, 8: 2}) == 6.0
    # bucket 73 is [78, 84): 1 order there, the middle (0.5) -> 81 h
    assert histogram_median({73: 1}) == 81.0
    assert histogram_median({}) is None


@pytest.fixture
def shop(db, django_capture_on_commit_callbacks):
    web = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    shp = ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee", code="SHP", shop_id="shp-d")
    variant = VariantFactory(sku="DSP-1", price_amount=50_000)
    stock_receive(variant_id=variant.pk, quantity=100, reason="stok awal")

    def place(channel, at, city="Bandung"):
        with django_capture_on_commit_callbacks(execute=True), time_machine.travel(at, tick=False):
            return order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                                customer=CustomerInput(name="Pembeli", phone="081299990001"))

    placed = NOW - timedelta(days=3)
    # (channel, placed, paid after, shipped after paid, ship-by after placed, delivered, status, city)
    rows = {
        # shipped 3.5 h after payment, by its ship-by: on time, delivered
        "a": (web, placed, 1 * H, 3.5 * H, 48 * H, True, "delivered", "Bandung"),
        # shipped 10.25 h after payment, after its ship-by (8 h after placing): late
        "b": (web, placed, 1 * H, 10.25 * H, 8 * H, False, "shipped", "Bandung"),
        # shipped 30 h after payment, on time
        "c": (shp, placed, 1 * H, 30 * H, 48 * H, False, "shipped", "Surabaya"),
        # paid, not shipped, ship-by passed: overdue (due and late)
        "d": (shp, placed, 1 * H, None, 24 * H, False, "paid", "Bandung"),
        # paid, not shipped, ship-by still ahead: not due
        "e": (web, NOW - 2 * H, 1 * H, None, 48 * H, False, "paid", "Bandung"),
        # cancelled after shipping: counts nowhere
        "x": (web, placed, 1 * H, 2 * H, 48 * H, False, "cancelled", "Bandung"),
    }
    orders = {}
    for key, (channel, at, paid, shipped, ship_by, delivered, status, city) in rows.items():
        order = place(channel, at)
        paid_at = at + paid
        shipped_at = paid_at + shipped if shipped is not None else None
        Order.objects.filter(pk=order.pk).update(
            status=status, paid_at=paid_at, shipped_at=shipped_at, ship_by=at + ship_by,
            delivered_at=shipped_at + 20 * H if delivered else None, shipping_city=city)
        orders[key] = order
    rollup_mark_all()
    rollup_refresh()
    return {"web": web, "shp": shp, "orders": orders}


def _operations(**kwargs):
    with time_machine.travel(NOW, tick=False):
        day = NOW.date()
        return report_build(name="operations",
                            filters=ReportFilters(start=day - timedelta(days=6), end=day, **kwargs))


def test_dispatch_kpis_equal_the_figures_worked_out_by_hand(shop):
    report = _operations()

    assert report.kpi("shipped").value == 3  # a, b, c (x is cancelled)
    # due: a, b, c (shipped with a ship-by) and d (overdue); on time: a, c
    assert report.kpi("on_time_dispatch").value == Decimal("50.0")
    # paid -> shipped 3.5, 10.25, 30 h: buckets 3, 10, 30 -> median half-way through bucket 10
    assert report.kpi("paid_to_shipped").value == Decimal("10.5")
    assert report.kpi("delivered").value == 1


def test_late_dispatch_by_channel_counts_shipped_late_and_overdue(shop):
    rows = {r["channel"]: r for r in _operations().table("dispatch_by_channel").rows}

    assert (rows["Toko Web"]["due"], rows["Toko Web"]["late"], rows["Toko Web"]["late_rate"]) == (2, 1, Decimal("50.0"))
    assert rows["Toko Web"]["median_hours"] == 4.0  # 3.5 and 10.25: the middle (1 of 2) ends bucket 3
    assert (rows["Shopee"]["due"], rows["Shopee"]["late"], rows["Shopee"]["late_rate"]) == (2, 1, Decimal("50.0"))
    assert rows["Shopee"]["median_hours"] == 30.5


def test_a_channel_filter_and_a_city_filter(shop):
    shp = _operations(channel_id=shop["shp"].pk)
    assert (shp.kpi("shipped").value, shp.kpi("on_time_dispatch").value) == (1, Decimal("50.0"))
    # the city filter reads the orders (no place in the rollups): a, b and the overdue d in Bandung
    bandung = _operations(city="Bandung")
    assert bandung.kpi("shipped").value == 2
    assert bandung.kpi("on_time_dispatch").value == Decimal("33.3")  # a of a, b, d
    assert bandung.kpi("paid_to_shipped").value == Decimal("4.0")


def test_an_order_shipped_later_reaches_the_rollup_on_the_next_refresh(shop, django_capture_on_commit_callbacks):
    from orders.services import order_add_note

    e = shop["orders"]["e"]
    Order.objects.filter(pk=e.pk).update(shipped_at=e.placed_at + 3 * H, status="shipped")
    with django_capture_on_commit_callbacks(execute=True):
        order_add_note(order_id=e.pk, note="dikirim")  # an order event: the change scan marks its key
    rollup_refresh()

    report = _operations()
    assert report.kpi("shipped").value == 4
    # e left 2 h after payment, before its ship-by: on time 3 of 5 due
    assert report.kpi("on_time_dispatch").value == Decimal("60.0")


def test_home_headline_counts(db):
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    variant = VariantFactory(sku="HOME-1", price_amount=50_000)
    stock_receive(variant_id=variant.pk, quantity=100, reason="stok awal")
    with time_machine.travel(NOW, tick=False):
        made = [order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                             customer=CustomerInput(name="Pembeli", phone="081299990002")) for _ in range(5)]
        specs = [  # (status, ship_by, shipped_at)
            ("shipped", NOW - 2 * H, NOW - 3 * H),  # shipped today, on time this month
            ("shipped", NOW - 30 * H, NOW - 1 * H),  # shipped today, late this month
            ("paid", NOW - 1 * H, None),  # late (open, past its ship-by), due this month
            ("processing", NOW + 3 * H, None),  # due today
            ("cancelled", NOW - 1 * H, None),  # counts nowhere
        ]
        for order, (status, ship_by, shipped_at) in zip(made, specs, strict=True):
            Order.objects.filter(pk=order.pk).update(status=status, ship_by=ship_by, shipped_at=shipped_at)
        counts = operations_headline()

    assert counts == {"shipped_today": 2, "due_today": 1, "late": 1, "month_due": 3, "month_on_time": 1,
                      "on_time_percent": Decimal("33.3")}
