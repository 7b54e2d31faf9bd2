"""The SOP handbook: steps per stage with versioned text, acknowledgements, targets, onboarding quizzes.

A step's text only changes by adding a version (what changed and why); staff acknowledge the
current version of each step that applies to their role, and a new version needs acknowledging
again. Targets link a measurable rule ("confirm new orders within 1 working hour") to its step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    PRE_SALE = "pre_sale", _("Pre-sale")
    SALE = "sale", _("Sale")
    POST_SALE = "post_sale", _("Post-sale")
    MONITORING = "monitoring", _("Monitoring and evaluation")


STAGE_ORDER = {stage: i for i, stage in enumerate(Stage.values)}


class Step(models.Model):
    stage = models.CharField(max_length=20, choices=Stage.choices, db_index=True)
    code = models.SlugField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    roles = models.JSONField(default=list, blank=True, help_text=_("Role names this step applies to; empty = all."))
    current_version = models.ForeignKey("StepVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stage", "position", "id"]
        permissions = [("view_compliance", "Can see SOP compliance")]

    def __str__(self) -> str:
        return self.title

    def applies_to(self, role_names: set[str]) -> bool:
        return not self.roles or bool(set(self.roles) & role_names)


class StepVersion(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text=_("The procedure, one instruction per line."))
    change_summary = models.TextField(blank=True, help_text=_("What changed and why."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["step", "-number"]
        constraints = [models.UniqueConstraint(fields=["step", "number"], name="sop_step_version_unique")]

    def __str__(self) -> str:
        return f"{self.step_id} v{self.number}"

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.body.splitlines() if line.strip()]


class Acknowledgement(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sop_acknowledgements")
    version = models.ForeignKey(StepVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="sop_ack_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.version_id}"


class Target(models.Model):
    """A measurable rule of a step, computed from the events the other apps record."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=40, help_text=_("What is measured (see sop.metrics)."))
    threshold = models.DecimalField(max_digits=8, decimal_places=2, help_text=_("e.g. 1 (working hour), 3 (days)."))
    goal_percent = models.DecimalField(max_digits=5, decimal_places=2, default=95,
                                       help_text=_("Share of cases that must be within the threshold."))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["step__stage", "step__position", "id"]
        constraints = [models.UniqueConstraint(fields=["step", "metric"], name="sop_target_unique")]

    def __str__(self) -> str:
        return f"{self.metric} ≤ {self.threshold}"

    def get_metric_label(self) -> str:
        from sop.metrics import METRICS

        metric = METRICS.get(self.metric)
        return str(metric.label) if metric else self.metric


class QuizQuestion(models.Model):
    stage = models.CharField(max_length=20, choices=Stage.choices, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    choices = models.JSONField(help_text=_("The answers offered, in order."))
    correct_index = models.PositiveSmallIntegerField()
    step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions")

    class Meta:
        ordering = ["stage", "position", "id"]

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    PASS_PERCENT = 80

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sop_quiz_attempts")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    answers = models.JSONField(default=dict)
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "stage"], name="sop_attempt_user_stage")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.stage}: {self.correct}/{self.total}"


class SummarySent(models.Model):
    """One weekly summary e-mail sent to the owner (so a retried task does not send it twice)."""

    week_start = models.DateField(unique=True)
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"summary of {self.week_start}"


class ComplianceItem(models.Model):
    """One measured subject of a target (an order, a proof of transfer, a complaint): when it was due, done, by whom.

    Computed by sop.services.compliance when the subject changes (the deadline through the deadline engine,
    with the calendar and the target's threshold of that moment); the compliance page reads these rows and
    their daily counts instead of recomputing every order of the range.
    """

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="+", db_index=False)
    subject_id = models.BigIntegerField()
    anchor_day = models.DateField(help_text=_("The local day that puts the subject in a date range."))
    start = models.DateTimeField()
    done = models.DateTimeField(null=True)
    deadline = models.DateTimeField()
    late = models.BooleanField(default=False, help_text=_("Done after the deadline."))
    actor_id = models.BigIntegerField(null=True)
    ref = models.CharField(max_length=60)
    link_kind = models.CharField(max_length=10)  # order | case
    link_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "subject_id"], name="sop_item_subject")]
        indexes = [
            models.Index(fields=["target", "anchor_day"], name="sop_item_day"),
            # the items open with their deadline still ahead (not decided yet), by deadline
            models.Index(fields=["target", "deadline"], include=["anchor_day", "actor_id"], name="sop_item_open",
                         condition=models.Q(done__isnull=True)),
            # breaches (late, or open past the deadline): per day of the range, latest deadline first
            models.Index(fields=["target", "anchor_day", "-deadline", "subject_id"], include=["done", "late"],
                         name="sop_item_breach", condition=models.Q(done__isnull=True) | models.Q(late=True)),
        ]

    def __str__(self) -> str:
        return f"{self.target_id}:{self.subject_id}"


class ComplianceDaily(models.Model):
    """Per target, day of the subjects, week of their deadline and staff member: items and items met."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    week = models.DateField()
    actor_id = models.BigIntegerField(null=True)
    total = models.IntegerField()
    met = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["target", "day"], include=["week", "actor_id", "total", "met"],
                                name="sop_daily_target_day")]

    def __str__(self) -> str:
        return f"{self.target_id} {self.day}"


class ComplianceState(models.Model):
    """What the stored compliance items were computed from: the last source rows seen and each target's
    settings (metric, threshold, the calendar for working-hour metrics). One row."""

    marks = models.JSONField(default=dict)
    gaps = models.JSONField(default=dict, help_text=_("Ids not committed yet when a newer one was seen."))
    targets = models.JSONField(default=dict)
    refreshed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"compliance state {self.refreshed_at}"
