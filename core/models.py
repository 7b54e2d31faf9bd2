"""Shared records every stage of the SOP uses: the webhook inbox and failed background work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Access(models.Model):
    """Holder for area permissions that belong to no single model."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("access_dashboard", "Can open the staff dashboard"),
            ("view_reports", "Can see reports and analytics"),
            ("manage_settings", "Can change shop settings and staff"),
            ("retry_failed_work", "Can retry failed background work"),
        ]

    def __str__(self) -> str:
        return "access"


class InboundDelivery(models.Model):
    """One request received from a provider, stored raw before anything is done with it.

    The row is written before the provider gets its 2xx, so nothing received is ever lost; the
    processing task works from this row and records how it ended.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSING = "processing", _("Processing")
        PROCESSED = "processed", _("Processed")
        DUPLICATE = "duplicate", _("Duplicate")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    provider = models.CharField(max_length=32, db_index=True)
    # No database constraint: every insert would lock the shop's channel row (FOR KEY SHARE), and
    # hundreds of pushes a second for one shop contend on it. Django still nulls it on delete.
    channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries",
        db_constraint=False,
    )
    account_ref = models.CharField(max_length=128, blank=True, help_text="Shop or merchant id as sent.")
    external_id = models.CharField(max_length=255, blank=True, help_text="The provider's delivery or event id.")
    event_type = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last started processing it (stale claims are swept)."
    )
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "inbound deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "account_ref", "external_id"],
                condition=~models.Q(external_id="") & ~models.Q(status__in=["rejected", "duplicate"]),
                name="inbound_delivery_unique_external_id",
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status_received")]

    def __str__(self) -> str:
        return f"{self.provider} {self.external_id or self.pk} ({self.status})"


class TaskFailure(models.Model):
    """A background task that failed after its last retry: a dead letter staff can retry."""

    task_name = models.CharField(max_length=255, db_index=True)
    task_id = models.CharField(max_length=255, blank=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    exception = models.TextField()
    traceback = models.TextField(blank=True)
    failed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    retried_at = models.DateTimeField(null=True, blank=True)
    retried_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    resolved = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} failed at {self.failed_at:%Y-%m-%d %H:%M}"
