"""What a customer message says about paying by bank transfer: always the exact amount; a lowering
kode unik is explained as "order total minus N" (never "kode unik -123"); a transfer without a code
asks for the order number in the transfer's berita/description. Indonesian and English."""

from __future__ import annotations

import pytest
from django.utils import translation

from notifications.payment_context import payment_context
from payments.models import Payment, PaymentMethod
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


def _instructions(*, base: int, code: int, no_code: bool = False, language: str = "id") -> tuple[str, object]:
    order = make_order(total=base)
    Payment.objects.create(order=order, method=PaymentMethod.BANK_TRANSFER, reference=f"BT-{order.number}",
                           base_amount=base, unique_code=code, amount=base + code, match_by_order_number=no_code)
    with translation.override(language):
        return payment_context(order, language)["payment_instructions"], order


def test_a_raising_code_is_named_with_the_exact_amount():
    text, _order = _instructions(base=125_000, code=123)

    assert text.startswith("Transfer tepat Rp 125.123 (termasuk kode unik 123")


def test_a_lowering_code_gives_the_exact_amount_and_never_a_negative_code():
    text, _order = _instructions(base=125_000, code=-123)

    assert text.startswith("Transfer tepat Rp 124.877 (total pesanan Rp 125.000 dikurangi 123")
    assert "-123" not in text and "kode unik" not in text


def test_a_lowering_code_in_english():
    text, _order = _instructions(base=125_000, code=-123, language="en")

    assert text.startswith("Transfer exactly Rp 124.877 (your order total Rp 125.000 minus 123")
    assert "-123" not in text


def test_a_transfer_without_a_code_asks_for_the_order_number_in_the_berita():
    text, order = _instructions(base=95_000, code=0, no_code=True)

    assert text.startswith(f"Transfer tepat Rp 95.000 dan tulis nomor pesanan {order.number} di berita/keterangan")
    assert "kode unik" not in text


def test_a_transfer_without_a_code_in_english():
    text, order = _instructions(base=95_000, code=0, no_code=True, language="en")

    assert f"write the order number {order.number} in the transfer's description (berita)" in text
