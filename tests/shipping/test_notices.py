"""Customer messages for shipping events and staff alerts, through the notifications app's hooks."""

import pytest
from django.utils import timezone

from notifications.models import Notification
from shipping.models import Shipment
from shipping.services import shipments as svc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def templates(db):
    """The default templates (a transactional test elsewhere may have flushed the migration's rows)."""
    import importlib

    from django.apps import apps as django_apps

    for name in ("0002_default_templates", "0004_shipping_events"):
        importlib.import_module(f"notifications.migrations.{name}").create_templates(django_apps, None)


def test_the_customer_hears_the_resi_and_out_for_delivery_once_each(place_order, jne,
                                                                    django_capture_on_commit_callbacks):
    order = place_order()
    with django_capture_on_commit_callbacks(execute=True):
        shipment = svc.shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number="CM-NOTE-1")
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        svc.shipment_mark_picked_up(shipment_id=shipment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        svc.shipment_mark_out_for_delivery(shipment_id=shipment.pk)
        svc.shipment_put_on_hold(shipment_id=shipment.pk)
        svc.shipment_mark_out_for_delivery(shipment_id=shipment.pk)

    resi = Notification.objects.filter(order=order, event="order_resi_assigned", channel="whatsapp").get()
    assert "CM-NOTE-1" in resi.body and "JNE" in resi.body
    assert Notification.objects.filter(order=order, event="order_out_for_delivery", channel="whatsapp").count() == 1


def test_marketplace_buyers_are_not_messaged_off_platform(place_order, shopee_channel, jne,
                                                          django_capture_on_commit_callbacks):
    order = place_order(channel=shopee_channel)
    with django_capture_on_commit_callbacks(execute=True):
        svc.shipment_create(order_id=order.pk, courier_id=jne.pk, tracking_number="CM-NOTE-2")
    assert not Notification.objects.filter(order=order).exclude(event="order_confirmation").exists()


@pytest.fixture
def no_alert_sent_today():
    """Forget today's alert markers (the cache outlives the test database: a second run would be "already told")."""
    from django.core.cache import cache

    from shipping.services.alerts import ALERT_QUEUES

    today = timezone.localdate()
    cache.delete_many([f"shipping:alert:{queue}:{today}" for queue in ALERT_QUEUES])


def test_staff_alerts_go_to_the_warehouse_addresses(place_order, sender, no_alert_sent_today):
    from shipping.services.alerts import alerts_send

    sender.alert_recipients = "gudang@example.id, 0812-3456-7890, nonsense"
    sender.save()
    order = place_order()
    shipment = svc.shipment_create(order_id=order.pk)
    Shipment.objects.filter(pk=shipment.pk).update(ship_by=timezone.now() - timezone.timedelta(hours=1))

    assert alerts_send() == 1
    assert alerts_send() == 0  # once per condition and count
    alerts = Notification.objects.filter(event="staff_alert")
    assert sorted(alerts.values_list("channel", "recipient")) == [("email", "gudang@example.id"),
                                                                  ("whatsapp", "+6281234567890")]
    assert order.number in alerts.first().body
