"""The demo seed makes a believable order history through the real services."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from django.core.management.base import OutputWrapper
from django.db.models import Sum
from django.utils import timezone

from catalog.models import StockLevel
from channels import demo as channels_demo
from core.management.commands.seed_demo import DemoContext
from orders import demo
from orders.models import Order, OrderLine

pytestmark = pytest.mark.django_db


def test_demo_orders_cover_channels_and_statuses_with_consistent_stock(make_variant):
    # given the demo channels and a few products in stock
    ctx = DemoContext(rng=random.Random(7), now=timezone.now(), days=20, stdout=OutputWrapper(io.StringIO()))
    channels_demo.seed(ctx)
    for n in range(8):
        make_variant(f"DEMO-{n}", price=50_000 + n * 5_000, stock=500)
    # when the orders demo runs
    demo.seed(ctx)
    # then there are orders on every channel, in many statuses, with history in the past
    orders = Order.objects.all()
    assert orders.count() >= 20 * 4
    assert orders.values("channel").distinct().count() == 7
    assert {"completed", "shipped", "cancelled"} <= set(orders.values_list("status", flat=True))
    assert orders.filter(placed_at__lt=timezone.now() - timedelta(days=15)).exists()
    # and every unit still held by an open order is reserved in the stock ledger
    open_units = OrderLine.objects.filter(stock_reserved=True).aggregate(n=Sum("quantity"))["n"] or 0
    assert StockLevel.objects.aggregate(n=Sum("reserved"))["n"] == open_units
