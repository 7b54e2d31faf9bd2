"""The debounced drain of order-event triggers: one task for many orders, nothing held back."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from catalog.services import stock_receive
from channels.models import Channel
from notifications import services, tasks
from notifications.models import Notification, NotificationTrigger
from orders.services import CustomerInput, LineInput, order_create
from tests.factories import ChannelFactory
from tests.orders.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_drain_marker():
    cache.delete(tasks.TRIGGER_DRAIN_KEY)
    yield
    cache.delete(tasks.TRIGGER_DRAIN_KEY)


@pytest.fixture
def place_order():
    channel = ChannelFactory(kind=Channel.Kind.WEBSITE, name="Website", code="WEB")
    variant = VariantFactory(sku="KOPI-250", price_amount=85_000)
    stock_receive(variant_id=variant.id, quantity=100, reason="test stock")

    def place(n: int):
        return order_create(
            channel_id=channel.id, lines=[LineInput(sku="KOPI-250", quantity=1)],
            customer=CustomerInput(name=f"Pembeli {n}", phone=f"0812-0000-{n:04d}"),
        )

    return place


def test_orders_committed_while_a_drain_is_queued_publish_no_more_tasks(place_order, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    # given a broker that counts what is published
    published = []
    monkeypatch.setattr(tasks.notification_triggers_drain_task, "delay", lambda: published.append(1))
    # when three orders commit one after another
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            place_order(n)
    # then one drain was queued for all three, and their triggers wait for it
    assert published == [1]
    assert NotificationTrigger.objects.count() == 3
    # when that drain runs, every order is confirmed and the marker is gone
    monkeypatch.undo()
    written = tasks.notification_triggers_drain_task.apply().get()
    assert written == 3
    assert not NotificationTrigger.objects.exists()
    assert Notification.objects.filter(event="order_confirmation").count() == 3
    assert cache.get(tasks.TRIGGER_DRAIN_KEY) is None


def test_a_failing_trigger_stays_for_the_sweep_and_does_not_hold_back_the_others(place_order, monkeypatch):
    # given three recorded order events whose drain has not run yet, the second one broken
    monkeypatch.setattr(tasks.notification_triggers_drain_task, "delay", lambda: None)
    orders = [place_order(n) for n in range(3)]
    broken = NotificationTrigger.objects.get(order=orders[1]).pk
    process = services.notification_trigger_process

    def flaky(*, trigger_id):
        if trigger_id == broken:
            raise RuntimeError("template error")
        return process(trigger_id=trigger_id)

    monkeypatch.setattr(services, "notification_trigger_process", flaky)
    # when the drain runs
    tasks.notification_triggers_drain_task.apply().get()
    # then it ends, the others are confirmed, and the broken one waits for the sweep
    assert list(NotificationTrigger.objects.values_list("pk", flat=True)) == [broken]
    assert set(Notification.objects.values_list("order_id", flat=True)) == {orders[0].pk, orders[2].pk}
    assert cache.get(tasks.TRIGGER_DRAIN_KEY) is None


def test_a_broker_error_clears_the_marker_so_the_next_order_tries_again(place_order, monkeypatch):
    def broker_down():
        raise ConnectionError("redis is away")

    monkeypatch.setattr(tasks.notification_triggers_drain_task, "delay", broker_down)
    with pytest.raises(ConnectionError):
        tasks.notification_triggers_wake()
    assert cache.get(tasks.TRIGGER_DRAIN_KEY) is None
