from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.inputs import ExternalOrder, ExternalOrderLine
from orders.services import CustomerInput, LineInput, order_create
from tests.factories import ChannelFactory


@pytest.fixture
def make_channel(db):
    def make(kind: str, code: str):
        return ChannelFactory(kind=kind, name=f"{kind} {code}", code=code, shop_id=f"shop-{code}")

    return make


@pytest.fixture
def buyer():
    return CustomerInput(name="Budi Santoso", phone="0812-3456-7890", email="budi@example.id")


@pytest.fixture
def place_order(web_channel, buyer, make_variant):
    """place_order(payment_method="cod", qty=2): a web order for 2 × a fresh SKU with stock 10."""
    counter = {"n": 0}

    def place(*, qty: int = 2, payment_method: str = "bank_transfer", channel=None, variant=None, **kwargs):
        counter["n"] += 1
        variant = variant or make_variant(f"FIX-{counter['n']:03d}", price=50_000, stock=10)
        return order_create(
            channel_id=(channel or web_channel).id,
            lines=[LineInput(sku=variant.sku, quantity=qty)],
            customer=kwargs.pop("customer", buyer),
            payment_method=payment_method,
            **kwargs,
        )

    return place


@pytest.fixture
def external_order():
    """external_order(status="READY_TO_SHIP", minutes=0, **overrides): a Shopee-shaped ExternalOrder."""
    base = timezone.now().replace(microsecond=0) - timedelta(hours=1)

    def make(status: str = "READY_TO_SHIP", *, minutes: int = 0, external_id: str = "220810QSK8S7BX", lines=None,
             **overrides):
        lines = lines if lines is not None else [
            ExternalOrderLine(external_line_id="1", sku="KAOS-L", name="Kaos L", quantity=2, unit_price_amount=85_000)
        ]
        fields = {
            "external_id": external_id,
            "status": status,
            "placed_at": base,
            "updated_at": base + timedelta(minutes=minutes),
            "lines": lines,
            "total_amount": sum(ln.unit_price_amount * ln.quantity for ln in lines) + 10_000,
            "shipping_amount": 10_000,
            "buyer_name": "Siti Rahma",
            "buyer_phone": "******89",
            "shipping_name": "Siti Rahma",
            "shipping_address": "Jl. Melati 5, Bandung",
            "shipping_city": "Bandung",
        }
        fields.update(overrides)
        return ExternalOrder(**fields)

    return make
