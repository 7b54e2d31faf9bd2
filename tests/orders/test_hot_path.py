"""The web-store order's hot path: fewer statements, the same answers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.services import stock_receive
from channels.models import Channel
from channels.selectors import channel_for_order
from orders.models import Customer
from orders.services import CustomerInput, LineInput, customer_get_or_create, order_create
from payments.models import Payment
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_a_buyer_known_by_phone_only_is_found_or_made_in_one_statement():
    # a new phone: inserted in one statement
    with CaptureQueriesContext(connection) as ctx:
        made = customer_get_or_create(customer=CustomerInput(name="Sari", phone="0813-1111-2222"))
    assert len(ctx.captured_queries) == 1
    assert made.pk and made.phone == "+6281311112222" and made.name == "Sari"
    # the same phone in another format: the same customer, one statement, nothing overwritten
    with CaptureQueriesContext(connection) as ctx:
        found = customer_get_or_create(customer=CustomerInput(name="Sari W.", phone="+62 813 1111 2222"))
    assert len(ctx.captured_queries) == 1
    assert found.pk == made.pk and found.name == "Sari"
    assert Customer.objects.count() == 1


def test_with_an_email_a_phoneless_customer_of_that_address_is_still_found_first():
    known = Customer.objects.create(name="Budi", email="budi@example.id")
    found = customer_get_or_create(customer=CustomerInput(name="Budi", phone="0812-3456-7890", email="budi@example.id"))
    assert found.pk == known.pk
    known.refresh_from_db()
    assert known.phone == "+6281234567890"


def test_the_api_channel_lookup_takes_code_or_id_and_sees_a_change_saved_here():
    web = ChannelFactory(kind=Channel.Kind.WEBSITE, code="WEB")
    assert channel_for_order(code_or_id="web") == web
    assert channel_for_order(code_or_id=str(web.pk)) == web
    assert channel_for_order(code_or_id="NOPE") is None
    with CaptureQueriesContext(connection) as ctx:
        assert channel_for_order(code_or_id="Web").is_active
    assert ctx.captured_queries == []  # remembered for a few seconds
    web.is_active = False
    web.save(update_fields=["is_active"])
    assert channel_for_order(code_or_id="WEB").is_active is False  # saving clears this process's copy


def test_payments_opens_the_transfer_from_the_order_just_written_without_reading_it():
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, code="WEB")
    variant = VariantFactory(sku="KOPI-250", price_amount=85_000)
    stock_receive(variant_id=variant.id, quantity=5, reason="test stock")
    with CaptureQueriesContext(connection) as ctx:
        order = order_create(channel_id=channel.id, lines=[LineInput(sku="KOPI-250", quantity=1)],
                             customer=CustomerInput(name="Sari", phone="0813-1111-2222"))
    reads_of_the_order = [q["sql"] for q in ctx.captured_queries
                          if q["sql"].startswith("SELECT") and 'FROM "orders_order"' in q["sql"]]
    assert reads_of_the_order == []
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status, payment.base_amount) == ("bank_transfer", "pending", 85_000)
    assert 1 <= payment.unique_code <= 999 and payment.amount == 85_000 + payment.unique_code
