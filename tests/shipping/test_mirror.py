"""Marketplace orders: their resi and logistics status land on a shipment (the orders hook, after commit)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.inputs import ExternalOrder, ExternalOrderLine
from orders.models import OrderStatus
from orders.services import order_upsert_external
from shipping.models import Shipment, ShipmentProvider, ShipmentStatus
from shipping.services.mirror import orders_missing_shipment, shipments_mirror_orders

pytestmark = pytest.mark.django_db(transaction=True)
BASE = timezone.now().replace(microsecond=0) - timedelta(hours=3)


def external(status: str, minutes: int, **fields) -> ExternalOrder:
    defaults = {"external_id": "220810QSK8S7BX", "status": status, "placed_at": BASE,
                    "updated_at": BASE + timedelta(minutes=minutes),
                    "lines": [ExternalOrderLine(external_line_id="1", sku="KAOS-L", name="Kaos", quantity=1,
                                             unit_price_amount=85_000)],
                    "total_amount": 95_000, "shipping_name": "Siti", "shipping_address": "Jl. Melati 5",
                    "shipping_city": "Bandung", "ship_by": BASE + timedelta(days=2)}
    defaults.update(fields)
    return ExternalOrder(**defaults)


def test_a_shopee_resi_and_status_become_a_shipment_once(shopee_channel, make_variant, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    make_variant("KAOS-L")
    order = order_upsert_external(channel_id=shopee_channel.pk, external=external("READY_TO_SHIP", 0))
    assert not Shipment.objects.exists()

    order_upsert_external(channel_id=shopee_channel.pk, external=external(
        "SHIPPED", 30, courier="SPX Standard", tracking_number="SPXID06322788471A"))
    order_upsert_external(channel_id=shopee_channel.pk, external=external(
        "SHIPPED", 30, courier="SPX Standard", tracking_number="SPXID06322788471A"))

    shipment = Shipment.objects.get(order=order)
    assert (shipment.courier_key, shipment.tracking_number, shipment.provider) == (
        "spx", "SPXID06322788471A", ShipmentProvider.MARKETPLACE)
    assert shipment.status == ShipmentStatus.IN_TRANSIT and shipment.ship_by == BASE + timedelta(days=2)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    order_upsert_external(channel_id=shopee_channel.pk, external=external(
        "TO_CONFIRM_RECEIVE", 90, courier="SPX Standard", tracking_number="SPXID06322788471A"))
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED


def test_the_sweep_catches_a_resi_that_came_without_a_status_change(shopee_channel, make_variant):
    make_variant("KAOS-L")
    order = order_upsert_external(channel_id=shopee_channel.pk, external=external("PROCESSED", 0))
    order_upsert_external(channel_id=shopee_channel.pk, external=external(
        "PROCESSED", 10, courier="J&T Express", tracking_number="JP7700112233"))
    assert orders_missing_shipment() == [order.pk]
    assert shipments_mirror_orders(order_ids=orders_missing_shipment()) == 1
    shipment = Shipment.objects.get(order=order)
    assert (shipment.courier_key, shipment.status) == ("jnt", ShipmentStatus.BOOKED)
    assert orders_missing_shipment() == []
