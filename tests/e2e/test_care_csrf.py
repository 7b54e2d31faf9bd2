"""End to end in a real Chromium: the customer's after-sales forms on the order status page (issue
10.2's class of bug, for /care/) post with Django's CSRF protection on.

The order page is sent with `Referrer-Policy: strict-origin`, so Chromium sends a real `Origin` with
the complaint form and Django's CSRF check accepts it; a form on another site that posts to the
same /care/ URL (even one that knows the order's secret link) is refused with a 403 and no case is
opened.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from aftersales.models import Case
from catalog.services import stock_receive
from channels.models import Channel
from core.deadlines import forget_cached_calendar
from orders.services import (
    CustomerInput,
    LineInput,
    order_create,
)
from tests.e2e.browser import BROWSER_TEST, open_page
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory, deliver

pytestmark = BROWSER_TEST


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # the care actions' rate limit lives in Redis
    yield
    cache.clear()


@pytest.fixture
def delivered_order(settings, tmp_path):
    settings.AFTERSALES_UPLOAD_ROOT = tmp_path / "private"
    forget_cached_calendar()
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    variant = VariantFactory(sku="KAOS-CARE", name="Hitam / L", price_amount=85_000)
    stock_receive(variant_id=variant.pk, quantity=5, reason="stok awal")
    order = order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                         customer=CustomerInput(name="Rina Kusuma", phone="0812-3456-7001"))
    deliver(order, tracking_number="CARE123")
    return order


def test_the_complaint_form_posts_from_the_order_page_with_csrf_protection(live_server, browser, delivered_order):
    order = delivered_order
    page = open_page(browser)
    posts: list[tuple[int, str]] = []
    page.on("response", lambda r: posts.append((r.status, r.request.header_value("origin") or ""))
            if r.request.method == "POST" else None)

    # given: the customer's order status page, sent with a referrer policy that keeps the Origin
    response = page.goto(f"{live_server.url}/track/{order.number}/{order.access_key}/")
    assert response.headers["referrer-policy"] == "strict-origin"

    # when: the customer reports a problem
    page.click("#complaint summary")
    page.select_option("#id_complaint-category", "damaged")
    page.fill("#id_complaint-description", "Jahitan lepas di bagian bahu.")
    page.click("#complaint button[type=submit]")

    # then: the POST carried the site's own Origin, passed the CSRF check and opened the case
    page.wait_for_url(re.compile(rf"/track/{re.escape(order.number)}/{order.access_key}/"))
    case = Case.objects.get(order=order)
    expect(page.locator(f"[data-case='{case.number}']")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("CSRF")
    assert posts and posts[0][0] == 302, posts
    assert posts[0][1] == live_server.url


def test_a_cross_site_post_to_the_complaint_url_is_refused(live_server, browser, delivered_order):
    order = delivered_order
    target = f"{live_server.url}/care/{order.number}/{order.access_key}/complaint/"
    # given: a page on another site with a form aimed at the customer's complaint URL
    attacker = (
        "<!doctype html><html><body>"
        f'<form id="f" method="post" action="{target}">'
        '<input name="complaint-category" value="damaged">'
        '<input name="complaint-description" value="forged">'
        '<button id="go" type="submit">go</button></form></body></html>'
    )
    page = open_page(browser)
    # The customer has visited their order page before (so a CSRF cookie exists on the site).
    page.goto(f"{live_server.url}/track/{order.number}/{order.access_key}/")
    page.route("http://attacker.test/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                       body=attacker))
    page.goto("http://attacker.test/")

    # when: the forged form is submitted from the other site
    with page.expect_response(target) as answer:
        page.click("#go")

    # then: Django's CSRF protection refuses it and nothing was opened
    assert answer.value.status == 403
    assert not Case.objects.filter(order=order).exists()
