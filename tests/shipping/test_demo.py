"""The shipping demo builds parcels in every state through the real services."""

import io
import random

import pytest
from django.core.management.base import OutputWrapper
from django.utils import timezone

from channels import demo as channels_demo
from core.management.commands.seed_demo import DemoContext
from orders import demo as orders_demo
from shipping import demo
from shipping.models import Manifest, PickWave, Rate, Shipment, ShipmentStatus, TrackingEvent, WeightDispute

pytestmark = pytest.mark.django_db


def test_demo_parcels_cover_every_state_with_history_a_dispute_and_an_rts(make_variant):
    ctx = DemoContext(rng=random.Random(11), now=timezone.now(), days=14, stdout=OutputWrapper(io.StringIO()))
    channels_demo.seed(ctx)
    for n in range(8):
        make_variant(f"DEMO-{n}", stock=500)
    orders_demo.seed(ctx)

    demo.seed(ctx)

    provinces = set(Rate.objects.values_list("province_key", flat=True))
    assert {"jawa barat", "bali", "sumatera utara", "kalimantan timur", "sulawesi selatan", "papua"} <= provinces
    statuses = set(Shipment.objects.values_list("status", flat=True))
    assert {ShipmentStatus.CREATED, ShipmentStatus.BOOKED, ShipmentStatus.CANCELLED, ShipmentStatus.PICKED_UP,
            ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED,
            ShipmentStatus.ON_HOLD, ShipmentStatus.FAILED_DELIVERY, ShipmentStatus.RETURNING_TO_SENDER,
            ShipmentStatus.RETURNED, ShipmentStatus.LOST} <= statuses
    assert TrackingEvent.objects.filter(occurred_at__lt=timezone.now() - timezone.timedelta(days=2)).exists()
    assert WeightDispute.objects.count() == 1
    assert Shipment.objects.filter(return_received_at__isnull=False).exists()
    assert PickWave.objects.filter(status="open").exists() and Manifest.objects.filter(status="closed").exists()
