"""The customer's order-status page: look-up, signed link, no enumeration, rate limit, sections."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from orders import services, track_views
from orders.models import OrderStatus
from orders.services import CustomerInput
from orders.track_views import TrackSection, track_url
from tests.orders.ui_helpers import advance

LOOKUP = reverse("track:lookup")


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order(place_order):
    return place_order(customer=CustomerInput(name="Budi Santoso", phone="0812-3456-7890", email="budi@example.id"))


def page_shape(response, *echoed: str) -> str:
    html = response.content.decode()
    for value in echoed:
        html = html.replace(value, "<echo>")
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', r"\1<token>", html)


def signed(order) -> str:
    return reverse("track:order", kwargs={"number": order.number, "key": order.access_key})


def test_lookup_form_is_in_indonesian_by_default(client, db):
    response = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="en-US,en")

    assert response.status_code == 200
    assert response["Content-Language"] == "id"
    assert 'lang="id"' in response.content.decode()


def test_lookup_follows_the_language_the_visitor_picked(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(LOOKUP)

    assert response["Content-Language"] == "en"
    assert "Track your order" in response.content.decode()


@pytest.mark.parametrize("contact", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "BUDI@example.id"])
def test_number_and_phone_or_email_redirect_to_the_signed_link(client, order, contact):
    response = client.post(LOOKUP, {"number": order.number.lower(), "contact": contact})

    assert response.status_code == 302
    assert response["Location"] == signed(order)


def test_a_wrong_phone_looks_exactly_like_an_unknown_order(client, order):
    wrong_phone = client.post(LOOKUP, {"number": order.number, "contact": "0813-0000-0000"})
    unknown = client.post(LOOKUP, {"number": "WEB-000000-999999", "contact": "0812-3456-7890"})

    assert wrong_phone.status_code == unknown.status_code == 200
    # The pages differ only in the echoed input and the per-response CSRF mask.
    assert page_shape(wrong_phone, order.number, "0813-0000-0000") == page_shape(
        unknown, "WEB-000000-999999", "0812-3456-7890"
    )
    assert "tidak dapat menemukan" in wrong_phone.content.decode()


def test_failed_lookups_are_rate_limited_per_ip(client, order):
    # given: ten failed attempts from one address
    for i in range(track_views.FAILURE_LIMIT):
        response = client.post(LOOKUP, {"number": f"X-{i}", "contact": "0812-3456-7890"}, REMOTE_ADDR="10.0.0.7")
        assert response.status_code == 200

    # when: the next attempt, even with the right details
    blocked = client.post(LOOKUP, {"number": order.number, "contact": "0812-3456-7890"}, REMOTE_ADDR="10.0.0.7")
    other_ip = client.post(LOOKUP, {"number": order.number, "contact": "0812-3456-7890"}, REMOTE_ADDR="10.0.0.8")

    # then
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(track_views.FAILURE_WINDOW_SECONDS)
    assert "15" in blocked.content.decode()
    assert other_ip.status_code == 302


def test_successful_lookups_do_not_count_towards_the_limit(client, order):
    for _ in range(track_views.FAILURE_LIMIT + 2):
        assert client.post(LOOKUP, {"number": order.number, "contact": "budi@example.id"}).status_code == 302


def test_a_blank_form_is_a_validation_error_not_a_failure(client, db):
    response = client.post(LOOKUP, {"number": "", "contact": ""})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"number", "contact"}


def test_the_signed_link_shows_status_items_amounts_and_payment(client, order):
    response = client.get(signed(order))

    assert response.status_code == 200
    html = response.content.decode()
    line = order.lines.get()
    assert line.name in html
    assert "Rp 100.000" in html
    assert 'id="payment"' in html
    # payments provides its own block (amount with kode unik, accounts); without it, the default
    assert response.context["payment_template"] in {track_views.PAYMENT_TEMPLATE, track_views.DEFAULT_PAYMENT_TEMPLATE}
    assert "no-store" in response["Cache-Control"]
    # the secret link never goes out as a referrer, yet the page's forms still send a real Origin
    assert response["Referrer-Policy"] == "strict-origin"
    assert "noindex" in response["X-Robots-Tag"]


def test_the_link_the_notifications_send_is_site_url_track_number_key(order, settings):
    settings.SITE_URL = "https://toko.example.id"

    assert track_url(order) == f"https://toko.example.id/track/{order.number}/{order.access_key}/"


def test_the_timeline_shows_customer_visible_events_only(client, order):
    # given
    services.order_add_note(order_id=order.pk, note="Pembeli cerewet, hati-hati")
    services.order_set_tags(order_id=order.pk, tags=["rewel"])
    shipped = advance(order, OrderStatus.SHIPPED)

    # when
    response = client.get(signed(shipped))

    # then
    html = response.content.decode()
    assert "cerewet" not in html
    assert "rewel" not in html
    timeline = response.context["timeline"]
    assert [step["status"] for step in timeline] == ["awaiting_payment", "paid", "processing", "packed", "shipped"]
    assert timeline[-1]["detail"] == "JNE JNE123456789"
    assert 'id="payment"' not in html


def test_a_wrong_key_is_404_and_counts_as_a_failure(client, order):
    response = client.get(reverse("track:order", kwargs={"number": order.number, "key": "x" * 32}))

    assert response.status_code == 404
    assert track_views.LINKS.count("ip:127.0.0.1") == 1


def test_an_unknown_number_with_any_key_is_404(client, order):
    response = client.get(reverse("track:order", kwargs={"number": "NOPE-1", "key": order.access_key}))

    assert response.status_code == 404


def test_the_signed_link_still_works_for_a_blocked_address(client, order):
    for _ in range(track_views.FAILURE_LIMIT + 2):
        client.get(reverse("track:order", kwargs={"number": order.number, "key": "x" * 32}))

    assert client.get(signed(order)).status_code == 200


def test_other_apps_add_sections_through_track_sections(client, order, monkeypatch, tmp_path, settings):
    # given: a hook that adds a block for this order only
    template_dir = tmp_path / "templates"
    (template_dir / "shop").mkdir(parents=True)
    (template_dir / "shop" / "_review.html").write_text(
        '<section id="review">{{ section.question }} {{ order.number }}</section>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]

    def review_section(request, shown):
        return TrackSection("shop/_review.html", {"question": "Puas?"}) if shown.pk == order.pk else None

    monkeypatch.setattr(track_views, "TRACK_SECTIONS", [review_section])

    # when
    response = client.get(signed(order))

    # then
    assert f'<section id="review">Puas? {order.number}</section>' in response.content.decode()


def test_a_top_section_renders_before_the_timeline_with_its_context_keys(client, order, monkeypatch, tmp_path,
                                                                        settings):
    # given: a payments-style block whose template expects `info`
    template_dir = tmp_path / "templates"
    (template_dir / "pay").mkdir(parents=True)
    (template_dir / "pay" / "_info.html").write_text('<div id="pay-info">{{ info.code }}</div>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]
    monkeypatch.setattr(
        track_views, "TRACK_SECTIONS", [lambda request, shown: TrackSection("pay/_info.html", {"info": {"code": 417}},
                                                                           position=10)]
    )

    # when
    html = client.get(signed(order)).content.decode()

    # then
    assert '<div id="pay-info">417</div>' in html
    assert html.index('id="pay-info"') < html.index('id="timeline"')


def test_an_app_provided_payment_template_replaces_the_default(client, order, tmp_path, settings):
    template_dir = tmp_path / "templates"
    (template_dir / "orders" / "track").mkdir(parents=True)
    (template_dir / "orders" / "track" / "_payment.html").write_text('<div id="va">VA 8808 {{ order.number }}</div>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]

    response = client.get(signed(order))

    assert f'<div id="va">VA 8808 {order.number}</div>' in response.content.decode()


def test_the_page_never_leaks_the_customers_phone_to_a_lookup_failure(client, order):
    response = client.post(LOOKUP, {"number": order.number, "contact": "0899-1111-2222"})

    assert "+6281234567890" not in response.content.decode()
    assert "Budi" not in response.content.decode()


def test_the_order_page_speaks_indonesian(client, order):
    html = client.get(signed(order)).content.decode()

    assert f"Pesanan {order.number}" in html
    assert "Menunggu pembayaran" in html or "menunggu pembayaran" in html
    assert "Riwayat status" in html


def test_a_forged_forwarded_header_does_not_dodge_the_limit(client, order):
    for i in range(track_views.FAILURE_LIMIT):
        client.post(LOOKUP, {"number": f"X-{i}", "contact": "0812"}, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}")

    response = client.post(LOOKUP, {"number": "X", "contact": "0812"}, HTTP_X_FORWARDED_FOR="9.9.9.9")

    assert response.status_code == 429
