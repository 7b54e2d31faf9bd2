"""Concurrency on PostgreSQL with real threads: one order, one reservation, whatever the race."""

from __future__ import annotations

import threading

import pytest

from catalog.models import StockMovement
from orders.models import Order
from orders.services import order_upsert_external
from tests.concurrency import race as _race

pytestmark = pytest.mark.django_db(transaction=True)




def test_five_concurrent_identical_pushes_make_one_order_and_one_reservation(shopee_channel, external_order,
                                                                               make_variant, stock_of):
    # given a product in stock and one marketplace order
    kaos = make_variant("KAOS-L", stock=10)
    external = external_order("READY_TO_SHIP")
    # when five workers upsert the same push at once
    results = _race(5, lambda: order_upsert_external(channel_id=shopee_channel.id, external=external).id)
    # then every worker got the same order, reserved once
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    order = Order.objects.get()
    assert StockMovement.objects.filter(reference=f"order:{order.id}", kind="reserve").count() == 1
    assert stock_of(kaos) == (10, 2)
    assert order.events.filter(kind="created").count() == 1
    assert order.events.filter(kind="status_changed").count() == 1


def test_concurrent_different_statuses_end_at_the_latest(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    pushes = [external_order(status, minutes=i) for i, status in
              enumerate(["UNPAID", "READY_TO_SHIP", "PROCESSED", "SHIPPED", "COMPLETED"])]
    queue = list(reversed(pushes))
    lock = threading.Lock()

    def work():
        with lock:
            external = queue.pop()
        return order_upsert_external(channel_id=shopee_channel.id, external=external).id

    results = _race(5, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    order = Order.objects.get()
    assert order.status == "completed"
    assert stock_of(kaos) == (8, 0)
