"""Writes for customer notifications: queue rows for an order event, send one, retry a failed one.

Life of a notification: `queued` (row written with the rendered text, in the transaction of the
change that caused it) -> `sending` (claimed by exactly one worker with a conditional update) ->
`sent`, or back to `queued` after a transient error (the task retries with backoff), or `failed`
after a permanent error or the last retry. Staff retry a failed row from the dashboard.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import Conflict, NotFound
from core.phones import normalize_phone
from notifications import rendering
from notifications.consent import consent_allows
from notifications.models import (
    DEFAULT_LANGUAGE,
    PHONE_CHANNELS,
    ConsentPurpose,
    ErrorKind,
    Notification,
    NotificationChannel,
    NotificationEvent,
    NotificationLanguage,
    NotificationTemplate,
    NotificationTrigger,
)
from notifications.providers import OutboundMessage, PermanentSendError, TransientSendError, get_provider

logger = logging.getLogger(__name__)

# Order statuses the customer hears about, and the event each one sends.
STATUS_EVENTS: dict[str, str] = {
    "paid": NotificationEvent.ORDER_PAID,
    "processing": NotificationEvent.ORDER_PROCESSING,
    "shipped": NotificationEvent.ORDER_SHIPPED,
    "delivered": NotificationEvent.ORDER_DELIVERED,
    "cancelled": NotificationEvent.ORDER_CANCELLED,
}


def _enabled_channels() -> list[str]:
    return [c for c in settings.NOTIFY_CHANNELS if c in NotificationChannel.values]


def customer_language(order) -> str:
    """The language this order's customer reads: their preference, else Bahasa Indonesia."""
    return _customer_language(order)


def _customer_language(order) -> str:
    customer = order.customer
    preference = getattr(customer, "notification_preference", None) if customer else None
    language = (preference.language if preference else "") or getattr(customer, "language", "") or ""
    return language if language in NotificationLanguage.values else DEFAULT_LANGUAGE


def _recipient(order, channel: str) -> str:
    """The customer's address on `channel`, or "" when they have none (or opted out)."""
    customer = order.customer
    preference = getattr(customer, "notification_preference", None) if customer else None
    if preference is not None and not preference.allows(channel):
        return ""
    if channel == NotificationChannel.EMAIL:
        return (customer.email if customer else "") or ""
    if channel in PHONE_CHANNELS:
        for raw in ((customer.phone if customer else ""), order.shipping_phone):
            if not raw:
                continue
            try:
                return normalize_phone(raw)
            except ValueError:
                continue
    return ""


def _pick_template(templates: dict, channel: str, language: str) -> NotificationTemplate | None:
    """The active template in the customer's language, else in the default language."""
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        template = templates.get((channel, lang))
        if template is not None and template.is_active:
            return template
    return None


def notification_queue_for_order(*, order_id: int, event: str) -> list[Notification]:
    """Write one queued notification per channel the customer can be reached on, and send after commit.

    Channels are those in settings.NOTIFY_CHANNELS for which the customer has an address (e-mail;
    phone for WhatsApp/SMS) and an active template exists. A trigger repeated for the same order and
    event writes nothing new. A template that fails to render leaves a failed row (visible, and
    retryable once the template is fixed) rather than breaking the caller's transaction.
    Returns the rows written now.
    """
    from orders.models import Order

    if event not in NotificationEvent.values:
        raise ValueError(f"unknown notification event {event!r}")
    order = (
        Order.objects.select_related("customer", "customer__notification_preference", "channel")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    if order.channel.is_marketplace and not settings.NOTIFY_MARKETPLACE_ORDERS:
        # The marketplace messages its own buyers and masks their contacts; messaging them
        # off-platform breaks the marketplaces' seller rules.
        return []
    if not consent_allows(customer_id=order.customer_id, purpose=ConsentPurpose.ORDER_UPDATES):
        return []

    wanted = {channel: _recipient(order, channel) for channel in _enabled_channels()}
    wanted = {channel: to for channel, to in wanted.items() if to}
    if not wanted:
        return []
    existing = set(
        Notification.objects.filter(order_id=order_id, event=event, channel__in=wanted).values_list(
            "channel", flat=True
        )
    )
    missing = [channel for channel in wanted if channel not in existing]
    if not missing:
        return []

    language = _customer_language(order)
    templates = {
        (t.channel, t.language): t
        for t in NotificationTemplate.objects.filter(event=event, channel__in=missing)
    }
    chosen = {channel: _pick_template(templates, channel, language) for channel in missing}
    chosen = {channel: template for channel, template in chosen.items() if template is not None}
    used = rendering.variables_used(*(t.subject + t.body for t in chosen.values()))
    contexts: dict[str, dict] = {}
    rows = []
    for channel, template in chosen.items():
        lang = template.language
        if lang not in contexts:
            contexts[lang] = rendering.order_context(order, language=lang, variables=used)
        row = Notification(order=order, event=event, channel=channel, recipient=wanted[channel], language=lang,
                           customer_id=order.customer_id, purpose=ConsentPurpose.ORDER_UPDATES)
        try:
            rendered = rendering.render(
                subject=template.subject if channel == NotificationChannel.EMAIL else "",
                body=template.body, context=contexts[lang], language=lang,
            )
        except rendering.TemplateError as exc:
            row.status = Notification.Status.FAILED
            row.error_kind = ErrorKind.PERMANENT
            row.error = f"Template {template} does not render: {exc}"
        else:
            row.subject, row.body = rendered.subject, rendered.body
        rows.append(row)
    if not rows:
        return []

    created = _insert_new(rows)
    _send_after_commit([n.pk for n in created if n.status == Notification.Status.QUEUED])
    return created


def notification_trigger_process(*, trigger_id: int) -> int:
    """Write the notifications of one recorded order event and delete its trigger; returns rows written.

    Safe to call any number of times and from several workers: the trigger row is claimed with
    SKIP LOCKED and deleted in the same transaction as the rows it caused, and the unique
    (order, event, channel) constraint makes a repeat write nothing. On an error nothing is
    written and the trigger stays for the sweep.
    """
    with transaction.atomic():
        trigger = NotificationTrigger.objects.select_for_update(skip_locked=True).filter(pk=trigger_id).first()
        if trigger is None:  # done already, or another worker holds it
            return 0
        rows = notification_queue_for_order(order_id=trigger.order_id, event=trigger.event)
        trigger.delete()
    return len(rows)


def notification_triggers_process_all() -> int:
    """Process every pending trigger here and now (demo data, a shell); returns rows written."""
    written = 0
    for pk in list(NotificationTrigger.objects.order_by("id").values_list("id", flat=True)):
        written += notification_trigger_process(trigger_id=pk)
    return written


def _insert_new(rows: list[Notification]) -> list[Notification]:
    """Insert rows, skipping any a concurrent trigger inserted first (the unique constraint decides).

    One multi-row INSERT normally; after a conflict, row by row, each in its own savepoint, so the
    caller's transaction survives and exactly the rows written here are returned.
    """
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows)
    except IntegrityError:
        pass
    created = []
    for row in rows:
        row.pk = None
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        created.append(row)
    return created


def notification_queue(
    *, event: str, channel: str, recipient: str, subject: str, body: str,
    language: str = DEFAULT_LANGUAGE, target=None, customer_id: int | None = None, purpose: str = "",
) -> Notification:
    """Queue an already-written message about any object (a payment, a shipment, a case...).

    At most one per (target, event, channel): a repeat returns the existing row unchanged.
    `customer_id` and `purpose` (a ConsentPurpose) make the send depend on that customer's consent
    at the moment it is sent; staff alerts have neither.
    """
    from django.contrib.contenttypes.models import ContentType

    if channel not in NotificationChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    fields = {"event": event, "channel": channel}
    if target is not None:
        fields.update(target_type=ContentType.objects.get_for_model(target), target_id=target.pk)
        existing = Notification.objects.filter(**fields).first()
        if existing is not None:
            return existing
    if purpose and purpose not in ConsentPurpose.values:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    row = Notification(**fields, recipient=recipient, subject=subject[:255], body=body, language=language,
                       customer_id=customer_id, purpose=purpose)
    created = _insert_new([row])
    if not created:  # a concurrent call for the same target won
        return Notification.objects.get(**fields)
    _send_after_commit([row.pk])
    return row


def _send_after_commit(ids: list[int]) -> None:
    if not ids:
        return
    from notifications.tasks import notification_send_task

    for pk in ids:
        notification_send_task.delay_on_commit(pk)


def notification_send(*, notification_id: int, final_attempt: bool = False) -> Notification:
    """Send one queued notification through its channel's provider.

    Safe to call any number of times: only a `queued` row is claimed (`queued` -> `sending` in one
    conditional UPDATE), so a duplicate task or a second worker does nothing. The provider is called
    with no lock and no transaction open. A permanent error fails the row at once; a transient one
    puts it back to `queued` and re-raises TransientSendError for the task to retry, except on the
    `final_attempt`, which fails the row.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=Notification.Status.QUEUED).update(
        status=Notification.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now, updated_at=now
    )
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(f"Notification {notification_id} does not exist.")
    if not claimed:
        return notification
    if notification.purpose and not consent_allows(customer_id=notification.customer_id,
                                                   purpose=notification.purpose):
        # Withdrawn after the message was queued (a running campaign): it is never sent.
        return _finish(notification, status=Notification.Status.SKIPPED, kind="",
                       error=f"The customer does not consent to {notification.purpose} messages.")

    message = OutboundMessage(
        notification_id=notification.pk, channel=notification.channel, recipient=notification.recipient,
        subject=notification.subject, body=notification.body, language=notification.language,
    )
    try:
        provider = get_provider(notification.channel)
        result = provider.send(message)
    except PermanentSendError as exc:
        return _finish(notification, status=Notification.Status.FAILED, error=str(exc), kind=ErrorKind.PERMANENT)
    except TransientSendError as exc:
        if final_attempt:
            return _finish(notification, status=Notification.Status.FAILED,
                           error=f"Gave up after {notification.attempts} attempts: {exc}", kind=ErrorKind.TRANSIENT)
        _finish(notification, status=Notification.Status.QUEUED, error=str(exc), kind=ErrorKind.TRANSIENT)
        raise
    except Exception as exc:  # misconfiguration or a provider bug: a person must look at it
        logger.exception("provider failed for notification %s", notification.pk)
        return _finish(notification, status=Notification.Status.FAILED,
                       error=f"{type(exc).__name__}: {exc}", kind=ErrorKind.PERMANENT)
    return _finish(notification, status=Notification.Status.SENT, error="", kind="",
                   provider_name=provider.name, provider_message_id=result.provider_message_id)


def _finish(notification: Notification, *, status: str, error: str, kind: str, provider_name: str = "",
            provider_message_id: str = "") -> Notification:
    now = timezone.now()
    changes = {"status": status, "error": error[:4000], "error_kind": kind, "updated_at": now}
    if status == Notification.Status.SENT:
        changes.update(sent_at=now, provider=provider_name, provider_message_id=provider_message_id)
    # Only the worker holding the claim may finish the row.
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING).update(**changes)
    notification.refresh_from_db()
    return notification


def notification_retry(*, notification_id: int, actor) -> Notification:
    """Put a failed notification back in the queue and send it again (after commit).

    The row is locked and must still be failed, so two people clicking "retry" send it once. For an
    order's message the recipient is taken again from the customer (staff often fix a wrong number
    or address, then retry), and a row whose template did not render is rendered again from the
    current template.
    """
    from orders.models import Order

    with transaction.atomic():
        notification = Notification.objects.select_for_update(of=("self",)).filter(pk=notification_id).first()
        if notification is None:
            raise NotFound(f"Notification {notification_id} does not exist.")
        if notification.status != Notification.Status.FAILED:
            raise Conflict(f"Only a failed notification can be retried; this one is {notification.status}.")
        update_fields = ["status", "error", "error_kind", "retried_by", "updated_at"]
        order = (
            Order.objects.select_related("customer", "customer__notification_preference")
            .filter(pk=notification.order_id)
            .first()
            if notification.order_id else None
        )
        if order is not None:
            current = _recipient(order, notification.channel)
            if current and current != notification.recipient:
                notification.recipient = current
                update_fields.append("recipient")
            if not notification.body:
                _rerender(notification, order)
                update_fields += ["subject", "body", "language"]
        notification.status = Notification.Status.QUEUED
        notification.error = ""
        notification.error_kind = ""
        notification.retried_by = actor if getattr(actor, "pk", None) else None
        notification.save(update_fields=update_fields)
        _send_after_commit([notification.pk])
    return notification


def _rerender(notification: Notification, order) -> None:
    language = _customer_language(order)
    templates = {
        (t.channel, t.language): t
        for t in NotificationTemplate.objects.filter(event=notification.event, channel=notification.channel)
    }
    template = _pick_template(templates, notification.channel, language)
    if template is None:
        raise Conflict("There is no active template for this event and channel; activate one first.")
    try:
        rendered = rendering.render(
            subject=template.subject if notification.channel == NotificationChannel.EMAIL else "",
            body=template.body, context=rendering.order_context(order, language=template.language),
            language=template.language,
        )
    except rendering.TemplateError as exc:
        raise Conflict(f"The template still does not render: {exc}") from None
    notification.subject, notification.body, notification.language = rendered.subject, rendered.body, template.language


def notification_sweep(*, stale_after: timedelta = timedelta(minutes=15)) -> int:
    """Recover notifications a lost task or a crashed worker left behind; runs every few minutes.

    `queued` rows older than `stale_after` are sent again (the task may never have reached the
    broker); `sending` rows not finished within `stale_after` are put back to `queued` first (the
    worker died mid-send: at-least-once, the provider reference lets a gateway drop a duplicate).
    Order events whose NotificationTrigger is still there after `stale_after` (the task was lost
    or failed) are queued again.
    """
    cutoff = timezone.now() - stale_after
    # Marketing is at most once: a campaign message whose worker died mid-send may have gone out,
    # so it is failed (visible, retryable by staff) rather than sent again to the same person.
    Notification.objects.filter(
        status=Notification.Status.SENDING, last_attempt_at__lt=cutoff, purpose=ConsentPurpose.MARKETING
    ).update(status=Notification.Status.FAILED, error_kind=ErrorKind.TRANSIENT, updated_at=timezone.now(),
             error="Worker stopped while sending; not sent again so that nobody gets it twice.")
    stuck = list(
        Notification.objects.filter(status=Notification.Status.SENDING, last_attempt_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    if stuck:
        Notification.objects.filter(pk__in=stuck, status=Notification.Status.SENDING).update(
            status=Notification.Status.QUEUED, error="Worker stopped while sending; queued again.",
            error_kind=ErrorKind.TRANSIENT, updated_at=timezone.now(),
        )
    lost = list(
        Notification.objects.filter(status=Notification.Status.QUEUED, updated_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    ids = sorted(set(stuck) | set(lost))
    from notifications.tasks import notification_send_task, notification_trigger_task

    for pk in ids:
        notification_send_task.delay(pk)
    triggers = list(
        NotificationTrigger.objects.filter(created_at__lt=cutoff).order_by("id").values_list("id", flat=True)[:500]
    )
    for pk in triggers:
        notification_trigger_task.delay(pk)
    return len(ids) + len(triggers)


def notification_payment_reminders_queue(*, now=None, due_within: timedelta | None = None,
                                         min_age: timedelta = timedelta(hours=1)) -> int:
    """Queue a payment reminder for each unpaid order whose payment deadline is near; runs periodically.

    An order gets its reminder once (the usual per-order dedupe), only if it was placed at least
    `min_age` ago (no reminder on top of the fresh confirmation) and its deadline falls within
    `due_within` (settings.NOTIFY_PAYMENT_REMINDER_HOURS; 0 switches reminders off).
    Returns the number of orders reminded.
    """
    from orders.models import Order, OrderStatus

    if due_within is None:
        due_within = timedelta(hours=settings.NOTIFY_PAYMENT_REMINDER_HOURS)
    if due_within <= timedelta(0):
        return 0
    now = now or timezone.now()
    order_ids = list(
        Order.objects.filter(
            status=OrderStatus.AWAITING_PAYMENT, payment_due_at__gt=now, payment_due_at__lte=now + due_within,
            placed_at__lte=now - min_age,
        )
        .exclude(notifications__event=NotificationEvent.PAYMENT_REMINDER)
        .order_by("payment_due_at")
        .values_list("id", flat=True)[:500]
    )
    reminded = 0
    for order_id in order_ids:
        try:
            with transaction.atomic():
                rows = notification_queue_for_order(order_id=order_id, event=NotificationEvent.PAYMENT_REMINDER)
            reminded += bool(rows)
        except Exception:
            logger.exception("could not queue a payment reminder for order %s", order_id)
    return reminded


def template_update(*, template_id: int, subject: str, body: str, is_active: bool, actor) -> NotificationTemplate:
    """Save a staff edit of a template after checking that both parts compile in the sandbox."""
    rendering.validate_template(subject)
    rendering.validate_template(body)
    with transaction.atomic():
        template = NotificationTemplate.objects.select_for_update().get(pk=template_id)
        template.subject = subject
        template.body = body
        template.is_active = is_active
        template.updated_by = actor if getattr(actor, "pk", None) else None
        template.save(update_fields=["subject", "body", "is_active", "updated_by", "updated_at"])
    return template


def notification_personal_data_erase(*, customer_id: int) -> int:
    """Blank the address and text of every message to this customer (UU PDP erasure); returns rows.

    The rows stay (when, which event, which channel, sent or not) as the record of what was done.
    """
    from django.db.models import Q

    return Notification.objects.filter(Q(customer_id=customer_id) | Q(order__customer_id=customer_id)).update(
        recipient="", subject="", body="", updated_at=timezone.now()
    )
