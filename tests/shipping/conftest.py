from __future__ import annotations

import functools

import pytest

from catalog.models import ProductVariant
from orders.services import AddressInput, CustomerInput, LineInput, order_confirm, order_create
from shipping.models import Courier, CourierService


@pytest.fixture(autouse=True)
def _english(english):
    """Messages in English in these tests, whatever the compiled catalogues say."""


@pytest.fixture
def make_variant(make_variant):
    """The shared make_variant with 20 units in stock unless told otherwise."""
    return functools.partial(make_variant, stock=20)


@pytest.fixture(autouse=True)
def couriers(db):
    """The couriers the data migration loads (a transactional test before this one flushed them)."""
    from shipping.couriers_data import load

    load(Courier, CourierService)


@pytest.fixture(autouse=True)
def sender(db):
    """The shop's sender details, as a seller fills them in once."""
    from shipping.models import ShippingSettings

    return ShippingSettings.objects.update_or_create(pk=1, defaults={
        "sender_name": "Toko Rina", "sender_phone": "081234567890", "origin_address": "Jl. Kebon Jeruk 1",
        "origin_city": "Jakarta Barat", "origin_province": "DKI Jakarta", "origin_postal_code": "11530"})[0]


@pytest.fixture
def jne(db) -> Courier:
    return Courier.objects.get(code="jne")


@pytest.fixture
def jne_reg(db) -> CourierService:
    return CourierService.objects.get(courier__code="jne", code="reg")


@pytest.fixture
def place_order(web_channel, make_variant):
    """place_order([("KAOS-L", 2)], cod=True, confirm=True): a confirmed web order with an address."""

    def place(lines=None, *, cod: bool = False, confirm: bool = True, address: str = "Jl. Melati No. 5",
              channel=None, paid: bool = True):
        lines = lines or [("KAOS-L", 1)]
        for sku, _q in lines:
            if not ProductVariant.objects.filter(sku=sku).exists():
                make_variant(sku, barcode=f"899{abs(hash(sku)) % 10**10:010d}")
        channel = channel or web_channel
        order = order_create(
            channel_id=channel.pk,
            customer=CustomerInput(name="Rina Kusuma", phone="081255556666"),
            lines=[LineInput(sku=sku, quantity=q) for sku, q in lines],
            shipping=AddressInput(name="Rina Kusuma", phone="081255556666", address=address, city="Kota Bandung",
                                  province="Jawa Barat", postal_code="40115") if address else None,
            shipping_amount=12_000,
            payment_method="cod" if cod else "bank_transfer",
        )
        if not cod and paid:
            from orders.services import order_mark_paid

            order_mark_paid(order_id=order.pk)
        if confirm and (paid or cod):
            order_confirm(order_id=order.pk)
        order.refresh_from_db()
        return order

    return place


@pytest.fixture
def shipped(place_order, jne):
    """shipped("CM1"): a packed order handed to JNE with that resi; returns the shipment."""
    from django.utils import timezone

    from shipping.models import Shipment
    from shipping.services.shipments import shipment_create, shipment_mark_picked_up

    def make(resi: str, **order_kwargs):
        order = place_order(**order_kwargs)
        shipment = shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number=resi)
        Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now(), etd_min_days=1, etd_max_days=3)
        return shipment_mark_picked_up(shipment_id=shipment.pk)

    return make
