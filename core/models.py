"""Shared records every stage of the SOP uses: the webhook inbox, failed background work and the
shop's business calendar (working hours, closed and extra working days)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import IntegerRangeField, RangeOperators
from django.db import models
from django.db.models.functions import Cast
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
            ("change_calendar", "Can change working hours and closed days"),
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


def _second_of_week(field: str) -> models.Expression:
    # weekday * 86400 + seconds since midnight: the interval's place in the week, for the overlap guard.
    return models.ExpressionWrapper(
        models.F("weekday") * 86400
        + Cast(models.Func(models.F(field), template="EXTRACT(EPOCH FROM %(expressions)s)"), models.IntegerField()),
        output_field=models.IntegerField(),
    )


class WorkingHours(models.Model):
    """One opening interval of a weekday; several rows on one weekday leave breaks (lunch) between them.

    No rows at all means the default week of core.deadlines (Mon-Fri 08-12 + 13-17, Sat 08-12);
    a weekday without rows, once any exist, is closed.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="working_hours_weekday_valid"),
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")),
                                   name="working_hours_opens_before_closes"),
            # Backstop for two concurrent edits of one weekday: intervals of a week never overlap.
            ExclusionConstraint(
                name="working_hours_no_overlap",
                expressions=[
                    (models.Func(_second_of_week("opens"), _second_of_week("closes"), function="int4range",
                                 output_field=IntegerRangeField()), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class CalendarClosure(models.Model):
    """A day the seller sets apart from the usual week: closed (cuti bersama, own closure, extra
    holiday) or, for a working_override, worked although it is normally closed."""

    class Kind(models.TextChoices):
        CUTI_BERSAMA = "cuti_bersama", _("Joint leave (cuti bersama)")
        SHOP_CLOSURE = "shop_closure", _("Shop closure")
        EXTRA_HOLIDAY = "extra_holiday", _("Extra holiday")
        WORKING_OVERRIDE = "working_override", _("Working day (override)")

    date = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "kind"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(fields=["date", "kind"], name="calendar_closure_unique_date_kind"),
            models.CheckConstraint(condition=models.Q(kind__in=["cuti_bersama", "shop_closure", "extra_holiday",
                                                                "working_override"]),
                                   name="calendar_closure_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}: {self.name}"

    @property
    def closes_shop(self) -> bool:
        return self.kind != self.Kind.WORKING_OVERRIDE
