"""The web-store order's hot path: a bounded number of statements, the same answers."""

from __future__ import annotations

import pytest

from catalog.services import stock_receive
from channels.models import Channel
from channels.selectors import channel_for_order
from orders.models import Customer
from orders.services import CustomerInput, LineInput, customer_get_or_create, order_create
from payments.models import Payment
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory

pytestmark = pytest.mark.django_db

# A web order from a new buyer, whatever its number of lines: the channel, the variants for sale,
# the buyer, the order with its lines and number, the stock reservation, the created event and
# the payment the order-created hook opens (from the order just written, without reading it again),
# with the transaction's savepoint.
ORDER_CREATE_STATEMENTS = 17


def test_a_buyer_known_by_phone_only_is_found_or_made_in_one_statement(django_assert_max_num_queries):
    # a new phone: inserted in one statement
    with django_assert_max_num_queries(1):
        made = customer_get_or_create(customer=CustomerInput(name="Sari", phone="0813-1111-2222"))
    assert made.pk and made.phone == "+6281311112222" and made.name == "Sari"
    # the same phone in another format: the same customer, one statement, nothing overwritten
    with django_assert_max_num_queries(1):
        found = customer_get_or_create(customer=CustomerInput(name="Sari W.", phone="+62 813 1111 2222"))
    assert found.pk == made.pk and found.name == "Sari"
    assert Customer.objects.count() == 1


def test_with_an_email_a_phoneless_customer_of_that_address_is_still_found_first():
    known = Customer.objects.create(name="Budi", email="budi@example.id")
    found = customer_get_or_create(customer=CustomerInput(name="Budi", phone="0812-3456-7890", email="budi@example.id"))
    assert found.pk == known.pk
    known.refresh_from_db()
    assert known.phone == "+6281234567890"


def test_the_api_channel_lookup_takes_code_or_id_and_sees_a_change_saved_here(django_assert_max_num_queries):
    web = ChannelFactory(kind=Channel.Kind.WEBSITE, code="WEB")
    assert channel_for_order(code_or_id="web") == web
    assert channel_for_order(code_or_id=str(web.pk)) == web
    assert channel_for_order(code_or_id="NOPE") is None
    with django_assert_max_num_queries(0):  # remembered for a few seconds
        assert channel_for_order(code_or_id="Web").is_active
    web.is_active = False
    web.save(update_fields=["is_active"])
    assert channel_for_order(code_or_id="WEB").is_active is False  # saving clears this process's copy


@pytest.mark.parametrize("line_count", [1, 8])
def test_a_web_order_and_its_transfer_payment_stay_under_one_bound_whatever_the_lines(
    django_assert_max_num_queries, line_count
):
    # given a web channel and stocked variants
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, code="WEB")
    for n in range(line_count):
        variant = VariantFactory(sku=f"KOPI-{n}", price_amount=85_000)
        stock_receive(variant_id=variant.id, quantity=5, reason="test stock")
    # when a new buyer orders one of each
    with django_assert_max_num_queries(ORDER_CREATE_STATEMENTS):
        order = order_create(channel_id=channel.id, lines=[LineInput(sku=f"KOPI-{n}", quantity=1)
                                                           for n in range(line_count)],
                             customer=CustomerInput(name="Sari", phone="0813-1111-2222"))
    # then the order-created hook opened the bank transfer for the whole order
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status, payment.base_amount) == ("bank_transfer", "pending", 85_000 * line_count)
    assert 1 <= payment.unique_code <= 999 and payment.amount == 85_000 * line_count + payment.unique_code
