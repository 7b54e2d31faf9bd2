"""Messages to customers: the editable templates and one row per message sent (or not)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationEvent(models.TextChoices):
    ORDER_CONFIRMATION = "order_confirmation", _("Order confirmation")
    ORDER_PAID = "order_paid", _("Payment received")
    ORDER_PROCESSING = "order_processing", _("Order being processed")
    ORDER_RESI_ASSIGNED = "order_resi_assigned", _("Resi assigned")
    ORDER_SHIPPED = "order_shipped", _("Order shipped")
    ORDER_OUT_FOR_DELIVERY = "order_out_for_delivery", _("Out for delivery")
    ORDER_DELIVERED = "order_delivered", _("Order delivered")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
    STAFF_ALERT = "staff_alert", _("Alert to staff")


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"


# Channels that reach the customer on a phone number (the others use the e-mail address).
PHONE_CHANNELS = frozenset({NotificationChannel.WHATSAPP, NotificationChannel.SMS})


class NotificationLanguage(models.TextChoices):
    INDONESIAN = "id", _("Bahasa Indonesia")
    ENGLISH = "en", _("English")


DEFAULT_LANGUAGE = NotificationLanguage.INDONESIAN


class NotificationTemplate(models.Model):
    """What the customer reads for one event on one channel in one language.

    Subject and body are Django template text rendered by notifications.rendering with only
    whitelisted plain values in the context, never model instances.
    """

    event = models.CharField(max_length=40, choices=NotificationEvent.choices)
    channel = models.CharField(max_length=16, choices=NotificationChannel.choices)
    language = models.CharField(max_length=8, choices=NotificationLanguage.choices)
    subject = models.CharField(max_length=200, blank=True, help_text=_("E-mail only."))
    body = models.TextField(max_length=5000)
    is_active = models.BooleanField(
        default=True, help_text=_("Inactive templates are not sent; the customer gets no message on this channel.")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["event", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "language"], name="notification_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event} / {self.channel} / {self.language}"


class ErrorKind(models.TextChoices):
    PERMANENT = "permanent", _("Permanent")
    TRANSIENT = "transient", _("Transient")


class Notification(models.Model):
    """One message to one recipient on one channel, written before it is sent.

    The row is the outbox and the log: the send task claims it (queued -> sending), the
    provider's answer decides sent or failed, and a failed row can be retried by staff.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="notifications")
    # Anything else a message can be about (a payment, a shipment, a return), for later stages.
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")

    event = models.CharField(max_length=40, choices=NotificationEvent.choices, db_index=True)
    channel = models.CharField(max_length=16, choices=NotificationChannel.choices)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=8, choices=NotificationLanguage.choices, default=DEFAULT_LANGUAGE)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    error_kind = models.CharField(max_length=16, choices=ErrorKind.choices, blank=True)
    provider = models.CharField(max_length=60, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    retried_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A repeated trigger (a webhook delivered twice, a status set again) never messages twice.
            models.UniqueConstraint(
                fields=["order", "event", "channel"], condition=models.Q(order__isnull=False),
                name="notification_unique_order_event_channel",
            ),
            models.UniqueConstraint(
                fields=["target_type", "target_id", "event", "channel"],
                condition=models.Q(target_id__isnull=False), name="notification_unique_target_event_channel",
            ),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="notification_status_updated")]
        permissions = [("retry_notification", "Can retry failed customer notifications")]

    def __str__(self) -> str:
        return f"{self.event} {self.channel} → {self.recipient} ({self.status})"

    @property
    def can_retry(self) -> bool:
        return self.status == self.Status.FAILED


class CustomerPreference(models.Model):
    """How a customer wants to hear from the shop: language and channels they did not opt out of."""

    customer = models.OneToOneField("orders.Customer", on_delete=models.CASCADE,
                                    related_name="notification_preference")
    language = models.CharField(max_length=8, choices=NotificationLanguage.choices, default=DEFAULT_LANGUAGE)
    email_enabled = models.BooleanField(default=True)
    whatsapp_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.language}"

    def allows(self, channel: str) -> bool:
        return bool(getattr(self, f"{channel}_enabled", True))


class NotificationTrigger(models.Model):
    """An order event whose notifications are still to be written: the transactional outbox.

    The order service's transaction inserts only this row; a task renders and writes the
    notifications after the commit and deletes the row in the same transaction. A task that never
    ran (broker away) or failed leaves the row, and the periodic sweep queues it again, so a
    committed order always gets its message and the order transaction never pays for rendering.
    """

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40, choices=NotificationEvent.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event} for order {self.order_id}"
