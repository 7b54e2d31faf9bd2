"""Vouchers in the web-store API and the manual order form; limits hold under 50 concurrent orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from catalog.services import stock_receive
from channels.models import Channel
from core import roles
from customers.models import Voucher, VoucherRedemption
from customers.services.vouchers import voucher_create
from orders.models import Order
from orders.services import CustomerInput, LineInput, order_cancel, order_create
from tests.concurrency import race
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def place(channel, variant, *, voucher="", points=0, phone="0812-3456-7001", qty=1):
    return order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=qty)],
                        customer=CustomerInput(name="Rina", phone=phone),
                        discounts={"voucher": voucher, "points": points})


def test_a_fixed_voucher_takes_its_amount_off_and_is_recorded_on_the_order(web_channel, variant):
    voucher_create(kind="fixed", code="hemat 20", value_amount=20_000, min_spend_amount=100_000)

    order = place(web_channel, variant, voucher="HEMAT20")

    assert order.discount_amount == 20_000 and order.total_amount == 130_000
    assert VoucherRedemption.objects.get(order=order).amount == 20_000
    created = order.events.get(kind="created")
    assert created.data["discounts"] == [{"key": "voucher", "amount": 20_000, "label": "Voucher HEMAT20"}]


def test_a_percentage_voucher_is_capped(web_channel, variant):
    voucher_create(kind="percent", code="DISKON50", percent="50", max_discount_amount=30_000)

    order = place(web_channel, variant, voucher="diskon50")

    assert order.discount_amount == 30_000


@pytest.mark.parametrize(("voucher", "field_text"), [
    ({"kind": "fixed", "code": "MIN", "value_amount": 5_000, "min_spend_amount": 500_000}, "minimum"),
    ({"kind": "fixed", "code": "OLD", "value_amount": 5_000, "valid_until": timezone.now() - timedelta(days=1)},
     "expired"),
])
def test_a_voucher_outside_its_rules_refuses_the_order_and_writes_nothing(web_channel, variant, voucher, field_text):
    voucher_create(**voucher)

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        place(web_channel, variant, voucher=voucher["code"])

    assert field_text in " ".join(exc.value.message_dict["voucher"]).lower()
    assert not Order.objects.exists()


def test_vouchers_are_for_own_channels_only(variant):
    shopee = ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee", code="SHP")
    voucher_create(kind="fixed", code="WEBONLY", value_amount=5_000)

    with pytest.raises(ValidationError):
        place(shopee, variant, voucher="WEBONLY")


def test_the_per_customer_limit_and_a_cancellation_giving_the_use_back(web_channel, variant):
    voucher_create(kind="fixed", code="SEKALI", value_amount=5_000, per_customer_limit=1)
    first = place(web_channel, variant, voucher="SEKALI")

    with pytest.raises(ValidationError):
        place(web_channel, variant, voucher="SEKALI")
    order_cancel(order_id=first.pk, reason="Pembeli batal")
    again = place(web_channel, variant, voucher="SEKALI")

    assert again.discount_amount == 5_000


def test_the_web_store_api_takes_a_voucher_code(api_client, web_channel, variant):
    voucher_create(kind="fixed", code="APIHEMAT", value_amount=10_000)

    response = api_client(roles.OWNER).post("/api/v1/orders/", {
        "channel": "WEB", "customer": {"name": "Dewi", "phone": "0812-7777-1111"},
        "lines": [{"sku": variant.sku, "quantity": 1}], "voucher_code": "apihemat"}, format="json")
    refused = api_client(roles.OWNER).post("/api/v1/orders/", {
        "channel": "WEB", "customer": {"name": "Dewi", "phone": "0812-7777-1111"},
        "lines": [{"sku": variant.sku, "quantity": 1}], "voucher_code": "NOPE"}, format="json")

    assert response.status_code == 201 and response.json()["discount_amount"] == 10_000
    assert refused.status_code == 400 and "voucher" in refused.json()["error"]["fields"]


def test_the_manual_order_form_takes_a_voucher_code(staff_client, variant):
    ChannelFactory(kind=Channel.Kind.WHATSAPP, name="WhatsApp", code="WA")
    voucher_create(kind="fixed", code="CHAT10", value_amount=10_000)
    channel = Channel.objects.get(code="WA")

    response = staff_client(roles.CUSTOMER_SERVICE).post("/dashboard/orders/new/", {
        "channel": channel.pk, "customer_phone": "0812-5555-6666", "customer_name": "Rina",
        "ship_to_customer": "on", "shipping_amount": "0", "discount_amount": "0", "payment_method": "bank_transfer",
        "voucher_code": "chat10", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100", "lines-0-sku": variant.sku, "lines-0-quantity": "1"})

    assert response.status_code == 302
    assert Order.objects.get().discount_amount == 10_000


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_orders_never_redeem_a_voucher_past_its_total_limit(web_channel, variant):
    # given: a voucher for 10 uses and 50 different buyers ordering at the same instant
    stock_receive(variant_id=variant.pk, quantity=100, reason="stok promo")
    voucher_create(kind="fixed", code="FLASH10", value_amount=5_000, total_limit=10, per_customer_limit=1)
    counter = iter(range(50))

    def buy():
        n = next(counter)
        return place(web_channel, variant, voucher="FLASH10", phone=f"0813-0000-{n:04d}")

    # when
    outcomes = race(50, buy)

    # then: exactly 10 orders got it, the other 40 were refused and wrote nothing
    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(orders) == 10 and len(refused) == 40, [type(o) for o in outcomes if not isinstance(o, Order)][:3]
    assert VoucherRedemption.objects.filter(voucher__code="FLASH10").count() == 10
    assert Order.objects.count() == 10
    assert Voucher.objects.get(code="FLASH10").redemptions.count() == 10
