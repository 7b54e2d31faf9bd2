"""Every KPI of the reports against the hand-built shop of conftest.py, compared exactly.

The shop has cancellations, a return refund (and an overpayment refund that is not revenue), a
customer buying on two channels, orders a minute either side of midnight in Asia/Jakarta, and a
cost change between two sales of the same product.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from analytics.filters import ReportFilters
from analytics.reports import report_build
from analytics.services.inputs import spend_set, visits_set
from analytics.services.rollups import rollup_refresh
from core.money import divide_idr, ratio_percent
from tests.analytics.conftest import RANGE, SPECS, expected_order, expected_totals, kept_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(shop):
    rollup_refresh()
    return shop


def _filters(shop, **kwargs) -> ReportFilters:
    return ReportFilters(start=kwargs.pop("start", RANGE[0]), end=kwargs.pop("end", RANGE[1]), **kwargs)


def test_sales_kpis_equal_the_hand_computed_figures_with_both_comparisons(refreshed):
    # given the shop, when the sales report of 1-7 March is built
    report = report_build(name="sales", filters=_filters(refreshed))
    now = expected_totals(*RANGE)
    prev = expected_totals(date(2026, 2, 22), date(2026, 2, 28))
    last_year = expected_totals(date(2025, 3, 1), date(2025, 3, 7))

    # then each KPI is exactly the independent figure, for the three periods
    for key, figure in (("orders", "orders"), ("units", "units"), ("gross", "gross"), ("discounts", "discount"),
                        ("fees", "fee"), ("refunds", "refund"), ("net", "net"), ("cancelled", "cancelled")):
        kpi = report.kpi(key)
        assert (kpi.value, kpi.previous, kpi.last_year) == (now[figure], prev[figure], last_year[figure]), key
    assert report.kpi("aov").value == divide_idr(now["gross"] - now["discount"], now["orders"])
    assert now["orders"] == 4 and now["cancelled"] == 1 and prev["orders"] == 1 and last_year["orders"] == 1


def test_an_order_a_minute_before_midnight_jakarta_counts_on_that_day_and_one_after_on_the_next(refreshed):
    report = report_build(name="sales", filters=_filters(refreshed, start=date(2026, 3, 1), end=date(2026, 3, 8)))
    by_day = {row["period"]: row for row in report.table("by_period").rows}

    # o1 and o2 (23:59 WIB) on 1 March; o3 (00:05 WIB, 17:05 UTC the day before) cancelled on 2 March
    assert by_day["2026-03-01"]["orders"] == 2
    assert by_day["2026-03-01"]["net_amount"] == expected_order(SPECS[2])["net"] + expected_order(SPECS[3])["net"]
    assert by_day["2026-03-02"]["orders"] == 0
    # o5 at 23:30 WIB on 7 March, o_next at 00:10 WIB on 8 March (still 7 March in UTC)
    assert by_day["2026-03-07"]["orders"] == 1 and by_day["2026-03-08"]["orders"] == 1


def test_profit_uses_the_cost_valid_when_each_order_was_placed(refreshed):
    report = report_build(name="profit", filters=_filters(refreshed))
    now = expected_totals(*RANGE)

    # o1 and o2 sold A at 40.000, o4 after the change at 45.000
    assert now["cogs"] == 2 * 40_000 + (20_000 + 40_000) + 3 * 45_000 + 20_000
    assert report.kpi("cogs").value == now["cogs"]
    assert report.kpi("packing").value == now["packing"] == 2 * 2_000
    assert report.kpi("margin").value == now["margin"]
    assert report.kpi("margin_percent").value == ratio_percent(now["margin"], now["net"])
    assert report.kpi("loss_orders").value == 1


def test_loss_making_orders_are_listed_with_their_margin_and_a_link(refreshed):
    report = report_build(name="profit", filters=_filters(refreshed))
    rows = report.table("loss_orders").rows
    o5 = refreshed.orders["o5"]

    assert [r["order"] for r in rows] == [o5.number]
    assert rows[0]["margin_amount"] == expected_order(SPECS[6])["margin"] == -2_000
    assert rows[0]["url"].endswith(f"/orders/{o5.pk}/")


def test_margin_and_sales_per_channel(refreshed):
    report = report_build(name="profit", filters=_filters(refreshed))
    by_channel = {r["channel"]: r for r in report.table("by_channel").rows}
    for name, code in (("Toko Web", "web"), ("Shopee", "shp")):
        figures = expected_totals(*RANGE, channel=code)
        row = by_channel[name]
        assert (row["net_amount"], row["cogs_amount"], row["fee_amount"], row["packing_amount"],
                row["margin_amount"]) == (figures["net"], figures["cogs"], figures["fee"], figures["packing"],
                                          figures["margin"])


def test_a_channel_filter_keeps_only_that_channels_orders(refreshed):
    report = report_build(name="sales", filters=_filters(refreshed, channel_id=refreshed.shp.pk))
    figures = expected_totals(*RANGE, channel="shp")
    assert (report.kpi("orders").value, report.kpi("net").value) == (figures["orders"], figures["net"])


def test_a_city_filter_reads_the_geo_rollup(refreshed):
    report = report_build(name="sales", filters=_filters(refreshed, city="Bandung"))
    budi = [s for s in kept_in(*RANGE) if s.who == "budi"]  # Budi ships to Bandung
    assert report.kpi("orders").value == len(budi) == 3
    assert report.kpi("net").value == sum(expected_order(s)["net"] for s in budi)
    assert [r["city"] for r in report.table("by_city").rows] == ["Bandung"]


def test_top_products_allocate_order_fees_to_lines_exactly(refreshed):
    report = report_build(name="sales", filters=_filters(refreshed))
    rows = {r["product"]: r for r in report.table("top_products").rows}

    # o2's fee (5% of 135.000 + 1.000 = 7.750) is shared by value: floor(7.750 × 50/135) = 2.870 to the
    # first line (B), the remainder 4.880 to the last (A)
    net_a = (2 * 85_000 - 5_000 - 10_000) + (85_000 - 4_880) + expected_order(SPECS[5])["net"]
    net_b = (50_000 - 2_870) + expected_order(SPECS[6])["net"]
    assert (rows["Kaos A"]["units"], rows["Kaos A"]["net_amount"]) == (6, net_a)
    assert (rows["Topi B"]["units"], rows["Topi B"]["net_amount"]) == (2, net_b)
    assert net_a + net_b == expected_totals(*RANGE)["net"]
    assert (rows["Kaos A"]["orders"], rows["Topi B"]["orders"]) == (3, 2)


def test_a_product_filter_counts_the_orders_containing_it(refreshed):
    report = report_build(name="sales", filters=_filters(refreshed, product_id=refreshed.variants["B"].product_id))
    assert report.kpi("orders").value == 2  # o2 and o5; o3 is cancelled
    assert report.kpi("cancelled").value == 1
    assert report.kpi("units").value == 2


def test_a_category_filter_counts_the_orders_containing_its_products(refreshed):
    report = report_build(name="sales", filters=_filters(refreshed, category="Pakaian"))
    assert report.kpi("orders").value == 3  # o1, o2, o4
    assert report.kpi("units").value == 6


def test_a_category_filter_follows_a_product_moved_to_another_category_after_a_refresh(refreshed):
    from catalog.models import Product

    # given Topi B (o2, o5 kept; o3 cancelled) moved from Aksesoris to Pakaian, beside Kaos A (o1, o2, o4)
    Product.objects.filter(pk=refreshed.variants["B"].product_id).update(category="Pakaian")
    # when the next refresh runs (no order changed: no key is marked dirty)
    assert rollup_refresh(scan=False).keys == 0
    pakaian = report_build(name="sales", filters=_filters(refreshed, category="Pakaian"))
    aksesoris = report_build(name="sales", filters=_filters(refreshed, category="Aksesoris"))

    # then each order counts once in its new category: o1, o2 (both products), o4, o5; o3 cancelled
    assert pakaian.kpi("orders").value == 4
    assert pakaian.kpi("cancelled").value == 1
    assert pakaian.kpi("units").value == 8
    assert aksesoris.kpi("orders").value == 0
    assert aksesoris.kpi("units").value == 0


def test_new_and_returning_customers_across_channels_and_a_cancelled_first_order(refreshed):
    report = report_build(name="customers", filters=_filters(refreshed))

    # Budi: o1 is new, o2 (Shopee) and o5 return; Siti's o3 is cancelled, so o4 is her first order
    assert report.kpi("new").value == 2
    assert report.kpi("returning_orders").value == 2
    assert report.kpi("active").value == 2
    assert report.kpi("repeat_rate").value == Decimal("50.0")  # Budi has 2+ orders, Siti 1
    assert report.kpi("returning_share").value == ratio_percent(2, 4)
    rows = {r["period"]: r for r in report.table("new_vs_returning").rows}
    assert rows["2026-03-01"]["new_customers"] == 1 and rows["2026-03-06"]["new_customers"] == 1


@pytest.mark.parametrize(("start", "end", "channel", "active", "repeat_rate"), [
    # Siti's o4 is her first kept order (o3 cancelled); Budi's o5 follows his o1/o2 of 1 March
    (date(2026, 3, 6), date(2026, 3, 7), None, 2, Decimal("50.0")),
    # o5 alone in the range and the channel: Budi bought before the range, so he is a repeat buyer
    (date(2026, 3, 7), date(2026, 3, 7), "web", 1, Decimal("100.0")),
    # o2 (Shopee) alone in the channel, but o1 (web) the same day is his second order by the end
    (date(2026, 3, 1), date(2026, 3, 1), "shp", 1, Decimal("100.0")),
    (date(2026, 3, 6), date(2026, 3, 6), "shp", 1, Decimal("0.0")),
    # whole months (read from ActivityMonthly) with and without edge days: Budi, Siti (one order, o4)
    # and Andi (o_prev in February before o_next)
    (date(2026, 3, 1), date(2026, 3, 31), None, 3, Decimal("66.7")),
    (date(2026, 3, 1), date(2026, 3, 31), "web", 2, Decimal("100.0")),
    (date(2026, 2, 15), date(2026, 3, 31), None, 3, Decimal("66.7")),
    (date(2026, 2, 1), date(2026, 2, 28), None, 1, Decimal("0.0")),
    # a year: Dewi (o_ly), Andi (only o_prev by 5 March) and Budi (o1, o2)
    (date(2025, 3, 1), date(2026, 3, 5), None, 3, Decimal("33.3")),
    (date(2025, 3, 1), date(2026, 3, 5), "shp", 1, Decimal("100.0")),
])
def test_repeat_rate_counts_every_kept_order_up_to_the_end_of_the_range(refreshed, start, end, channel, active,
                                                                         repeat_rate):
    channel_id = getattr(refreshed, channel).pk if channel else None
    report = report_build(name="customers", filters=_filters(refreshed, start=start, end=end, channel_id=channel_id))
    assert report.kpi("active").value == active
    assert report.kpi("repeat_rate").value == repeat_rate


@pytest.mark.parametrize(("start", "end", "place", "active", "repeat_rate"), [
    # Budi (Bandung, Jawa Barat): o5 alone in the range, his first order (o1) was before it
    (date(2026, 3, 6), date(2026, 3, 7), {"province": "Jawa Barat"}, 1, Decimal("100.0")),
    # o1 and o2 the same day: two kept orders by the end
    (date(2026, 3, 1), date(2026, 3, 1), {"city": "Bandung"}, 1, Decimal("100.0")),
    # Siti's o4 is her first kept order (o3 cancelled) and she has no other
    (date(2026, 3, 6), date(2026, 3, 6), {"province": "Jawa Timur"}, 1, Decimal("0.0")),
    # Andi's o_prev is his first, o_next comes after the end; then with o_next inside the range
    (date(2026, 2, 28), date(2026, 3, 7), {"province": "Jawa Timur"}, 2, Decimal("0.0")),
    (date(2026, 2, 28), date(2026, 3, 8), {"city": "Surabaya"}, 2, Decimal("50.0")),
    # Budi's Shopee order o2 with the place filter: o1 (web) the same day makes it his second
    (date(2026, 3, 1), date(2026, 3, 1), {"city": "Bandung", "channel": "shp"}, 1, Decimal("100.0")),
    (date(2026, 3, 1), date(2026, 3, 31), {"city": "Surabaya", "channel": "shp"}, 1, Decimal("0.0")),
    # every order leaves from the one warehouse: the same figures as without a filter
    (RANGE[0], RANGE[1], {"warehouse": True}, 2, Decimal("50.0")),
])
def test_repeat_rate_with_a_place_or_warehouse_filter_counts_orders_anywhere(refreshed, start, end, place, active,
                                                                            repeat_rate):
    from analytics.models import OrderFact

    place = dict(place)
    if place.pop("warehouse", False):
        place["warehouse_id"] = OrderFact.objects.values_list("warehouse_id", flat=True).distinct().get()
    if "channel" in place:
        place["channel_id"] = getattr(refreshed, place.pop("channel")).pk
    report = report_build(name="customers", filters=_filters(refreshed, start=start, end=end, **place))
    assert report.kpi("active").value == active
    assert report.kpi("repeat_rate").value == repeat_rate


def test_conversion_counts_orders_on_the_days_with_visits(refreshed):
    visits_set(channel_id=refreshed.web.pk, day=date(2026, 3, 1), visits=100)
    visits_set(channel_id=refreshed.web.pk, day=date(2026, 3, 7), visits=50)
    report = report_build(name="conversion", filters=_filters(refreshed))

    assert report.kpi("visits").value == 150
    assert report.kpi("conversion").value == ratio_percent(2, 150, places=2)  # o1 (1 March), o5 (7 March)
    row = next(r for r in report.table("by_channel").rows if r["channel"] == "Toko Web")
    assert (row["visits"], row["orders"]) == (150, 2)


def test_acquisition_cost_and_roas_per_channel_and_month(refreshed):
    spend_set(channel_id=refreshed.web.pk, month=date(2026, 3, 1), amount=1_000_000)
    report = report_build(name="acquisition", filters=_filters(refreshed, start=date(2026, 3, 1),
                                                               end=date(2026, 3, 31)))
    row = next(r for r in report.table("by_channel_month").rows if r["channel"] == "Toko Web")
    # new on the web in March: Budi (o1) and Andi? No: Andi's first order is o_prev in February
    web_march = [s for s in SPECS if s.channel == "web" and s.at.month == 3 and s.at.year == 2026 and not s.cancel]
    assert row["new_customers"] == 1
    assert row["cac_amount"] == 1_000_000
    assert row["net_amount"] == sum(expected_order(s)["net"] for s in web_march)
    assert row["roas"] == ratio_percent(row["net_amount"], 1_000_000)


def test_the_change_log_compares_the_window_before_and_after(refreshed, owner):
    from analytics.services.inputs import change_record

    change_record(day=date(2026, 3, 4), kind="price", title="Harga A turun", channel_id=refreshed.shp.pk,
                  window_days=3, actor=owner)
    report = report_build(name="changes", filters=_filters(refreshed))
    row = report.table("changes").rows[0]
    # Shopee, 1-3 March before (o2), 4-6 March after (o4)
    assert (row["orders_before"], row["orders_after"]) == (1, 1)
    assert row["net_before_amount"] == expected_order(SPECS[3])["net"]
    assert row["net_after_amount"] == expected_order(SPECS[5])["net"]


def test_inventory_values_the_stock_at_cost_and_counts_sales(refreshed):
    report = report_build(name="inventory", filters=_filters(refreshed, start=date(2026, 3, 1),
                                                              end=date(2026, 3, 31)))
    # 100 received of each; shipped none (orders are still open), so on hand is 100 of each
    assert report.kpi("stock_value").value == 100 * 45_000 + 100 * 20_000
    assert report.kpi("units_on_hand").value == 200
    rows = {r["sku"]: r for r in report.table("days_of_cover").rows}
    assert rows["KAOS-A"]["units"] == 6 and rows["TOPI-B"]["units"] == 3  # o_next (8 March) counts in March


def test_operations_says_what_is_not_available_instead_of_zero(refreshed):
    report = report_build(name="operations", filters=_filters(refreshed))
    keys = {s.key for s in report.sections if not s.available}
    from django.apps import apps

    installed = {m.__name__ for m in apps.get_app_config("shipping").get_models()}
    if "Shipment" not in installed:
        assert "shipping" in keys
    assert report.kpi("shipped").value == 0


def test_range_end_is_inclusive_and_previous_period_has_the_same_length(refreshed):
    f = _filters(refreshed)
    assert f.previous().start == f.start - timedelta(days=7) and f.previous().end == f.start - timedelta(days=1)


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 15), date(2026, 3, 31)),
    (date(2026, 2, 1), date(2026, 3, 7)), (date(2025, 3, 1), date(2026, 3, 31)),
])
@pytest.mark.parametrize("extra", [{}, {"category": "Pakaian"}, {"channel": "shp"}, {"granularity": "month"}])
def test_whole_months_from_the_monthly_rollups_equal_the_daily_ones(refreshed, start, end, extra):
    from unittest import mock

    extra = dict(extra)
    if "channel" in extra:
        extra["channel_id"] = getattr(refreshed, extra.pop("channel")).pk
    f = _filters(refreshed, start=start, end=end, **extra)
    names = ("sales", "profit", "inventory")
    reports = {name: report_build(name=name, filters=f) for name in names}
    days_only = lambda s, e: (None, [(s, e)])  # noqa: E731
    with mock.patch("analytics.reports.base.month_split", days_only), \
            mock.patch("analytics.reports.inventory.month_cover", lambda s, e: ([], [(s, e)], [])):
        daily = {name: report_build(name=name, filters=f) for name in names}
    for name, report in reports.items():
        assert [(k.key, k.value, k.previous, k.last_year) for k in report.kpis] == \
            [(k.key, k.value, k.previous, k.last_year) for k in daily[name].kpis]
        for table in report.tables:
            assert table.rows == daily[name].table(table.key).rows, (name, table.key)
    assert reports["sales"].table("top_products").rows  # the range has sales


def test_month_cover_reads_a_mostly_covered_month_whole_minus_the_days_outside():
    from analytics.reports.base import month_cover

    # 5 Nov - 4 Dec: November minus 1-4 November, and 1-4 December
    assert month_cover(date(2026, 11, 5), date(2026, 12, 4)) == (
        [date(2026, 11, 1)], [(date(2026, 12, 1), date(2026, 12, 4))], [(date(2026, 11, 1), date(2026, 11, 4))])
    assert month_cover(date(2026, 3, 1), date(2026, 3, 31)) == ([date(2026, 3, 1)], [], [])
    assert month_cover(date(2026, 3, 10), date(2026, 3, 12)) == ([], [(date(2026, 3, 10), date(2026, 3, 12))], [])
    assert month_cover(date(2026, 3, 2), date(2026, 3, 30)) == (
        [date(2026, 3, 1)], [], [(date(2026, 3, 1), date(2026, 3, 1)), (date(2026, 3, 31), date(2026, 3, 31))])
    assert month_cover(date(2025, 12, 5), date(2026, 2, 14)) == (
        [date(2025, 12, 1), date(2026, 1, 1)], [(date(2026, 2, 1), date(2026, 2, 14))],
        [(date(2025, 12, 1), date(2025, 12, 4))])


def test_month_split_reads_whole_months_and_the_edge_days():
    from analytics.reports.base import month_split

    assert month_split(date(2026, 3, 1), date(2026, 3, 31)) == ((date(2026, 3, 1), date(2026, 3, 1)), [])
    assert month_split(date(2026, 2, 15), date(2026, 4, 3)) == (
        (date(2026, 3, 1), date(2026, 3, 1)),
        [(date(2026, 2, 15), date(2026, 2, 28)), (date(2026, 4, 1), date(2026, 4, 3))])
    assert month_split(date(2025, 12, 5), date(2026, 12, 4)) == (
        (date(2026, 1, 1), date(2026, 11, 1)),
        [(date(2025, 12, 5), date(2025, 12, 31)), (date(2026, 12, 1), date(2026, 12, 4))])
    assert month_split(date(2026, 3, 2), date(2026, 3, 31)) == (None, [(date(2026, 3, 2), date(2026, 3, 31))])
    assert month_split(date(2026, 2, 1), date(2026, 3, 30)) == ((date(2026, 2, 1), date(2026, 2, 1)),
                                                                [(date(2026, 3, 1), date(2026, 3, 30))])
