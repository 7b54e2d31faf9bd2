"""Gateway checkout: the hosted payment page is made at Midtrans or Xendit over HTTP, stored, reused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, DomainError
from payments.models import Payment, PaymentEvent, PaymentStatus
from payments.services.checkout import CheckoutUnavailable, payment_checkout_start
from payments.services.gateways import _find_payment
from payments.services.opening import payment_open
from tests.fakes.gateway import FakeGateway
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway():
    with FakeGateway() as fake, override_settings(
        MIDTRANS_SERVER_KEY=fake.server_key, MIDTRANS_SNAP_BASE_URL=fake.url,
        XENDIT_SECRET_KEY=fake.xendit_key, XENDIT_API_BASE_URL=fake.url,
    ):
        yield fake


def open_payment(method: str = "qris", total: int = 150_000) -> Payment:
    return payment_open(order_id=make_order(method=method, total=total).pk)


def test_a_snap_page_is_made_once_with_the_payment_reference_and_amount(gateway):
    # given an open QRIS payment due in 24 hours
    payment = open_payment("qris")
    # when the customer asks to pay, twice
    url = payment_checkout_start(payment_id=payment.pk, finish_url="https://toko.example.id/track/X/k/")
    again = payment_checkout_start(payment_id=payment.pk)
    # then Midtrans was asked once, with our reference, the exact amount, QRIS only and the deadline
    [(path, body)] = gateway.requests
    assert path == "/snap/v1/transactions"
    assert body["transaction_details"] == {"order_id": payment.reference, "gross_amount": 150_000}
    assert body["enabled_payments"] == ["other_qris"]
    assert body["expiry"]["unit"] == "minutes" and 23 * 60 <= body["expiry"]["duration"] <= 24 * 60
    assert body["callbacks"] == {"finish": "https://toko.example.id/track/X/k/"}
    assert body["customer_details"]["first_name"]
    # and the page is stored, reused and written in the payment's history
    token = gateway.snap_orders[payment.reference]["token"]
    assert url == again == f"{gateway.url}/snap/v3/redirection/{token}"
    payment.refresh_from_db()
    assert (payment.checkout_url, payment.checkout_reference) == (url, token)
    assert PaymentEvent.objects.filter(payment=payment, kind="checkout", source="midtrans").count() == 1


def test_a_page_whose_answer_was_lost_is_asked_again_under_the_next_order_id(gateway):
    # given Midtrans made a page for the payment but the answer never arrived
    payment = open_payment("ewallet")
    gateway.lose_next = 1
    with pytest.raises(CheckoutUnavailable):
        payment_checkout_start(payment_id=payment.pk)
    # when the customer tries again, Midtrans refuses the used order_id and the next one is used
    url = payment_checkout_start(payment_id=payment.pk)
    assert f"{payment.reference}~2" in gateway.snap_orders
    assert url.endswith(gateway.snap_orders[f"{payment.reference}~2"]["token"])
    # and a Midtrans notification for that order_id finds the payment
    assert _find_payment(f"{payment.reference}~2") == payment


@override_settings(PAYMENTS_GATEWAY="xendit")
def test_a_xendit_invoice_is_made_for_an_e_wallet_payment(gateway):
    payment = open_payment("ewallet", total=99_000)
    assert payment.provider == "xendit"
    url = payment_checkout_start(payment_id=payment.pk, finish_url="https://toko.example.id/track/X/k/")
    [(path, body)] = gateway.requests
    assert path == "/v2/invoices"
    assert (body["external_id"], body["amount"], body["currency"]) == (payment.reference, 99_000, "IDR")
    assert body["payment_methods"] == ["OVO", "DANA", "SHOPEEPAY", "LINKAJA"]
    assert body["success_redirect_url"] == "https://toko.example.id/track/X/k/"
    [invoice] = gateway.invoices.values()
    assert url == invoice["invoice_url"]
    payment.refresh_from_db()
    assert payment.checkout_reference == invoice["id"]


def test_a_wrong_key_or_a_gateway_that_is_down_stores_nothing(gateway):
    payment = open_payment("virtual_account")
    with override_settings(MIDTRANS_SERVER_KEY="SB-Mid-server-wrong"), pytest.raises(CheckoutUnavailable):
        payment_checkout_start(payment_id=payment.pk)
    gateway.down = True
    with pytest.raises(CheckoutUnavailable):
        payment_checkout_start(payment_id=payment.pk)
    with override_settings(MIDTRANS_SNAP_BASE_URL="http://127.0.0.1:9"), pytest.raises(CheckoutUnavailable):
        payment_checkout_start(payment_id=payment.pk)  # nothing listening
    payment.refresh_from_db()
    assert payment.checkout_url == "" and not PaymentEvent.objects.filter(payment=payment, kind="checkout").exists()


def test_only_open_gateway_payments_get_a_page(gateway):
    with pytest.raises(DomainError):
        payment_checkout_start(payment_id=open_payment("bank_transfer").pk)
    paid = open_payment("qris")
    Payment.objects.filter(pk=paid.pk).update(status=PaymentStatus.PAID, paid_at=timezone.now())
    with pytest.raises(Conflict):
        payment_checkout_start(payment_id=paid.pk)
    assert gateway.requests == []


def test_the_order_page_offers_pay_now_and_sends_the_customer_to_the_gateway(client, gateway):
    payment = open_payment("qris")
    order = payment.order
    track = reverse("track:order", kwargs={"number": order.number, "key": order.access_key})
    checkout = reverse("payments-pay:checkout", kwargs={"number": order.number, "key": order.access_key})
    page = client.get(track)
    assert page.status_code == 200
    assert checkout in page.content.decode()
    # a GET does nothing; a wrong key is not found; the POST goes to the gateway
    assert client.get(checkout).status_code == 405
    wrong = reverse("payments-pay:checkout", kwargs={"number": order.number, "key": "x" * 32})
    assert client.post(wrong).status_code == 404
    response = client.post(checkout)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{gateway.url}/snap/v3/redirection/")
    assert gateway.requests[0][1]["callbacks"]["finish"] == f"http://testserver{track}"


def test_the_customer_is_told_when_online_payment_is_down(client, gateway):
    payment = open_payment("qris")
    order = payment.order
    gateway.down = True
    response = client.post(reverse("payments-pay:checkout", kwargs={"number": order.number, "key": order.access_key}),
                           follow=True)
    assert response.status_code == 200
    assert "Pembayaran online sedang tidak tersedia" in response.content.decode()


def test_the_deadline_sent_is_the_payments_own(gateway):
    payment = open_payment("card")
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() + timedelta(minutes=90))
    payment_checkout_start(payment_id=payment.pk)
    body = gateway.requests[0][1]
    assert 88 <= body["expiry"]["duration"] <= 90 and body["enabled_payments"] == ["credit_card"]
