"""End to end in a real Chromium: the owner reads the reports, exports XLSX, follows a compliance breach,
revises an SOP step, and a warehouse staff member acknowledges the revision."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from analytics.services.rollups import rollup_mark_all, rollup_refresh
from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from orders.models import Order
from orders.services import CustomerInput, LineInput, order_create
from sop.handbook_id import handbook_load
from tests.catalog.factories import ProductFactory, VariantFactory
from tests.e2e.browser import BROWSER_TEST, login, open_page
from tests.factories import ChannelFactory, UserFactory

pytestmark = BROWSER_TEST


def _page(browser):
    return open_page(browser, width=1366, accept_downloads=True)


def _shop():
    roles.sync_role_permissions()
    handbook_load()
    web = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    shopee = ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee Toko", code="SHP", shop_id="s1",
                            commission_percent=5)
    variant = VariantFactory(sku="GAMIS-01", product=ProductFactory(name="Gamis Katun", category="Pakaian"),
                             price_amount=150_000, cost_amount=80_000)
    stock_receive(variant_id=variant.pk, quantity=50, reason="stok awal")
    orders = []
    for i, (channel, qty) in enumerate(((web, 2), (web, 1), (shopee, 3))):
        orders.append(order_create(channel_id=channel.pk, lines=[LineInput(variant_id=variant.pk, quantity=qty)],
                                   customer=CustomerInput(name=f"Rina {i}", phone=f"08125555{i:04d}")))
    # A marketplace deadline passed yesterday and the order has not shipped: a breach of "ship by the deadline".
    late = orders[2]
    Order.objects.filter(pk=late.pk).update(ship_by=timezone.now() - timedelta(hours=20))
    rollup_mark_all()
    rollup_refresh()
    UserFactory(username="pemilik", role=roles.OWNER)
    UserFactory(username="gudang-andi", role=roles.WAREHOUSE)
    return web, shopee, late


def test_owner_reads_reports_exports_follows_a_breach_revises_the_sop_and_staff_acknowledge(live_server, browser,
                                                                                         tmp_path):
    web, _shopee, late = _shop()
    base = live_server.url
    page = _page(browser)

    # the owner opens the reports
    login(page, base, "pemilik", "/dashboard/reports/sales/")
    expect(page.locator("#report-title")).to_contain_text("Penjualan")
    expect(page.locator("[data-kpi='orders'] .kpi-value")).to_have_text("3")
    expect(page.locator("canvas[data-chart]").first).to_be_visible()

    # changes the range and the channel
    today = timezone.localdate()
    page.fill("#f-start", (today - timedelta(days=6)).isoformat())
    page.select_option("#f-channel", str(web.pk))
    page.click("#apply-filters")
    page.wait_for_url(re.compile(rf"channel={web.pk}"))
    expect(page.locator("[data-kpi='orders'] .kpi-value")).to_have_text("2")
    net_on_page = int(page.locator("[data-kpi='net'] .kpi-value").get_attribute("data-value"))
    assert net_on_page == 3 * 150_000

    # exports XLSX: the file opens and holds the same numbers
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = load_workbook(path)
    summary = {row[0]: row[1] for row in workbook["Ringkasan"].iter_rows(min_row=3, values_only=True)}
    assert summary["Pesanan"] == 2
    assert summary["Pendapatan bersih"] == net_on_page
    channel_sheet = workbook["Per kanal"]
    rows = list(channel_sheet.iter_rows(min_row=2, values_only=True))
    assert rows == [("Toko Web", 2, 3, 450_000, 450_000, 225_000)]

    # opens the compliance page and follows the breach to its order
    page.goto(f"{base}/dashboard/sop/compliance/")
    breach = page.locator(f"[data-breach='{late.number}']")
    expect(breach).to_be_visible()
    breach.click()
    page.wait_for_url(re.compile(rf"/dashboard/orders/{late.pk}/$"))
    expect(page.locator("h1")).to_contain_text(late.number)

    # revises an SOP step
    page.goto(f"{base}/dashboard/sop/")
    page.click("[data-revise='kirim-tepat-waktu']")
    page.fill("#id_body", "Pesanan dibayar sebelum pukul 14.00 dikirim hari itu.\nCek antrean terlambat pukul 13.00.")
    page.fill("#id_change_summary", "Kurir menjemput lebih awal; batas dimajukan satu jam.")
    page.click("#save-version")
    expect(page.locator("[data-version='2']")).to_contain_text("batas dimajukan satu jam")

    # and a warehouse staff member acknowledges it
    staff = _page(browser)
    login(staff, base, "gudang-andi", "/dashboard/sop/")
    expect(staff.locator("[data-pending='kirim-tepat-waktu']")).to_be_visible()
    staff.click("#acknowledge-all")
    expect(staff.locator("#ack-done")).to_be_visible()
    expect(staff.locator("[data-pending='kirim-tepat-waktu']")).to_have_count(0)
