"""The fast manual order form for chat, social and shop-counter orders, and its htmx look-ups."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import StockLevel
from channels.models import Channel
from core import roles
from orders.models import Customer, Order, OrderEvent

URL = reverse("orders:create")


@pytest.fixture
def wa_channel(make_channel):
    return make_channel(Channel.Kind.WHATSAPP, "WA")


def form_data(channel, *lines, **overrides) -> dict:
    """POST data of the form: lines as (sku, quantity[, unit price[, discount]])."""
    data = {
        "channel": channel.pk,
        "customer_phone": "0812-7777-8888",
        "customer_name": "Rina Kusuma",
        "customer_email": "",
        "ship_to_customer": "on",
        "ship_address": "Jl. Melati No. 5, RT 02/RW 03",
        "ship_city": "Bandung",
        "ship_province": "Jawa Barat",
        "ship_postal_code": "40115",
        "shipping_amount": "12.000",
        "discount_amount": "0",
        "payment_method": "bank_transfer",
        "notes": "Chat WA jam 10",
        "tags": "wa, reseller",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100",
    }
    for i, line in enumerate(lines):
        sku, qty, *rest = line
        data[f"lines-{i}-sku"] = sku
        data[f"lines-{i}-quantity"] = str(qty)
        data[f"lines-{i}-unit_price_amount"] = str(rest[0]) if rest else ""
        data[f"lines-{i}-discount_amount"] = str(rest[1]) if len(rest) > 1 else ""
    data.update(overrides)
    return data


def reserved_of(variant) -> int:
    return sum(StockLevel.objects.filter(variant=variant).values_list("reserved", flat=True))


def test_form_page_lists_only_manual_channels(staff_client, wa_channel, shopee_channel):
    response = staff_client(roles.CUSTOMER_SERVICE).get(URL)

    assert response.status_code == 200
    channels = list(response.context["form"].fields["channel"].queryset)
    assert wa_channel in channels
    assert shopee_channel not in channels


def test_a_manual_order_is_created_with_lines_customer_address_and_reserved_stock(
    staff_client, wa_channel, make_variant
):
    # given
    kaos = make_variant("KAOS-M", price=85_000, stock=10)
    topi = make_variant("TOPI-1", price=40_000, stock=5)
    client = staff_client(roles.CUSTOMER_SERVICE)

    # when
    response = client.post(URL, form_data(wa_channel, ("KAOS-M", 2), ("TOPI-1", 1, "35.000", "5000")))

    # then
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.channel == wa_channel
    assert order.source == "staff"
    assert [(ln.sku, ln.quantity, ln.unit_price_amount, ln.discount_amount) for ln in order.lines.order_by("id")] == [
        ("KAOS-M", 2, 85_000, 0),
        ("TOPI-1", 1, 35_000, 5_000),
    ]
    assert order.subtotal_amount == 170_000 + 30_000
    assert order.shipping_amount == 12_000
    assert order.total_amount == 212_000
    assert order.customer.phone == "+6281277778888"
    assert (order.shipping_name, order.shipping_phone) == ("Rina Kusuma", "+6281277778888")
    assert order.shipping_city == "Bandung"
    assert order.tags == ["wa", "reseller"]
    assert order.notes == "Chat WA jam 10"
    assert (reserved_of(kaos), reserved_of(topi)) == (2, 1)
    assert OrderEvent.objects.get(order=order, kind="created").actor == client.user


def test_an_existing_customer_is_reused_by_phone_typed_another_way(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", stock=10)
    existing = Customer.objects.create(name="Rina K.", phone="+6281277778888")

    staff_client().post(URL, form_data(wa_channel, ("KAOS-M", 1), customer_phone="6281277778888"))

    assert Order.objects.get().customer == existing
    assert Customer.objects.count() == 1


def test_a_shortage_names_each_short_sku_and_writes_nothing(staff_client, wa_channel, make_variant):
    # given
    kaos = make_variant("KAOS-M", stock=1)
    topi = make_variant("TOPI-1", stock=0)
    make_variant("SYAL-1", stock=10)

    # when
    response = staff_client().post(URL, form_data(wa_channel, ("KAOS-M", 3), ("TOPI-1", 1), ("SYAL-1", 1)))

    # then
    assert response.status_code == 400
    shortages = response.context["shortages"]
    assert len(shortages) == 2
    assert any("KAOS-M" in s and "3" in s and "1" in s for s in shortages)
    assert any("TOPI-1" in s for s in shortages)
    html = response.content.decode()
    assert "KAOS-M" in html
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
    assert (reserved_of(kaos), reserved_of(topi)) == (0, 0)


def test_an_unknown_sku_is_shown_on_its_line(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", stock=10)

    response = staff_client().post(URL, form_data(wa_channel, ("KAOS-M", 1), ("NGGAK-ADA", 1)))

    assert response.status_code == 400
    assert response.context["lines"].forms[1].errors["sku"]
    assert Order.objects.count() == 0


def test_a_bad_phone_and_a_bad_postal_code_are_field_errors(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", stock=10)

    response = staff_client().post(
        URL, form_data(wa_channel, ("KAOS-M", 1), customer_phone="12345", ship_postal_code="4011")
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "customer_phone" in errors
    assert "ship_postal_code" in errors
    assert Order.objects.count() == 0


def test_an_order_needs_a_line_and_a_way_to_reach_the_customer(staff_client, wa_channel):
    response = staff_client().post(URL, form_data(wa_channel, customer_phone="", customer_email=""))

    assert response.status_code == 400
    assert "customer_phone" in response.context["form"].errors
    assert response.context["lines"].non_form_errors()
    assert Order.objects.count() == 0


def test_removed_lines_are_ignored(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", stock=10)
    data = form_data(wa_channel, ("KAOS-M", 1), ("DIHAPUS", 1))
    data["lines-1-DELETE"] = "on"

    response = staff_client().post(URL, data)

    assert response.status_code == 302
    assert [ln.sku for ln in Order.objects.get().lines.all()] == ["KAOS-M"]


def test_an_order_without_address_is_a_pick_up(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", stock=10)
    data = form_data(wa_channel, ("KAOS-M", 1), ship_address="", ship_city="", ship_province="", ship_postal_code="",
                     shipping_amount="0", payment_method="cash")

    response = staff_client().post(URL, data)

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.shipping_address == ""
    assert order.payment_method == "cash"


def test_a_discount_above_the_order_is_refused(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", price=50_000, stock=10)

    response = staff_client().post(URL, form_data(wa_channel, ("KAOS-M", 1), discount_amount="100.000",
                                                  shipping_amount="0"))

    assert response.status_code == 400
    assert "discount_amount" in response.context["form"].errors
    assert Order.objects.count() == 0


def test_create_and_add_another_returns_to_an_empty_form(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", stock=10)

    response = staff_client().post(URL, {**form_data(wa_channel, ("KAOS-M", 1)), "next": "another"})

    assert response.status_code == 302
    assert response["Location"] == URL


def test_warehouse_cannot_create_orders(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", stock=10)
    client = staff_client(roles.WAREHOUSE)

    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(wa_channel, ("KAOS-M", 1))).status_code == 403
    assert client.get(reverse("orders:variant-search"), {"q": "KAOS"}).status_code == 403
    assert Order.objects.count() == 0


def test_customer_search_finds_by_phone_typed_any_way_and_by_name(staff_client, db):
    Customer.objects.create(name="Joko Susanto", phone="+6285711112222", city="Malang")
    Customer.objects.create(name="Ayu Lestari", phone="+6281300001111")
    client = staff_client()
    url = reverse("orders:customer-search")

    by_phone = client.get(url, {"customer_phone": "0857-1111-2222"}, HTTP_HX_REQUEST="true")
    by_name = client.get(url, {"customer_phone": "", "customer_name": "ayu"}, HTTP_HX_REQUEST="true")
    nothing = client.get(url, {"customer_phone": "0899"}, HTTP_HX_REQUEST="true")

    assert [c.name for c in by_phone.context["customers"]] == ["Joko Susanto"]
    assert 'data-city="Malang"' in by_phone.content.decode()
    assert [c.name for c in by_name.context["customers"]] == ["Ayu Lestari"]
    assert nothing.context["customers"] == []


def test_variant_search_shows_available_stock_for_the_line(staff_client, place_order, make_variant):
    # given: 10 on hand, 3 reserved by an order
    variant = make_variant("KAOS-HITAM-L", price=85_000, stock=10)
    place_order(variant=variant, qty=3)

    # when: the SKU input of line 2 sends itself
    response = staff_client().get(reverse("orders:variant-search"), {"lines-2-sku": "hitam"}, HTTP_HX_REQUEST="true")

    # then
    assert response.status_code == 200
    [found] = response.context["variants"]
    assert (found.sku, found.available) == ("KAOS-HITAM-L", 7)
    html = response.content.decode()
    assert 'data-row="2"' in html
    assert 'data-sku="KAOS-HITAM-L"' in html


def test_variant_search_ignores_inactive_products(staff_client, make_variant):
    variant = make_variant("LAMA-1", stock=1)
    variant.is_active = False
    variant.save(update_fields=["is_active"])

    response = staff_client().get(reverse("orders:variant-search"), {"q": "LAMA"})

    assert response.context["variants"] == []


def test_customer_search_offers_the_address_of_the_customers_last_order(staff_client, wa_channel, make_variant):
    # given: Rina ordered before, to Bandung
    make_variant("KAOS-M", stock=10)
    client = staff_client()
    client.post(URL, form_data(wa_channel, ("KAOS-M", 1)))

    # when
    response = client.get(reverse("orders:customer-search"), {"customer_phone": "081277778888"},
                          HTTP_HX_REQUEST="true")

    # then
    html = response.content.decode()
    assert 'data-address="Jl. Melati No. 5, RT 02/RW 03"' in html
    assert 'data-postal="40115"' in html
    assert 'data-city="Bandung"' in html


def test_the_form_starts_on_the_channel_of_the_agents_last_order(staff_client, wa_channel, make_channel,
                                                                   make_variant):
    ig = make_channel(Channel.Kind.INSTAGRAM, "IG")
    make_variant("KAOS-M", stock=10)
    client = staff_client()
    assert client.get(URL).context["form"].initial == {}

    client.post(URL, {**form_data(ig, ("KAOS-M", 1)), "next": "another"})

    assert client.get(URL).context["form"].initial == {"channel": ig.pk}


def test_the_only_manual_channel_is_preselected(staff_client, wa_channel):
    assert staff_client().get(URL).context["form"].initial == {"channel": wa_channel.pk}


@pytest.mark.parametrize(("typed", "amount"), [("Rp 12.000,00", 12_000), ("12,000.00", 12_000), ("12000", 12_000)])
def test_the_manual_order_form_reads_every_usual_way_of_writing_an_amount(
    staff_client, wa_channel, make_variant, typed, amount
):
    make_variant("KAOS-M", price=85_000, stock=10)

    response = staff_client(roles.CUSTOMER_SERVICE).post(
        URL, form_data(wa_channel, ("KAOS-M", 1, "Rp 89.000"), shipping_amount=typed))

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.lines.get().unit_price_amount, order.shipping_amount) == (89_000, amount)


def test_the_manual_order_form_refuses_an_ambiguous_amount_and_saves_nothing(staff_client, wa_channel, make_variant):
    make_variant("KAOS-M", price=85_000, stock=10)

    response = staff_client(roles.CUSTOMER_SERVICE).post(URL, form_data(wa_channel, ("KAOS-M", 1, "89.5")))

    assert response.status_code == 400
    assert "89.5" in response.content.decode()
    assert not Order.objects.exists()
