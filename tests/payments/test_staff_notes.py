"""The staff order page tells customer service and Finance what to tell the buyer about a bank
transfer: a raising kode unik as "base + code", a lowering one as "base − code" (never "-123"), and a
transfer opened without a code as a note to ask for the order number in the transfer's berita."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core import roles
from payments.models import Payment, PaymentMethod, PaymentStatus
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


def _order_with_payment(*, base: int, code: int, no_code: bool = False, status=PaymentStatus.PENDING):
    order = make_order(total=base)
    Payment.objects.create(order=order, method=PaymentMethod.BANK_TRANSFER, reference=f"BT-{order.number}",
                           base_amount=base, unique_code=code, amount=base + code,
                           match_by_order_number=no_code, status=status)
    return order


def _amount_block(html: str) -> str:
    return html.split('id="amount-due"', 1)[1].split('<div class="card', 1)[0]


@pytest.mark.parametrize("role", [roles.CUSTOMER_SERVICE, roles.FINANCE])
def test_a_lowering_code_reads_base_minus_code_equals_the_amount(staff_client, role):
    order = _order_with_payment(base=125_000, code=-123)

    response = staff_client(role).get(reverse("orders:detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="id")

    assert response.status_code == 200
    block = _amount_block(response.content.decode())
    assert "Rp 125.000 − 123 = Rp 124.877" in block
    assert "-123" not in block and "+ 123" not in block


def test_a_raising_code_reads_base_plus_code_equals_the_amount(staff_client):
    order = _order_with_payment(base=125_000, code=123)

    block = _amount_block(staff_client(roles.CUSTOMER_SERVICE).get(
        reverse("orders:detail", args=[order.pk])).content.decode())

    assert "Rp 125.000 + 123 = Rp 125.123" in block
    assert "minta pembeli mentransfer tepat sejumlah ini" in block


def test_an_open_transfer_without_a_code_tells_staff_to_ask_for_the_order_number(staff_client):
    order = _order_with_payment(base=95_000, code=0, no_code=True)

    block = _amount_block(staff_client(roles.FINANCE).get(
        reverse("orders:detail", args=[order.pk])).content.decode())

    assert (f"Transfer tanpa kode unik: minta pembeli menulis nomor pesanan {order.number} di berita transfer"
            in block)
    assert "kode unik 0" not in block


def test_the_no_code_note_goes_once_the_transfer_is_paid(staff_client):
    order = _order_with_payment(base=95_000, code=0, no_code=True, status=PaymentStatus.PAID)

    html = staff_client(roles.FINANCE).get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert "Transfer tanpa kode unik" not in html


def test_the_notes_are_english_on_an_english_dashboard(staff_client):
    order = _order_with_payment(base=125_000, code=-7)
    client = staff_client(roles.CUSTOMER_SERVICE)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    block = _amount_block(client.get(reverse("orders:detail", args=[order.pk])).content.decode())

    assert "− 7 = " in block and "(kode unik 7 lowers the amount): tell the buyer" in block, block
