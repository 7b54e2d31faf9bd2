"""Kode unik exhaustion (issue 10.9): lowering codes after the raising ones, then a transfer matched
by order number. An order is never refused for a payment-matching reason."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from orders.services import CustomerInput, LineInput, order_create
from payments.models import LineMatch, Payment, PaymentEvent, PaymentMethod, PaymentStatus, StatementLine
from payments.services.opening import payment_open
from payments.services.statements import statement_lines_match
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


def _take_codes(base: int, codes) -> None:
    order = make_order(total=base)
    Payment.objects.bulk_create([
        Payment(order=order, method=PaymentMethod.BANK_TRANSFER, reference=f"TAKEN-{base}-{code}", base_amount=base,
                unique_code=code, amount=base + code)
        for code in codes
    ])


def _place_web_order(total: int) -> Order:
    from catalog.services import stock_receive

    variant = VariantFactory(price_amount=total)
    stock_receive(variant_id=variant.id, quantity=5, reason="test stock")
    channel = ChannelFactory(code="web", name="Website")
    return order_create(channel_id=channel.id, lines=[LineInput(sku=variant.sku, quantity=1)],
                        customer=CustomerInput(name="Budi", phone="081234567890"), payment_method="bank_transfer")


def test_when_every_raising_code_is_taken_the_amount_is_lowered_instead():
    # given 999 open bank transfers of Rp 50.000 holding every raising code +1..+999
    _take_codes(50_000, range(1, 1000))
    # when another order of that amount opens its payment
    payment = payment_open(order_id=make_order(total=50_000).pk)
    # then it gets a lowering code: the customer transfers a little less, still a unique amount
    assert -999 <= payment.unique_code <= -1
    assert payment.amount == 50_000 + payment.unique_code
    assert not payment.match_by_order_number
    assert not Payment.objects.filter(amount=payment.amount).exclude(pk=payment.pk).exists()


@override_settings(PAYMENTS_UNIQUE_CODE_FLOOR_AMOUNT=49_500)
def test_a_lowering_code_never_takes_the_amount_below_the_floor():
    _take_codes(50_000, range(1, 1000))
    amounts = {payment_open(order_id=make_order(total=50_000).pk).amount for _ in range(20)}
    assert all(49_500 <= amount < 50_000 for amount in amounts) and len(amounts) == 20


@override_settings(PAYMENTS_UNIQUE_CODE_MAX=2)
def test_codes_exhausted_the_order_is_still_created_with_a_transfer_matched_by_order_number():
    # given a code space of +1, +2, -1, -2 for Rp 60.000, all four taken
    _take_codes(60_000, [1, 2, -1, -2])
    # when a customer places a web order of Rp 60.000 paid by bank transfer
    order = _place_web_order(60_000)
    # then the order exists and expects the plain amount, flagged to be matched by order number
    assert Order.objects.filter(pk=order.pk, status="awaiting_payment").exists()
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status, payment.unique_code, payment.amount) == (
        PaymentMethod.BANK_TRANSFER, PaymentStatus.PENDING, 0, 60_000)
    assert payment.match_by_order_number
    opened = PaymentEvent.objects.get(payment=payment, kind="opened")
    assert opened.data["match_by_order_number"] is True
    assert "order number" in opened.note
    # and a second such order gets its own transfer of the same plain amount
    again = Payment.objects.get(order=_place_web_order(60_000))
    assert again.match_by_order_number and again.amount == 60_000


@override_settings(PAYMENTS_UNIQUE_CODE_MAX=1)
def test_a_credit_naming_the_order_number_matches_the_transfer_without_a_code(django_capture_on_commit_callbacks):
    # given two transfers of Rp 70.000 without a code (codes +1/-1 taken)
    _take_codes(70_000, [1, -1])
    first = payment_open(order_id=make_order(total=70_000).pk)
    second = payment_open(order_id=make_order(total=70_000).pk)
    assert first.match_by_order_number and second.match_by_order_number
    # and a credit of Rp 70.000 whose description names the second order (bank style, no dash)
    number = second.order.number.replace("-", "")
    line = _credit(70_000, f"TRSF E-BANKING CR 0312/FTSCY/WS95031 70000.00 {number} BUDI")
    # when matching runs
    with django_capture_on_commit_callbacks(execute=True):
        result = statement_lines_match()
    # then the credit pays the named order's transfer, not the other
    line.refresh_from_db()
    assert result["matched"] == 1
    assert (line.match_status, line.payment_id) == (LineMatch.MATCHED, second.pk)
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.status, second.received_amount) == (PaymentStatus.PAID, 70_000)
    assert first.status == PaymentStatus.PENDING


def _credit(amount: int, description: str) -> StatementLine:
    from payments.models import StatementImport

    job = StatementImport.objects.create(format="bca_business", filename="t.csv", status="done")
    return StatementLine.objects.create(
        statement_import=job, booked_on=timezone.localdate(), description=description, amount=amount,
        is_credit=True, fingerprint=f"fp-{amount}-{description}"[:64],
    )


@override_settings(PAYMENTS_UNIQUE_CODE_MAX=1)
def test_a_credit_of_the_plain_amount_without_the_order_number_is_left_for_finance():
    _take_codes(80_000, [1, -1])
    payment = payment_open(order_id=make_order(total=80_000).pk)
    line = _credit(80_000, "TRSF E-BANKING CR BUDI")
    statement_lines_match()
    line.refresh_from_db()
    payment.refresh_from_db()
    assert line.match_status == LineMatch.UNMATCHED and payment.status == PaymentStatus.PENDING


@override_settings(PAYMENTS_UNIQUE_CODE_MAX=1)
def test_finance_sees_the_no_code_note_on_payment_order_and_reconcile_pages(client, finance_user):
    # given a transfer opened without a code and a credit naming its order
    _take_codes(90_000, [1, -1])
    payment = payment_open(order_id=make_order(total=90_000).pk)
    _credit(91_000, f"TRF {payment.order.number} dari BUDI")
    client.force_login(finance_user)
    note = "Cocokkan dengan nomor pesanan, tanpa kode unik"
    # then the payment page, the payments list and the matcher show the note (in Indonesian)
    for url in (reverse("payments:detail", args=[payment.pk]), reverse("payments:list"),
                reverse("payments:reconcile")):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="id")
        assert response.status_code == 200, url
        assert note in response.content.decode(), url
    # and the customer's order page asks for the order number in the transfer description
    order = payment.order
    response = client.get(reverse("track:order", kwargs={"number": order.number, "key": order.access_key}),
                          HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 200
    assert order.number in response.content.decode()
    assert "berita" in response.content.decode()


def test_the_default_code_space_starts_with_raising_codes():
    payment = payment_open(order_id=make_order(total=45_000).pk)
    assert 1 <= payment.unique_code <= 999 and payment.amount == 45_000 + payment.unique_code


@override_settings(PAYMENTS_UNIQUE_CODE_MAX=1)
def test_the_staff_order_page_tag_shows_the_note_only_for_an_open_transfer_without_a_code():
    from django.template import Context, Template
    from django.utils import translation

    _take_codes(95_000, [1, -1])
    no_code = payment_open(order_id=make_order(total=95_000).pk)
    with_code = payment_open(order_id=make_order(total=96_000).pk)
    template = Template("{% load payments_tags %}{% payment_staff_notes order %}")
    with translation.override("id"):
        assert "tanpa kode unik" in template.render(Context({"order": no_code.order}))
        assert "tanpa kode unik" not in template.render(Context({"order": with_code.order}))
