"""One formatting layer (issue 10.4): money, numbers, percentages and dates in both languages, on the
main pages, and form limits in words people read."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from catalog.services import stock_receive
from channels.models import Channel
from core import formatting
from core.forms import QUANTITY_MAX, WEIGHT_MAX_GRAMS, bound_numbers
from orders.services import CustomerInput, LineInput, order_create
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory

JAKARTA = ZoneInfo("Asia/Jakarta")

# Money written without grouping ("Rp 282496", "IDR282496"), a raw BigIntegerField bound, Django's
# English default date ("Dec. 3, 2026") or its Indonesian one with a dot ("3 Des. 2026").
RAW_MONEY = re.compile(r"(Rp|IDR)\s?\d{4,}")
GIANT = "9223372036854775807"
DJANGO_DATES = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Agu|Sep|Oct|Okt|Nov|Dec|Des)\.\s")


@pytest.mark.parametrize(("language", "expected"), [("id", "Rp 282.496"), ("en", "IDR 282,496")])
def test_money_is_whole_rupiah_grouped_the_readers_way(language, expected):
    assert formatting.money(282_496, language=language) == expected


def test_money_follows_the_active_language_and_shows_negatives_and_empties():
    with translation.override("en"):
        assert formatting.money(-1_250_000) == "-IDR 1,250,000"
    with translation.override("id"):
        assert formatting.money(-1_250_000) == "-Rp 1.250.000"
        assert formatting.money(None) == "-"
        assert formatting.money(0) == "Rp 0"


def test_numbers_and_percentages_in_both_languages():
    assert formatting.number(1_234_567, language="id") == "1.234.567"
    assert formatting.number(1_234_567, language="en") == "1,234,567"
    assert formatting.number(Decimal("2.5"), places=2, language="id") == "2,50"
    assert formatting.percent(Decimal("12.5"), language="id") == "12,5%"
    assert formatting.percent(Decimal("12.5"), language="en") == "12.5%"
    assert formatting.percent(Decimal("12.345"), places=2, language="en") == "12.35%"  # half up, like core.money
    assert formatting.percent(3, language="id") == "3%"


def test_dates_have_one_shape_in_both_languages_in_jakarta_time():
    moment = datetime(2026, 12, 3, 20, 5, tzinfo=ZoneInfo("UTC"))  # 4 Dec 03:05 in Jakarta
    with translation.override("id"):
        assert formatting.datetime_short(moment) == "4 Des 2026 03:05"
        assert Template("{{ d }}|{{ d|date }}").render(Context({"d": moment})) == "4 Des 2026 03:05|4 Des 2026"
    with translation.override("en"):
        assert formatting.date_short(moment) == "4 Dec 2026"
        assert Template("{{ d }}").render(Context({"d": moment})) == "4 Dec 2026 03:05"


def test_template_filters_use_the_layer():
    template = Template("{% load oms %}{{ a|rupiah }} · {{ n|number }} · {{ p|percent }} · {{ none|rupiah }}")
    context = Context({"a": 282_496, "n": 12_345, "p": Decimal("7.25"), "none": None})
    with translation.override("id"):
        assert template.render(context) == "Rp 282.496 · 12.345 · 7,3% · -"
    with translation.override("en"):
        assert template.render(context) == "IDR 282,496 · 12,345 · 7.3% · -"


class _Numbers(forms.Form):
    quantity = forms.IntegerField(min_value=1)
    weight_grams = forms.IntegerField(min_value=0)
    stock_cap = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)


def test_every_whole_number_gets_a_sane_bound_and_an_indonesian_message():
    with translation.override("id"):
        form = _Numbers({"quantity": "100001", "weight_grams": "1000001", "stock_cap": GIANT})
        assert not form.is_valid()

    assert form.errors["quantity"] == ["Masukkan angka paling besar 100.000."]
    assert form.errors["weight_grams"] == ["Masukkan angka paling besar 1.000.000."]
    assert "1.000.000.000" in form.errors["stock_cap"][0]
    assert form.fields["quantity"].widget.attrs["max"] == str(QUANTITY_MAX)
    assert form.fields["weight_grams"].max_value == WEIGHT_MAX_GRAMS
    assert GIANT not in str(form.errors)


def test_a_product_weight_above_a_tonne_is_refused_in_words(staff_client):
    client = staff_client()

    response = client.post(reverse("catalog:product-create"), {
        "name": "Karung", "weight_grams": GIANT, "length_cm": "1", "width_cm": "1", "height_cm": "1",
    })

    html = response.content.decode()
    assert response.status_code in (200, 400)
    assert GIANT not in html.replace(f'value="{GIANT}"', "")
    assert "Masukkan angka paling besar 1.000.000." in html


def test_a_manual_order_without_lines_asks_for_a_product_not_a_form(staff_client):
    client = staff_client()
    channel = ChannelFactory(kind=Channel.Kind.WHATSAPP, name="WA", code="WA")

    response = client.post(reverse("orders:create"), {
        "channel": channel.pk, "customer_phone": "0812-7777-8888", "customer_name": "Rina",
        "payment_method": "bank_transfer", "shipping_amount": "0", "discount_amount": "0",
        "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100",
    })

    html = response.content.decode()
    assert "Tambahkan minimal satu produk ke pesanan." in html
    assert "Please submit" not in html


@pytest.fixture
def big_order(db):
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Toko Web", code="WEB")
    variant = VariantFactory(sku="SOFA-3", name="Sofa 3 dudukan", price_amount=141_248)
    stock_receive(variant_id=variant.pk, quantity=12_345, reason="stok awal")
    return order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=2)],
                        customer=CustomerInput(name="Budi Santoso", phone="0812-3456-7890"))


@pytest.mark.parametrize("language", ["id", "en"])
def test_main_pages_show_no_raw_amounts_giant_bounds_or_mixed_dates(staff_client, settings, big_order, language):
    client = staff_client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    pages = [
        reverse("dashboard:home"),
        reverse("orders:list"),
        reverse("orders:detail", args=[big_order.pk]),
        reverse("orders:create"),
        reverse("catalog:product-list"),
        reverse("track:order", kwargs={"number": big_order.number, "key": big_order.access_key}),
    ]
    expected_total = formatting.money(282_496, language=language)

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not RAW_MONEY.search(html), (url, RAW_MONEY.search(html).group(0))
        assert GIANT not in html, url
        assert not DJANGO_DATES.search(html), (url, DJANGO_DATES.search(html).group(0))
        if url != reverse("orders:create") and "catalog" not in url and url != reverse("dashboard:home"):
            assert expected_total in html, url
