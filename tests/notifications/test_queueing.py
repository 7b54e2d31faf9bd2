"""Which notifications an order event writes, and that each goes out once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from channels.models import Channel
from notifications import hooks as notification_hooks
from notifications.models import (
    CustomerPreference,
    ErrorKind,
    Notification,
    NotificationTemplate,
    NotificationTrigger,
)
from notifications.services import (
    notification_queue,
    notification_queue_for_order,
    notification_sweep,
    notification_trigger_process,
)
from orders import hooks
from orders.models import OrderStatus
from tests.factories import ChannelFactory, CustomerFactory
from tests.notifications.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _created(order_id: int, capture) -> None:
    """What an order service does: run the hook inside its transaction, send after commit."""
    with capture(execute=True), transaction.atomic():
        hooks.run_order_created(order_id)


def _status(order, capture, to_status: str, from_status: str = OrderStatus.AWAITING_PAYMENT) -> None:
    with capture(execute=True), transaction.atomic():
        hooks.run_status_changed(hooks.StatusChange(order.id, from_status, to_status, event_id=1, source="staff"))


def whatsapp_lines(settings) -> list[dict]:
    path = settings.NOTIFY_FILE_DIR / "whatsapp.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_order_created_sends_a_confirmation_by_email_and_whatsapp(django_capture_on_commit_callbacks, settings):
    # given an order from a customer with an e-mail address and a phone
    order = OrderFactory()

    # when the order service reports it created
    _created(order.id, django_capture_on_commit_callbacks)

    # then both messages were written and sent after the commit
    rows = {n.channel: n for n in Notification.objects.filter(order=order)}
    assert set(rows) == {"email", "whatsapp"}
    assert all(n.status == Notification.Status.SENT and n.attempts == 1 for n in rows.values())
    assert rows["email"].event == "order_confirmation"
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [order.customer.email]
    assert email.subject == f"Pesanan {order.number} sudah kami terima"
    assert "Total pembayaran: Rp 1.268.000" in email.body
    assert f"https://oms.example.id/track/{order.number}/{order.access_key}/" in email.body
    assert rows["email"].provider_message_id == email.extra_headers["Message-ID"]
    [wa] = whatsapp_lines(settings)
    assert wa["to"] == order.customer.phone
    assert f"Pesanan *{order.number}* sudah kami terima" in wa["body"]
    assert "• Kemeja Batik Parang × 2 — Rp 650.000" in wa["body"]
    assert rows["whatsapp"].provider_message_id == wa["id"]


def test_nothing_is_sent_when_the_order_transaction_rolls_back(django_capture_on_commit_callbacks):
    order = OrderFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        hooks.run_order_created(order.id)
        raise RuntimeError("the order service failed later")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_repeated_trigger_does_not_message_twice(django_capture_on_commit_callbacks, settings):
    order = OrderFactory()
    _created(order.id, django_capture_on_commit_callbacks)

    _created(order.id, django_capture_on_commit_callbacks)
    again = notification_queue_for_order(order_id=order.id, event="order_confirmation")

    assert again == []
    assert Notification.objects.filter(order=order).count() == 2
    assert len(mail.outbox) == 1
    assert len(whatsapp_lines(settings)) == 1


@pytest.mark.parametrize(
    ("to_status", "event"),
    [
        (OrderStatus.PAID, "order_paid"),
        (OrderStatus.PROCESSING, "order_processing"),
        (OrderStatus.SHIPPED, "order_shipped"),
        (OrderStatus.DELIVERED, "order_delivered"),
        (OrderStatus.CANCELLED, "order_cancelled"),
    ],
)
def test_a_customer_visible_status_change_sends_its_event(django_capture_on_commit_callbacks, to_status, event):
    order = OrderFactory(status=to_status)

    _status(order, django_capture_on_commit_callbacks, to_status)

    rows = Notification.objects.filter(order=order)
    assert {(n.event, n.channel, n.status) for n in rows} == {(event, "email", "sent"), (event, "whatsapp", "sent")}


@pytest.mark.parametrize("to_status", [OrderStatus.PACKED, OrderStatus.COMPLETED])
def test_internal_status_changes_send_nothing(django_capture_on_commit_callbacks, to_status):
    order = OrderFactory(status=to_status)

    _status(order, django_capture_on_commit_callbacks, to_status, from_status=OrderStatus.PROCESSING)

    assert not Notification.objects.exists()


def test_going_back_to_processing_after_packing_does_not_repeat_the_message(django_capture_on_commit_callbacks):
    order = OrderFactory(status=OrderStatus.PROCESSING)
    _status(order, django_capture_on_commit_callbacks, OrderStatus.PROCESSING, OrderStatus.PAID)

    _status(order, django_capture_on_commit_callbacks, OrderStatus.PROCESSING, OrderStatus.PACKED)

    assert Notification.objects.filter(order=order, event="order_processing").count() == 2  # email + whatsapp
    assert len(mail.outbox) == 1


def test_only_the_channels_the_customer_can_be_reached_on_are_used(django_capture_on_commit_callbacks):
    no_email = OrderFactory(customer=CustomerFactory(email=""))
    no_phone = OrderFactory(customer=CustomerFactory(phone="", email="sari@example.id"), shipping_phone="")

    _created(no_email.id, django_capture_on_commit_callbacks)
    _created(no_phone.id, django_capture_on_commit_callbacks)

    assert list(Notification.objects.filter(order=no_email).values_list("channel", flat=True)) == ["whatsapp"]
    assert list(Notification.objects.filter(order=no_phone).values_list("channel", flat=True)) == ["email"]


def test_the_shipping_phone_is_used_when_the_customer_has_none(django_capture_on_commit_callbacks):
    order = OrderFactory(customer=CustomerFactory(phone="", email=""), shipping_phone="0813-2222-3333")

    _created(order.id, django_capture_on_commit_callbacks)

    assert Notification.objects.get(order=order).recipient == "+6281322223333"


def test_sms_is_sent_when_enabled(django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_CHANNELS = ["sms"]
    order = OrderFactory()

    _created(order.id, django_capture_on_commit_callbacks)

    row = Notification.objects.get(order=order)
    assert (row.channel, row.status) == ("sms", "sent")
    assert (settings.NOTIFY_FILE_DIR / "sms.jsonl").exists()


def test_a_customer_who_opted_out_of_a_channel_is_not_messaged_there(django_capture_on_commit_callbacks):
    order = OrderFactory()
    CustomerPreference.objects.create(customer=order.customer, whatsapp_enabled=False)

    _created(order.id, django_capture_on_commit_callbacks)

    assert list(Notification.objects.filter(order=order).values_list("channel", flat=True)) == ["email"]


def test_an_english_speaking_customer_gets_english_messages(django_capture_on_commit_callbacks):
    order = OrderFactory()
    CustomerPreference.objects.create(customer=order.customer, language="en")

    _created(order.id, django_capture_on_commit_callbacks)

    assert set(Notification.objects.values_list("language", flat=True)) == {"en"}
    assert mail.outbox[0].subject == f"We have received your order {order.number}"
    assert "Total to pay: Rp 1.268.000" in mail.outbox[0].body


def test_the_default_language_is_used_when_the_customers_template_is_inactive(django_capture_on_commit_callbacks):
    order = OrderFactory()
    CustomerPreference.objects.create(customer=order.customer, language="en")
    NotificationTemplate.objects.filter(event="order_confirmation", channel="email", language="en").update(
        is_active=False
    )

    _created(order.id, django_capture_on_commit_callbacks)

    assert Notification.objects.get(channel="email").language == "id"


def test_an_inactive_template_means_no_message_on_that_channel(django_capture_on_commit_callbacks):
    NotificationTemplate.objects.filter(event="order_confirmation", channel="whatsapp").update(is_active=False)
    order = OrderFactory()

    _created(order.id, django_capture_on_commit_callbacks)

    assert list(Notification.objects.values_list("channel", flat=True)) == ["email"]


def test_marketplace_orders_are_not_messaged_unless_enabled(django_capture_on_commit_callbacks, settings):
    shopee = ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee", code="SHP", shop_id="1")
    order = OrderFactory(channel=shopee)

    _created(order.id, django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()

    settings.NOTIFY_MARKETPLACE_ORDERS = True
    _created(order.id, django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 2


def test_a_template_that_does_not_render_leaves_a_failed_row_and_keeps_the_order(django_capture_on_commit_callbacks):
    NotificationTemplate.objects.filter(event="order_confirmation", channel="email", language="id").update(
        body="Total: {{ order_total|floatformat:'x' }}{% if %}"
    )
    order = OrderFactory()

    _created(order.id, django_capture_on_commit_callbacks)

    email = Notification.objects.get(channel="email")
    assert email.status == Notification.Status.FAILED
    assert email.error_kind == ErrorKind.PERMANENT
    assert "does not render" in email.error
    assert Notification.objects.get(channel="whatsapp").status == Notification.Status.SENT


def test_a_notification_failure_never_breaks_the_order_transaction(django_capture_on_commit_callbacks, monkeypatch):
    order = OrderFactory()

    def explode(**kwargs):
        raise RuntimeError("bug in notifications")

    monkeypatch.setattr("notifications.hooks.notification_queue_for_order", explode)
    monkeypatch.setattr("notifications.services.notification_queue_for_order", explode)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.run_order_created(order.id)
        hooks.run_status_changed(hooks.StatusChange(order.id, "awaiting_payment", "paid", event_id=1, source="staff"))
        order.notes = "still saved"
        order.save(update_fields=["notes"])

    order.refresh_from_db()
    assert order.notes == "still saved"
    # the confirmation is not lost: its trigger waits for the sweep
    assert NotificationTrigger.objects.filter(order=order, event="order_confirmation").exists()


def test_a_failed_trigger_is_written_by_the_sweep_later(django_capture_on_commit_callbacks, monkeypatch):
    # given an order whose confirmation task failed (a bug, the database away)
    order = OrderFactory()
    monkeypatch.setattr("notifications.services.notification_queue_for_order",
                        lambda **kwargs: (_ for _ in ()).throw(RuntimeError("database went away")))
    _created(order.id, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(order=order).exists()
    monkeypatch.undo()
    NotificationTrigger.objects.update(created_at=timezone.now() - timedelta(hours=1))

    # when the periodic sweep runs
    with django_capture_on_commit_callbacks(execute=True):
        notification_sweep()

    # then the confirmation is written and sent, and the trigger is gone
    assert {n.channel for n in Notification.objects.filter(order=order, event="order_confirmation")} == {
        "email", "whatsapp"}
    assert not NotificationTrigger.objects.exists()


def test_the_order_transaction_only_records_a_trigger(django_capture_on_commit_callbacks,
                                                      django_assert_max_num_queries):
    # given an order being created
    order = OrderFactory()

    # when its created hook runs inside the order's transaction
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        transaction.atomic(),
        django_assert_max_num_queries(3),  # savepoint, insert, release
    ):
        notification_hooks.on_order_created(order.id)

    # then nothing is rendered there: one trigger row, one task queued after commit
    assert not Notification.objects.exists()
    assert NotificationTrigger.objects.filter(order=order).count() == 1
    assert len(callbacks) == 1


def test_processing_a_trigger_twice_writes_once(django_capture_on_commit_callbacks):
    order = OrderFactory()
    trigger = NotificationTrigger.objects.create(order=order, event="order_confirmation")

    with django_capture_on_commit_callbacks(execute=True):
        first = notification_trigger_process(trigger_id=trigger.pk)
        again = notification_trigger_process(trigger_id=trigger.pk)

    assert (first, again) == (2, 0)
    assert Notification.objects.filter(order=order).count() == 2


def test_an_unknown_event_is_refused():
    order = OrderFactory()
    with pytest.raises(ValueError, match="unknown notification event"):
        notification_queue_for_order(order_id=order.id, event="order_exploded")


def test_a_message_about_another_object_is_queued_once_per_target(django_capture_on_commit_callbacks):
    target = ChannelFactory(name="Target", code="TGT")  # any model instance stands for a payment or shipment

    with django_capture_on_commit_callbacks(execute=True):
        first = notification_queue(event="payment_reminder", channel="email", recipient="a@example.id",
                                   subject="Reminder", body="Please pay.", target=target)
    with django_capture_on_commit_callbacks(execute=True):
        again = notification_queue(event="payment_reminder", channel="email", recipient="a@example.id",
                                   subject="Reminder", body="Please pay.", target=target)

    assert again.pk == first.pk
    first.refresh_from_db()
    assert first.status == "sent" and first.target == target
    assert len(mail.outbox) == 1


def test_unpaid_orders_near_their_deadline_get_one_payment_reminder(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.services import notification_payment_reminders_queue

    now = timezone.now()
    due_soon = OrderFactory(placed_at=now - timedelta(hours=20), payment_due_at=now + timedelta(hours=3))
    due_later = OrderFactory(placed_at=now - timedelta(hours=2), payment_due_at=now + timedelta(hours=22))
    just_placed = OrderFactory(placed_at=now - timedelta(minutes=10), payment_due_at=now + timedelta(hours=2))
    paid = OrderFactory(status=OrderStatus.PAID, placed_at=now - timedelta(hours=20),
                        payment_due_at=now + timedelta(hours=3))
    expired = OrderFactory(placed_at=now - timedelta(days=2), payment_due_at=now - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        first = notification_payment_reminders_queue(now=now, due_within=timedelta(hours=6))
    with django_capture_on_commit_callbacks(execute=True):
        second = notification_payment_reminders_queue(now=now, due_within=timedelta(hours=6))

    assert (first, second) == (1, 0)
    reminded = set(Notification.objects.filter(event="payment_reminder").values_list("order_id", flat=True))
    assert reminded == {due_soon.id}
    assert {due_later.id, just_placed.id, paid.id, expired.id}.isdisjoint(reminded)
    assert mail.outbox[0].subject == f"Menunggu pembayaran pesanan {due_soon.number}"
    assert "Batas pembayaran:" in mail.outbox[0].body
