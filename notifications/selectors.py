"""Reads for the notification log and the template pages."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import (
    Notification,
    NotificationChannel,
    NotificationEvent,
    NotificationLanguage,
    NotificationTemplate,
    NotificationTrigger,
)


def notification_trigger_pending_ids(*, limit: int, exclude: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """Recorded order events still waiting for their notifications, oldest first."""
    qs = NotificationTrigger.objects.order_by("id")
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    return list(qs.values_list("id", flat=True)[:limit])


def notification_triggers_existing(*, trigger_ids: set[int]) -> set[int]:
    """Which of these triggers are still recorded (the others were processed)."""
    if not trigger_ids:
        return set()
    return set(NotificationTrigger.objects.filter(pk__in=trigger_ids).values_list("id", flat=True))


def notification_list(*, status: str = "", channel: str = "", event: str = "", order_id: int | None = None,
                      search: str = "") -> QuerySet[Notification]:
    qs = Notification.objects.select_related("order", "retried_by").defer("body")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if event:
        qs = qs.filter(event=event)
    if order_id:
        qs = qs.filter(order_id=order_id)
    if search:
        qs = qs.filter(recipient__icontains=search) | qs.filter(order__number__iexact=search)
    return qs.order_by("-created_at", "-id")


def notification_failed_count() -> int:
    return Notification.objects.filter(status=Notification.Status.FAILED).count()


def notifications_for_order(*, order_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(order_id=order_id).order_by("created_at", "id")


def template_list() -> list[NotificationTemplate]:
    """All templates in lifecycle order (confirmation, paid, ... reminder), then channel and language."""
    events = {value: i for i, value in enumerate(NotificationEvent.values)}
    channels = {value: i for i, value in enumerate(NotificationChannel.values)}
    languages = {value: i for i, value in enumerate(NotificationLanguage.values)}
    return sorted(
        NotificationTemplate.objects.select_related("updated_by"),
        key=lambda t: (events.get(t.event, 99), channels.get(t.channel, 99), languages.get(t.language, 99)),
    )
