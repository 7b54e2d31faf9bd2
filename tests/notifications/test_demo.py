from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import demo
from notifications.models import Notification
from orders import hooks
from orders.models import OrderEvent, OrderStatus
from tests.notifications.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_the_demo_backdates_old_notifications_and_leaves_recent_ones_for_the_worker():
    now = timezone.now()
    old = OrderFactory(placed_at=now - timedelta(days=30), status=OrderStatus.PAID)
    recent = OrderFactory(placed_at=now - timedelta(hours=2))
    OrderEvent.objects.create(order=old, kind="status_changed", from_status="awaiting_payment", to_status="paid")
    OrderEvent.objects.filter(order=old).update(created_at=now - timedelta(days=29))
    with transaction.atomic():
        for order in (old, recent):
            hooks.run_order_created(order.id)
        hooks.run_status_changed(hooks.StatusChange(old.id, "awaiting_payment", "paid", 1, "gateway"))
    said = []

    demo.seed(SimpleNamespace(rng=random.Random(1), now=now, say=said.append))

    old_rows = Notification.objects.filter(order=old)
    assert {n.status for n in old_rows} <= {"sent", "failed"}
    paid = old_rows.get(event="order_paid", channel="email")
    assert (now - timedelta(days=29)) < paid.created_at < (now - timedelta(days=29) + timedelta(minutes=1))
    confirmation = old_rows.get(event="order_confirmation", channel="email")
    assert confirmation.created_at < now - timedelta(days=29, hours=23)
    assert {n.status for n in Notification.objects.filter(order=recent)} == {"queued"}
    assert said == ["6 customer notifications (0 failed)"]
