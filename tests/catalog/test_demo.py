from __future__ import annotations

import io
import random

import pytest
from django.db.models import Sum
from django.utils import timezone

from catalog import demo
from catalog.models import ChannelListing, CompetitorPrice, Product, StockLevel, StockMovement
from channels import demo as channels_demo
from core.management.commands.seed_demo import DemoContext

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_a_shop_whose_ledger_adds_up(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ctx = DemoContext(rng=random.Random(7), now=timezone.now(), days=90, stdout=io.StringIO())
    channels_demo.seed(ctx)

    demo.seed(ctx)

    assert Product.objects.count() == len(demo.PRODUCTS)
    assert StockLevel.objects.values("warehouse").distinct().count() == 2
    assert ChannelListing.objects.exists() and CompetitorPrice.objects.exists()
    assert StockMovement.objects.filter(kind="shipment").exists()
    assert len(ctx.shared["catalog"]["variant_ids"]) > 50
    for level in StockLevel.objects.all():
        sums = StockMovement.objects.filter(variant_id=level.variant_id, warehouse_id=level.warehouse_id).aggregate(
            o=Sum("on_hand_change"), r=Sum("reserved_change"))
        assert (level.on_hand, level.reserved) == (sums["o"], sums["r"])


def test_demo_seed_twice_leaves_the_catalog_alone(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ctx = DemoContext(rng=random.Random(3), now=timezone.now(), days=30, stdout=io.StringIO())
    channels_demo.seed(ctx)
    demo.seed(ctx)
    movements = StockMovement.objects.count()

    demo.seed(ctx)

    assert StockMovement.objects.count() == movements
    assert Product.objects.count() == len(demo.PRODUCTS)
