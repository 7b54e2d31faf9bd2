"""Demo history for the notification log.

The orders demo runs the real order services, so the notification hooks have already written one
row per customer-visible step of every demo order (and queued its send); order confirmations still
waiting for their task are written first. A demo needs history, so
rows are moved back to the time of the order event that caused them; rows older than a day are
recorded as sent then, a few as failed (the "failed notifications" queue), and the last day's rows
are left for the worker to send for real (to var/notifications/ and the console).
"""

from __future__ import annotations

from datetime import timedelta

from notifications.models import ErrorKind, Notification
from notifications.services import STATUS_EVENTS, notification_triggers_process_all

FAILURES = [
    ("whatsapp", ErrorKind.PERMANENT, "HTTP 400: (#131026) Message undeliverable: the number is not on WhatsApp"),
    ("whatsapp", ErrorKind.TRANSIENT, "Gave up after 6 attempts: HTTP 503: gateway temporarily unavailable"),
    ("sms", ErrorKind.PERMANENT, "HTTP 422: destination number is not an active mobile number"),
    ("email", ErrorKind.PERMANENT, "recipient refused: {'%s': (550, b'5.1.1 mailbox does not exist')}"),
]


def seed(ctx) -> None:
    from orders.models import OrderEvent

    # Order confirmations are written by a task after each order commits; write them now.
    notification_triggers_process_all()
    rows = list(Notification.objects.filter(order__isnull=False).select_related("order"))
    if not rows:
        ctx.say("no notifications to backdate")
        return
    event_for_status = {event: status for status, event in STATUS_EVENTS.items()}
    moments: dict[tuple[int, str], object] = {}
    for order_id, to_status, created_at in OrderEvent.objects.filter(
        order_id__in={n.order_id for n in rows}
    ).values_list("order_id", "to_status", "created_at"):
        moments.setdefault((order_id, to_status), created_at)

    rng = ctx.rng
    cutoff = ctx.now - timedelta(days=1)
    failures = 0
    for n in rows:
        status = event_for_status.get(n.event)
        when = moments.get((n.order_id, status)) if status else n.order.placed_at
        when = (when or n.order.placed_at) + timedelta(seconds=rng.randint(2, 40))
        n.created_at = n.updated_at = when
        if when >= cutoff or n.status != Notification.Status.QUEUED:
            continue
        n.attempts = 1
        n.last_attempt_at = when
        if failures < 6 and rng.random() < 0.02:
            _channel, kind, error = rng.choice([f for f in FAILURES if f[0] == n.channel])
            n.status, n.error_kind = Notification.Status.FAILED, kind
            n.error = error % n.recipient if "%s" in error else error
            n.attempts = 6 if kind == ErrorKind.TRANSIENT else 1
            failures += 1
        else:
            n.status = Notification.Status.SENT
            n.sent_at = when
            n.provider = "email" if n.channel == "email" else "file"
            n.provider_message_id = f"demo-{n.pk}"
    Notification.objects.bulk_update(
        rows,
        ["created_at", "updated_at", "status", "attempts", "last_attempt_at", "sent_at", "provider",
         "provider_message_id", "error", "error_kind"],
        batch_size=500,
    )
    ctx.say(f"{len(rows)} customer notifications ({failures} failed)")
