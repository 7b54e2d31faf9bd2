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
    # Messages written by other apps (after-sales, CRM) through notification_queue.
    CASE_UPDATE = "case_update", _("Reply to a complaint or return")
    REVIEW_INVITATION = "review_invitation", _("Review invitation")
    SURVEY_INVITATION = "survey_invitation", _("Satisfaction survey")
    CAMPAIGN = "campaign", _("Marketing campaign")
    STAFF_ALERT = "staff_alert", _("Alert to staff")


# The events of the order lifecycle, written from staff-edited templates (one per channel and
# language); the others are written by their apps and queued with notification_queue.
TEMPLATED_EVENTS = (
    NotificationEvent.ORDER_CONFIRMATION, NotificationEvent.ORDER_PAID, NotificationEvent.ORDER_PROCESSING,
    NotificationEvent.ORDER_RESI_ASSIGNED, NotificationEvent.ORDER_SHIPPED, NotificationEvent.ORDER_OUT_FOR_DELIVERY,
    NotificationEvent.ORDER_DELIVERED, NotificationEvent.ORDER_CANCELLED, NotificationEvent.PAYMENT_REMINDER,
)


class ConsentPurpose(models.TextChoices):
    """What a customer's contact details may be used for (UU PDP 27/2022: consent per purpose)."""

    ORDER_UPDATES = "order_updates", _("Order updates")
    MARKETING = "marketing", _("Promotions and offers")
    REVIEWS = "reviews", _("Review and survey requests")


# Without any record: order updates and review requests follow from the purchase itself (the
# customer may withdraw them); marketing needs an explicit opt-in.
CONSENT_DEFAULTS: dict[str, bool] = {
    ConsentPurpose.ORDER_UPDATES: True,
    ConsentPurpose.MARKETING: False,
    ConsentPurpose.REVIEWS: True,
}
# UU PDP: a withdrawal is honoured within 3 x 24 hours (oms honours it at once; this is the legal bound).
WITHDRAWAL_HONOUR_HOURS = 72


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


class ConsentSource(models.TextChoices):
    """Where the customer gave or withdrew consent: the proof's context."""

    WEB_STORE = "web_store", _("Web store checkout")
    ORDER_PAGE = "order_page", _("Order status page")
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    FACEBOOK = "facebook", "Facebook"
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    IN_STORE = "in_store", _("In the shop")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    MARKETPLACE = "marketplace", _("Marketplace chat")
    STAFF = "staff", _("Recorded by staff")


class ConsentRecord(models.Model):
    """One grant or withdrawal of consent for one purpose: append-only, the latest record counts.

    The record is the proof: when, through which channel, what the customer saw or said (`proof`:
    the checkbox wording and version, the chat message, the call note), who recorded it and from
    which address. A marketplace buyer's marketing consent counts only when given on an own channel,
    so a marketing grant from a marketplace is refused by the service.
    """

    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="consent_records")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    proof = models.TextField(max_length=2000)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # For a withdrawal: the legal deadline to stop (recorded_at + 3 x 24 h); sends stop at once.
    honour_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["customer", "purpose", "-recorded_at", "-id"], name="consent_latest")]
        permissions = [("record_consent", "Can record customers' consent and withdrawals")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose} {'granted' if self.granted else 'withdrawn'}"


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
        # Not sent on purpose: the customer withdrew consent for the message's purpose.
        SKIPPED = "skipped", _("Not sent (no consent)")

    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="notifications")
    # Anything else a message can be about (a payment, a shipment, a return), for later stages.
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")

    event = models.CharField(max_length=40, choices=NotificationEvent.choices, db_index=True)
    channel = models.CharField(max_length=16, choices=NotificationChannel.choices)
    # Whose consent the message needs, checked again right before it is sent; none for staff alerts.
    customer = models.ForeignKey("orders.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="notifications")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices, blank=True)
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
