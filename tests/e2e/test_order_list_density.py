"""End to end in a real Chromium: the order list is dense enough to work through a queue — at least
20 orders visible without scrolling on a 1366x900 laptop screen (issue 10.6)."""

from __future__ import annotations

import os

import pytest

from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from orders.services import AddressInput, CustomerInput, LineInput, order_create
from tests.e2e.browser import BROWSER_TEST, login, open_page
from tests.factories import ChannelFactory, UserFactory
from tests.orders.factories import VariantFactory

WIDTH, HEIGHT = 1366, 900
pytestmark = BROWSER_TEST


@pytest.fixture
def page(browser):
    return open_page(browser, width=WIDTH, height=HEIGHT)


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
    login(page, live_server.url, "cs-rina", "/dashboard/orders/")

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
