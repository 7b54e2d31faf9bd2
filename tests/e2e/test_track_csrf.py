"""End to end in a real Chromium: the customer's /track/ pages post their forms (the look-up, the
language switch) without Django's CSRF 403.

Issue 10.2: under `Referrer-Policy: no-referrer` a browser sends `Origin: null` with a form POST and
Django answers "Origin checking failed - null does not match any trusted origins". The Django test
client never sends an Origin header, so only a real browser shows it.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from catalog.services import stock_receive
from channels.models import Channel
from orders.services import CustomerInput, LineInput, order_create
from tests.e2e.browser import BROWSER_TEST
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory

pytestmark = BROWSER_TEST


@pytest.fixture(autouse=True)
def _fresh_failure_counter():
    cache.clear()  # the look-up's failure counter lives in Redis
    yield
    cache.clear()


@pytest.fixture
def order():
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    variant = VariantFactory(sku="KAOS-TRACK", name="Hitam / L", price_amount=85_000)
    stock_receive(variant_id=variant.pk, quantity=5, reason="stok awal")
    return order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                        customer=CustomerInput(name="Rina Kusuma", phone="0812-3456-7001"))


def test_customer_looks_up_an_order_and_switches_language_without_a_csrf_403(live_server, page, order):
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status)
            if response.request.method == "POST" else None)

    # given: the look-up page, in Indonesian
    response = page.goto(f"{live_server.url}/track/")
    assert response.status == 200
    assert response.headers["referrer-policy"] == "strict-origin"
    expect(page.locator("h1")).to_have_text("Lacak pesanan Anda")

    # when: the customer posts the look-up form
    page.fill("#id_number", order.number)
    page.fill("#id_contact", "0812-3456-7001")
    page.click("main button[type=submit]")

    # then: the browser lands on the order's signed link, not on a CSRF refusal
    page.wait_for_url(re.compile(rf"/track/{re.escape(order.number)}/{order.access_key}/$"))
    expect(page.locator("body")).to_contain_text(order.number)
    expect(page.locator("body")).not_to_contain_text("CSRF")

    # when: the customer switches the order page to English (the switcher posts to set_language)
    with page.expect_navigation():
        page.select_option("header select[name=language]", "en")

    # then: the same order page, now in English
    page.wait_for_url(re.compile(rf"/track/{re.escape(order.number)}/{order.access_key}/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header")).to_contain_text("Order status")

    # and back to Indonesian from the look-up page itself
    page.goto(f"{live_server.url}/track/")
    with page.expect_navigation():
        page.select_option("header select[name=language]", "id")
    page.wait_for_url(re.compile(r"/track/$"))
    expect(page.locator("html")).to_have_attribute("lang", "id")

    assert statuses and 403 not in statuses, statuses
