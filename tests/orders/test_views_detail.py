"""The order detail page: lines, amounts, customer, timeline, actions by status, notes, tags."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core import roles
from orders import services
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import AddressInput
from tests.orders.ui_helpers import advance


def detail_url(order) -> str:
    return reverse("orders:detail", args=[order.pk])


def action_url(order, action: str) -> str:
    return reverse("orders:action", args=[order.pk, action])


def test_detail_shows_lines_amounts_customer_address_and_timeline(staff_client, place_order):
    # given
    order = place_order(
        qty=3,
        shipping_amount=15_000,
        shipping=AddressInput(name="Budi", phone="081234567890", address="Jl. Kenanga 7", city="Bandung",
                              province="Jawa Barat", postal_code="40111"),
        notes="Tolong bungkus kado",
    )
    order = advance(order, OrderStatus.PAID)

    # when
    response = staff_client(roles.CUSTOMER_SERVICE).get(detail_url(order))

    # then
    assert response.status_code == 200
    html = response.content.decode()
    line = order.lines.get()
    assert line.sku in html
    assert "Rp 150.000" in html  # 3 × 50.000
    assert "Rp 15.000" in html
    assert "Rp 165.000" in html
    assert "Budi Santoso" in html and "+6281234567890" in html
    assert "Jl. Kenanga 7" in html and "40111" in html
    assert "Tolong bungkus kado" in html
    events = response.context["events"]
    assert [e.kind for e in events] == ["created", "status_changed"]
    assert events[1].from_status == "awaiting_payment" and events[1].to_status == "paid"


def test_detail_offers_only_the_actions_the_status_allows(staff_client, place_order):
    client = staff_client(roles.OWNER)
    waiting = place_order()
    paid = advance(place_order(), OrderStatus.PAID)
    packed = advance(place_order(), OrderStatus.PACKED)
    done = advance(place_order(), OrderStatus.COMPLETED)

    def keys(order):
        return [item["action"].key for item in client.get(detail_url(order)).context["actions"]]

    assert keys(waiting) == ["cancel"]
    assert keys(paid) == ["confirm", "cancel"]
    assert keys(packed) == ["ship", "cancel"]
    assert keys(done) == []


def test_detail_offers_confirm_for_an_unpaid_cash_on_delivery_order(staff_client, place_order):
    order = place_order(payment_method="cod")

    response = staff_client().get(detail_url(order))

    assert [item["action"].key for item in response.context["actions"]] == ["confirm", "cancel"]


def test_finance_sees_the_order_but_no_action_buttons(staff_client, place_order):
    order = advance(place_order(), OrderStatus.PAID)

    response = staff_client(roles.FINANCE).get(detail_url(order))

    assert response.status_code == 200
    assert response.context["actions"] == []


def test_confirm_button_moves_the_order_and_records_who_did_it(staff_client, place_order):
    # given
    order = advance(place_order(), OrderStatus.PAID)
    client = staff_client(roles.WAREHOUSE)

    # when
    response = client.post(action_url(order, "confirm"), {"confirm-note": "stok dicek"})

    # then
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    event = order.events.order_by("-id").first()
    assert (event.from_status, event.to_status) == ("paid", "processing")
    assert (event.actor, event.note) == (client.user, "stok dicek")


def test_an_htmx_action_returns_the_refreshed_page_body(staff_client, place_order):
    order = advance(place_order(), OrderStatus.PROCESSING)

    response = staff_client().post(action_url(order, "pack"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="order-status"' in html
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PACKED


def test_a_disallowed_transition_is_refused_with_a_message_and_changes_nothing(staff_client, place_order):
    # given: an unpaid bank-transfer order cannot be packed
    order = place_order()

    # when
    response = staff_client().post(action_url(order, "pack"), follow=True)

    # then
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT
    text = " ".join(str(m) for m in response.context["messages"])
    assert text.startswith("Tandai dikemas gagal:")


def test_cancel_needs_a_reason(staff_client, place_order):
    order = place_order()
    client = staff_client()

    client.post(action_url(order, "cancel"), {"cancel-reason": ""})
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT

    client.post(action_url(order, "cancel"), {"cancel-reason": "Pembeli minta batal"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.cancel_reason == "Pembeli minta batal"


def test_ship_records_courier_and_tracking_number(staff_client, place_order):
    order = advance(place_order(), OrderStatus.PACKED)

    staff_client().post(action_url(order, "ship"), {"ship-courier": "SiCepat", "ship-tracking_number": "SC0001"})

    order.refresh_from_db()
    assert (order.status, order.courier, order.tracking_number) == (OrderStatus.SHIPPED, "SiCepat", "SC0001")


def test_warehouse_cannot_cancel_orders(staff_client, place_order):
    order = place_order()

    response = staff_client(roles.WAREHOUSE).post(action_url(order, "cancel"), {"cancel-reason": "x"})

    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_finance_cannot_confirm_orders(staff_client, place_order):
    order = advance(place_order(), OrderStatus.PAID)

    response = staff_client(roles.FINANCE).post(action_url(order, "confirm"))

    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_an_unknown_order_or_action_is_404(staff_client, place_order):
    order = place_order()
    client = staff_client()

    assert client.get(reverse("orders:detail", args=[999999])).status_code == 404
    assert client.post(reverse("orders:action", args=[999999, "confirm"])).status_code == 404
    assert client.post(action_url(order, "teleport")).status_code == 404


def test_actions_only_accept_post(staff_client, place_order):
    order = advance(place_order(), OrderStatus.PAID)

    assert staff_client().get(action_url(order, "confirm")).status_code == 405


def test_staff_add_a_note_to_the_timeline(staff_client, place_order):
    order = place_order()

    response = staff_client().post(reverse("orders:add-note", args=[order.pk]), {"note": "Pembeli minta kirim sore"},
                                   HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Pembeli minta kirim sore" in response.content.decode()
    assert OrderEvent.objects.filter(order=order, kind="note", note="Pembeli minta kirim sore").exists()


def test_staff_set_tags_from_a_comma_separated_list(staff_client, place_order):
    order = place_order()

    staff_client().post(reverse("orders:set-tags", args=[order.pk]), {"tags": "VIP, reseller, vip"})

    assert Order.objects.get(pk=order.pk).tags == ["vip", "reseller"]


def test_resolving_an_oversold_order_without_stock_needs_force_and_a_note(staff_client, place_order, make_variant):
    # given: an order holding no stock (as a marketplace oversell arrives) while every unit is taken
    from orders.services.stock import release_order_stock

    variant = make_variant("HABIS-1", stock=2)
    oversold = place_order(variant=variant, qty=1)
    release_order_stock(oversold)
    place_order(variant=variant, qty=2)
    Order.objects.filter(pk=oversold.pk).update(is_oversold=True)
    client = staff_client()

    # when: resolved plainly -> the shortage is reported and the flag stays
    response = client.post(action_url(oversold, "resolve_oversold"), follow=True)
    assert Order.objects.get(pk=oversold.pk).is_oversold
    assert "HABIS-1" in " ".join(str(m) for m in response.context["messages"])

    # when: forced without a note -> refused
    client.post(action_url(oversold, "resolve_oversold"), {"resolve_oversold-force": "on"})
    assert Order.objects.get(pk=oversold.pk).is_oversold

    # when: forced with a note -> resolved
    client.post(
        action_url(oversold, "resolve_oversold"),
        {"resolve_oversold-force": "on", "resolve_oversold-note": "Barang dibeli dari toko lain"},
    )
    assert not Order.objects.get(pk=oversold.pk).is_oversold


@pytest.mark.parametrize("lines", [1, 25])
def test_detail_runs_a_fixed_number_of_queries(
    staff_client, place_order, make_variant, django_assert_max_num_queries, lines
):
    # given: an order with many lines and events
    from orders.services import LineInput, order_create

    variants = [make_variant(f"DET-{i}", stock=10) for i in range(lines)]
    order = order_create(
        channel_id=place_order().channel_id,
        lines=[LineInput(sku=v.sku, quantity=1) for v in variants],
        customer=services.CustomerInput(name="Dewi", phone="081299990000"),
    )
    for i in range(lines):
        services.order_add_note(order_id=order.pk, note=f"catatan {i}")
    client = staff_client()
    client.get(detail_url(order))

    # when / then
    with django_assert_max_num_queries(10):
        response = client.get(detail_url(order))
    assert len(response.context["lines"]) == lines


def test_detail_offers_the_customers_signed_link_and_a_whatsapp_message(staff_client, place_order, settings):
    settings.SITE_URL = "https://toko.example.id"
    order = place_order()

    response = staff_client().get(detail_url(order))

    link = f"https://toko.example.id/track/{order.number}/{order.access_key}/"
    assert response.context["customer_link"] == link
    assert response.context["whatsapp_link"].startswith("https://wa.me/6281234567890?text=")
    assert "status+pesanan" in response.context["whatsapp_link"]


def test_an_oversold_line_with_an_unknown_sku_is_mapped_to_a_product_from_the_page(
    staff_client, place_order, make_variant
):
    # given: a marketplace line whose SKU matched no product, holding no stock
    from orders.models import OrderLine
    from orders.services.stock import release_order_stock

    order = place_order(qty=1)
    release_order_stock(order)
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(variant=None, sku="KAOS-HITAM-XL-PROMO")
    Order.objects.filter(pk=order.pk).update(is_oversold=True)
    real = make_variant("KAOS-HTM-XL", stock=5)
    client = staff_client()

    # when: the page offers a field for the unmapped line
    actions = {item["action"].key: item["form"] for item in client.get(detail_url(order)).context["actions"]}
    form = actions["resolve_oversold"]
    assert f"map_{line.pk}" in form.fields

    # and a wrong SKU is refused, the right one maps and reserves
    client.post(action_url(order, "resolve_oversold"), {f"resolve_oversold-map_{line.pk}": "NGGAK-ADA"})
    assert Order.objects.get(pk=order.pk).is_oversold
    client.post(action_url(order, "resolve_oversold"), {f"resolve_oversold-map_{line.pk}": "KAOS-HTM-XL"})

    # then
    order.refresh_from_db()
    line.refresh_from_db()
    assert not order.is_oversold
    assert (line.variant_id, line.stock_reserved) == (real.pk, True)


def test_the_whatsapp_message_is_in_the_customers_language_not_the_staff_members(staff_client, place_order, settings):
    # given: a customer with no saved preference (Bahasa Indonesia) and a staff member using English
    order = place_order()
    client = staff_client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    # when
    response = client.get(detail_url(order))

    # then: the dashboard is English, the message to the buyer is Indonesian
    assert response.content.decode().startswith("<!doctype html>\n\n<html lang=\"en\"")
    assert "status+pesanan" in response.context["whatsapp_link"]
    assert "follow+your+order" not in response.context["whatsapp_link"]


def test_a_customer_who_reads_english_gets_the_whatsapp_message_in_english(staff_client, place_order):
    from notifications.models import CustomerPreference

    order = place_order()
    CustomerPreference.objects.update_or_create(customer=order.customer, defaults={"language": "en"})

    response = staff_client().get(detail_url(order))  # the staff member's dashboard is Indonesian

    assert "follow+your+order" in response.context["whatsapp_link"]
    assert 'lang="id"' in response.content.decode()


def test_detail_shows_the_amount_with_kode_unik_that_the_buyer_must_transfer(staff_client, place_order):
    from core.formatting import money
    from payments.models import Payment

    # given: a bank-transfer order; payments opened its payment with a kode unik
    order = place_order(payment_method="bank_transfer")
    payment = Payment.objects.filter(order=order).order_by("-id").first()
    assert payment is not None

    # when
    response = staff_client().get(detail_url(order))

    # then: the exact amount (base + kode unik) is on the page, as payments expects it
    html = response.content.decode()
    due = response.context["amount_due"]
    assert due.amount == payment.amount == payment.base_amount + payment.unique_code
    assert 'id="amount-due"' in html
    assert money(payment.amount, language="id") in html
    if payment.unique_code:
        assert f"kode unik {payment.unique_code}" in html


def test_a_cash_on_delivery_order_shows_the_amount_without_kode_unik(staff_client, place_order):
    from core.formatting import money

    order = place_order(payment_method="cod")

    response = staff_client().get(detail_url(order))

    due = response.context["amount_due"]
    assert due.unique_code == 0
    assert due.amount == order.total_amount
    block = response.content.decode().split('id="amount-due"', 1)[1].split("</dd>", 1)[0][:1500]
    assert money(order.total_amount, language="id") in block
    assert "Jumlah yang harus dibayar" in block
    assert "kode unik" not in block
