"""End to end: a customer-service agent types a WhatsApp order in a real Chromium and finds it in the list.

Runs the Django live server on the test database and drives Debian's Chromium through Playwright
(never a downloaded browser).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from orders.models import Order
from tests.e2e.browser import BROWSER_TEST, login
from tests.factories import ChannelFactory, UserFactory
from tests.orders.factories import VariantFactory

pytestmark = BROWSER_TEST


def test_agent_creates_a_whatsapp_order_and_sees_it_in_the_list(live_server, page):
    # given: a WhatsApp channel, a product with 10 in stock and a customer-service agent
    roles.sync_role_permissions()
    channel = ChannelFactory(kind=Channel.Kind.WHATSAPP, name="WhatsApp Toko", code="WA")
    variant = VariantFactory(sku="KAOS-E2E-L", name="Hitam / L", price_amount=85_000)
    stock_receive(variant_id=variant.pk, quantity=10, reason="stok awal")
    UserFactory(username="cs-rina", role=roles.CUSTOMER_SERVICE)

    # when: the agent logs in
    login(page, live_server.url, "cs-rina", "/dashboard/orders/new/")

    # and fills in the chat order: channel, customer by phone, a SKU found with its live stock
    page.select_option("#id_channel", str(channel.pk))
    page.fill("#id_customer_phone", "0812-5555-6666")
    page.fill("#id_customer_name", "Rina Kusuma")
    page.locator("#id_lines-0-sku").press_sequentially("KAOS-E2E", delay=30)
    match = page.locator("[data-pick-variant][data-sku='KAOS-E2E-L']")
    expect(match).to_be_visible()
    expect(match).to_contain_text("10 tersedia")
    page.locator("#id_lines-0-sku").press("Enter")  # takes the first suggestion, does not submit
    expect(page.locator("#id_lines-0-sku")).to_have_value("KAOS-E2E-L")
    expect(page.locator("[data-line-row='0'] [data-stock]")).to_have_text("10 tersedia")
    page.fill("#id_lines-0-quantity", "2")
    page.fill("#id_ship_address", "Jl. Melati No. 5")
    page.fill("#id_ship_city", "Bandung")
    page.fill("#id_ship_postal_code", "40115")
    page.fill("#id_shipping_amount", "12.000")
    page.select_option("#id_payment_method", "cod")
    expect(page.locator("#estimated-total")).to_have_text("Rp 182.000")
    page.click("#create-order")

    # then: the order page shows the new order with its total
    page.wait_for_url(re.compile(r"/dashboard/orders/\d+/$"))
    order = Order.objects.get()
    expect(page.locator("h1")).to_contain_text(order.number)
    expect(page.locator("#order-total")).to_have_text("Rp 182.000")
    assert order.channel == channel
    assert order.customer.phone == "+6281255556666"
    assert [(ln.sku, ln.quantity) for ln in order.lines.all()] == [("KAOS-E2E-L", 2)]

    # and a cash-on-delivery order is confirmed in place (htmx swaps the page body)
    page.click("button[data-action='confirm']")
    expect(page.locator("#order-status")).to_have_text("Diproses")
    expect(page.locator("#order-timeline")).to_contain_text("Diproses")
    assert page.url.endswith(f"/dashboard/orders/{order.pk}/")

    # and the list shows it
    page.goto(f"{live_server.url}/dashboard/orders/")
    row = page.locator(f"tr[data-order='{order.number}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Rina Kusuma")
    expect(row).to_contain_text("Rp 182.000")


def test_a_shortage_is_shown_in_the_browser_and_nothing_is_saved(live_server, page):
    # given: only one unit in stock
    roles.sync_role_permissions()
    channel = ChannelFactory(kind=Channel.Kind.INSTAGRAM, name="Instagram Toko", code="IG")
    variant = VariantFactory(sku="TOPI-E2E", price_amount=40_000)
    stock_receive(variant_id=variant.pk, quantity=1, reason="stok awal")
    scarf = VariantFactory(sku="SYAL-E2E", price_amount=30_000)
    stock_receive(variant_id=scarf.pk, quantity=5, reason="stok awal")
    UserFactory(username="cs-joko", role=roles.CUSTOMER_SERVICE)
    login(page, live_server.url, "cs-joko", "/dashboard/orders/new/")

    # when: the agent orders three
    page.select_option("#id_channel", str(channel.pk))
    page.fill("#id_customer_phone", "0813-1234-9999")
    page.fill("#id_customer_name", "Joko")
    page.fill("#id_lines-0-sku", "TOPI-E2E")
    page.fill("#id_lines-0-quantity", "3")
    # and a second line added with the button, searched like the first
    page.click("#add-line")
    page.locator("#id_lines-1-sku").press_sequentially("SYAL", delay=30)
    expect(page.locator("[data-pick-variant][data-sku='SYAL-E2E']")).to_contain_text("5 tersedia")
    page.locator("#id_lines-1-sku").press("Enter")
    expect(page.locator("#id_lines-1-sku")).to_have_value("SYAL-E2E")
    page.click("#create-order")

    # then: only the short SKU is named, the typed lines are kept, nothing is saved
    expect(page.locator("#shortages")).to_contain_text("TOPI-E2E")
    expect(page.locator("#shortages")).to_contain_text("hanya tersedia 1")
    expect(page.locator("#shortages")).not_to_contain_text("SYAL-E2E")
    expect(page.locator("#id_lines-1-sku")).to_have_value("SYAL-E2E")
    assert Order.objects.count() == 0
