"""Real threads on PostgreSQL: concurrent triggers write one row per channel, concurrent sends send once."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from notifications.models import Notification
from notifications.services import notification_queue_for_order, notification_send
from tests.notifications.conftest import ScriptedProvider
from tests.notifications.factories import OrderFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("default_templates")]


def run_together(target, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    return results


def test_concurrent_triggers_for_one_order_write_one_row_per_channel(monkeypatch):
    monkeypatch.setattr("notifications.services._send_after_commit", lambda ids: None)
    order = OrderFactory()

    def trigger():
        with transaction.atomic():
            return [n.pk for n in notification_queue_for_order(order_id=order.id, event="order_paid")]

    results = run_together(trigger, 6)

    rows = Notification.objects.filter(order=order, event="order_paid")
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "whatsapp"]
    assert sorted(pk for result in results for pk in result) == sorted(rows.values_list("pk", flat=True))


def test_concurrent_sends_of_one_notification_call_the_provider_once(scripted):
    provider = scripted(["ok"] * 8)
    notification = Notification.objects.create(order=OrderFactory(), event="order_paid", channel="whatsapp",
                                               recipient="+6281234567890", body="Pembayaran diterima.")

    results = run_together(lambda: notification_send(notification_id=notification.pk).status, 8)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert len(provider.sent) == 1
    assert len(results) == 8
    assert ScriptedProvider.sent[0].notification_id == notification.pk
