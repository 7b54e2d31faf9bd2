"""End to end in a real Chromium: the order list is dense enough to work through a queue — at least
20 orders visible without scrolling on a 1366x900 laptop screen (issue 10.6)."""

from __future__ import annotations

import os
import re
import shutil

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import sync_playwright

from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from orders.services import AddressInput, CustomerInput, LineInput, order_create
from tests.factories import ChannelFactory, UserFactory
from tests.orders.factories import VariantFactory

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-for-tests-123"
WIDTH, HEIGHT = 1366, 900

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def page():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="id-ID", viewport={"width": WIDTH, "height": HEIGHT})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _orders(count: int) -> None:
    channel = ChannelFactory(kind=Channel.Kind.WHATSAPP, name="WhatsApp Toko Maju Jaya", code="WA")
    shirt = VariantFactory(sku="KAOS-POLOS-HITAM-XL", name="Hitam / XL", price_amount=85_000)
    cap = VariantFactory(sku="TOPI-BASEBALL-NAVY", name="Navy", price_amount=45_000)
    for variant in (shirt, cap):
        stock_receive(variant_id=variant.pk, quantity=1_000, reason="stok awal")
    for n in range(count):
        order_create(
            channel_id=channel.pk,
            lines=[LineInput(sku=shirt.sku, quantity=2), LineInput(sku=cap.sku, quantity=1)],
            customer=CustomerInput(name=f"Pelanggan Setia Nomor {n}", phone=f"0812-5555-{n:04d}"),
            shipping=AddressInput(name=f"Pelanggan {n}", phone=f"0812-5555-{n:04d}", address="Jl. Melati 5",
                                  city="Kota Bandung", province="Jawa Barat", postal_code="40115"),
            shipping_amount=12_000, tags=["reseller"] if n % 3 == 0 else [],
        )


def test_at_least_twenty_orders_are_visible_at_1366_by_900(live_server, page):
    # given: 30 multi-line orders, some tagged, and a customer-service agent
    roles.sync_role_permissions()
    _orders(30)
    UserFactory(username="cs-rina", role=roles.CUSTOMER_SERVICE)

    # when: the agent opens the order list
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboard/orders/")
    page.fill("#id_username", "cs-rina")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/orders/$"))

    # then: 20 or more order rows lie entirely inside the first screen
    bottoms = page.eval_on_selector_all(
        "#orders tbody tr[data-order]", "rows => rows.map(r => r.getBoundingClientRect().bottom)")
    assert len(bottoms) >= 25
    visible = sum(1 for bottom in bottoms if bottom <= HEIGHT)
    page.screenshot(path=os.environ.get("UI_SHOT", "/dev/null")) if os.environ.get("UI_SHOT") else None
    assert visible >= 20, f"only {visible} orders fit in {WIDTH}x{HEIGHT}; row bottoms {bottoms[:5]}..."
    # and nothing is cut sideways: the page and the table fit the width, the status column included
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    status = page.locator("#orders tbody tr[data-order]").first.locator("td").last.bounding_box()
    assert status["x"] + status["width"] <= WIDTH, status
