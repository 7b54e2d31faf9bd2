"""Sending: one claim per row, transient errors retried with backoff, permanent ones failed at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.errors import Conflict
from core.models import TaskFailure
from notifications.models import ErrorKind, Notification, NotificationTemplate
from notifications.providers import TransientSendError
from notifications.services import notification_retry, notification_send, notification_sweep
from notifications.tasks import MAX_SEND_RETRIES, notification_send_task
from tests.notifications.factories import OrderFactory

pytestmark = pytest.mark.django_db


def queued(channel: str = "whatsapp", **fields) -> Notification:
    return Notification.objects.create(
        order=fields.pop("order", None) or OrderFactory(), event="order_confirmation", channel=channel,
        recipient="+6281234567890" if channel != "email" else "budi@example.id", subject="Halo",
        body="Pesanan Anda sudah kami terima.", **fields,
    )


def test_a_transient_error_is_retried_until_it_succeeds(scripted, worker_like_eager):
    provider = scripted(["transient", "transient", "ok"])
    notification = queued()

    result = notification_send_task.apply(args=[notification.pk])

    notification.refresh_from_db()
    assert result.successful()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 3
    assert notification.error == "" and notification.error_kind == ""
    assert notification.provider == "scripted"
    assert notification.provider_message_id == "scripted-1"
    assert len(provider.sent) == 1


def test_a_permanent_error_fails_at_once_without_retrying(scripted, worker_like_eager):
    scripted(["permanent", "ok"])
    notification = queued()

    notification_send_task.apply(args=[notification.pk])

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1
    assert notification.error_kind == ErrorKind.PERMANENT
    assert "invalid phone number" in notification.error
    assert not TaskFailure.objects.exists()


def test_the_last_transient_error_leaves_a_visible_failed_row(scripted, worker_like_eager):
    scripted(["transient"] * (MAX_SEND_RETRIES + 5))
    notification = queued()

    notification_send_task.apply(args=[notification.pk])

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == MAX_SEND_RETRIES + 1
    assert notification.error_kind == ErrorKind.TRANSIENT
    assert notification.error.startswith(f"Gave up after {MAX_SEND_RETRIES + 1} attempts")
    # The failed row is the dead letter (retried from the notification log), not a TaskFailure too.
    assert not TaskFailure.objects.exists()


def test_a_transient_error_puts_the_row_back_in_the_queue_and_raises_for_the_retry(scripted):
    scripted(["transient"])
    notification = queued()

    with pytest.raises(TransientSendError):
        notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.error_kind == ErrorKind.TRANSIENT
    assert notification.attempts == 1


def test_sending_twice_sends_once(scripted):
    provider = scripted(["ok", "ok"])
    notification = queued()

    first = notification_send(notification_id=notification.pk)
    second = notification_send(notification_id=notification.pk)

    assert first.status == second.status == Notification.Status.SENT
    assert second.attempts == 1
    assert len(provider.sent) == 1


def test_a_row_claimed_by_another_worker_is_left_alone(scripted):
    provider = scripted(["ok"])
    notification = queued(status=Notification.Status.SENDING)

    result = notification_send(notification_id=notification.pk)

    assert result.status == Notification.Status.SENDING
    assert provider.sent == []


def test_a_misconfigured_provider_fails_the_row_with_the_reason(settings):
    settings.NOTIFY_WHATSAPP_PROVIDER = "carrier-pigeon"
    notification = queued()

    result = notification_send(notification_id=notification.pk)

    assert result.status == Notification.Status.FAILED
    assert result.error_kind == ErrorKind.PERMANENT
    assert "carrier-pigeon" in result.error


def test_an_unexpected_task_error_is_recorded_as_a_task_failure(monkeypatch, worker_like_eager):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("notifications.services.notification_send", broken)

    result = notification_send_task.apply(args=[12345])

    assert result.failed()
    failure = TaskFailure.objects.get()
    assert failure.task_name == "notifications.tasks.notification_send_task"
    assert failure.args == [12345]


def test_retrying_a_failed_notification_sends_it_again(scripted, django_capture_on_commit_callbacks, owner):
    provider = scripted(["permanent", "ok"])
    notification = queued()
    notification_send(notification_id=notification.pk)

    with django_capture_on_commit_callbacks(execute=True):
        notification_retry(notification_id=notification.pk, actor=owner)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 2
    assert notification.retried_by == owner
    assert len(provider.sent) == 1


def test_only_a_failed_notification_can_be_retried(owner):
    notification = queued(status=Notification.Status.SENT)

    with pytest.raises(Conflict):
        notification_retry(notification_id=notification.pk, actor=owner)


def test_retrying_a_row_whose_template_was_broken_renders_the_fixed_template(
    django_capture_on_commit_callbacks, owner
):
    template = NotificationTemplate.objects.get(event="order_confirmation", channel="email", language="id")
    good_body = template.body
    template.body = "{% if %}"
    template.save()
    order = OrderFactory()
    from orders import hooks

    with django_capture_on_commit_callbacks(execute=True):
        hooks.run_order_created(order.id)
    failed = Notification.objects.get(order=order, channel="email")
    assert failed.status == Notification.Status.FAILED and failed.body == ""

    template.body = good_body
    template.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_retry(notification_id=failed.pk, actor=owner)

    failed.refresh_from_db()
    assert failed.status == Notification.Status.SENT
    assert order.number in mail.outbox[0].body


def test_the_sweep_recovers_lost_and_stuck_notifications(scripted):
    provider = scripted(["ok", "ok", "ok"])
    long_ago = timezone.now() - timedelta(hours=1)
    lost = queued()
    stuck = queued(channel="sms", status=Notification.Status.SENDING, attempts=1)
    fresh = queued(order=OrderFactory())
    Notification.objects.filter(pk__in=[lost.pk, stuck.pk]).update(updated_at=long_ago, last_attempt_at=long_ago)

    resent = notification_sweep()

    assert resent == 2
    lost.refresh_from_db()
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == Notification.Status.SENT
    assert stuck.status == Notification.Status.SENT and stuck.attempts == 2
    assert fresh.status == Notification.Status.QUEUED
    assert len(provider.sent) == 1  # the stuck SMS went through the file provider


def test_retry_uses_the_customers_corrected_address(scripted, django_capture_on_commit_callbacks, owner):
    provider = scripted(["permanent", "ok"])
    order = OrderFactory()
    notification = queued(order=order)
    notification_send(notification_id=notification.pk)
    order.customer.phone = "+6285799998888"
    order.customer.save(update_fields=["phone"])

    with django_capture_on_commit_callbacks(execute=True):
        notification_retry(notification_id=notification.pk, actor=owner)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.recipient == "+6285799998888"
    assert provider.sent[0].recipient == "+6285799998888"
