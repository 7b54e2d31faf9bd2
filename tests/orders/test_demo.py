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
from orders.models import Order, OrderEvent, OrderLine

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


def test_back_dated_demo_orders_carry_their_own_day_in_the_number_everywhere(make_variant):
    # given the demo channels and products, ten days of history
    ctx = DemoContext(rng=random.Random(11), now=timezone.now(), days=10, stdout=OutputWrapper(io.StringIO()))
    channels_demo.seed(ctx)
    for n in range(6):
        make_variant(f"DEMO-{n}", price=60_000 + n * 5_000, stock=500)

    # when the orders demo runs
    demo.seed(ctx)

    # then each order's number names the day it was placed and created (Asia/Jakarta)
    orders = list(Order.objects.all())
    assert any(order.placed_at < ctx.now - timedelta(days=5) for order in orders)
    for order in orders:
        day = order.number.split("-")[1]
        assert day == f"{timezone.localtime(order.placed_at):%y%m%d}", order.number
        assert day == f"{timezone.localtime(order.created_at):%y%m%d}", order.number
    # and the number written on the way (the created event) is that same number
    for event in OrderEvent.objects.filter(kind="created").select_related("order"):
        assert event.data.get("number", event.order.number) == event.order.number


def test_an_order_cannot_be_placed_in_the_future(make_variant, web_channel):
    from django.core.exceptions import ValidationError

    from orders.services import CustomerInput, LineInput, order_create

    variant = make_variant("FUTURE-1", price=10_000, stock=5)
    with pytest.raises(ValidationError) as caught:
        order_create(channel_id=web_channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                     customer=CustomerInput(name="Budi", phone="0812-3456-7890"),
                     placed_at=timezone.now() + timedelta(hours=1))

    assert "placed_at" in caught.value.message_dict
    assert not Order.objects.exists()
