"""The CRM around orders.Customer (which stays the identity): tags, notes, merges, vouchers,
loyalty points and tiers, saved segments and win-back campaigns."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CustomerTag(models.Model):
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="crm_tags")
    tag = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tag"]
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique")]
        indexes = [models.Index(fields=["tag"], name="customer_tag_tag")]
        permissions = [
            ("manage_crm", "Can tag, note, merge and export customers"),
            ("erase_customer", "Can erase a customer's personal data"),
            ("manage_marketing", "Can manage vouchers, loyalty and campaigns"),
        ]

    def __str__(self) -> str:
        return self.tag


class CustomerNote(models.Model):
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="crm_notes")
    body = models.TextField(max_length=3000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:40]


class CustomerMerge(models.Model):
    """The record of a merge: who was folded into whom, what they were, and every row moved."""

    target = models.ForeignKey("orders.Customer", on_delete=models.PROTECT, related_name="merges")
    source_id = models.BigIntegerField()
    source_snapshot = models.JSONField()
    moved = models.JSONField(help_text=_("Rows moved per table."))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"


# --- Vouchers -------------------------------------------------------------------------------------


class Voucher(models.Model):
    """A code for own channels: fixed or % off, minimum spend, limits, validity; personal or public."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed amount")
        PERCENT = "percent", _("Percentage")

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value_amount = models.BigIntegerField(default=0, help_text=_("Rupiah off, for a fixed voucher."))
    percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    max_discount_amount = models.BigIntegerField(null=True, blank=True, help_text=_("Cap of a percentage voucher."))
    min_spend_amount = models.BigIntegerField(default=0)
    total_limit = models.PositiveIntegerField(null=True, blank=True, help_text=_("Empty: no limit."))
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True, default=1)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey("orders.Customer", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="personal_vouchers")
    campaign = models.ForeignKey("customers.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="vouchers")
    reference = models.CharField(max_length=80, blank=True, help_text=_("What issued it (a case, a return)."))
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value_amount__gte=0) & Q(min_spend_amount__gte=0),
                                   name="voucher_amounts_not_negative"),
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100), name="voucher_percent_0_100"),
            models.CheckConstraint(condition=~Q(kind="fixed") | Q(value_amount__gt=0), name="voucher_fixed_has_value"),
            models.CheckConstraint(condition=~Q(kind="percent") | Q(percent__gt=0), name="voucher_percent_has_value"),
        ]

    def __str__(self) -> str:
        return self.code


class VoucherRedemption(models.Model):
    """A voucher used on an order; reversed (not deleted) when the order is cancelled."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="voucher_redemption")
    customer = models.ForeignKey("orders.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="voucher_redemptions")
    amount = models.BigIntegerField()
    reversed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["voucher", "customer"], name="redemption_voucher_customer")]

    def __str__(self) -> str:
        return f"{self.voucher_id} on {self.order_id}"


# --- Loyalty --------------------------------------------------------------------------------------


class LoyaltySettings(models.Model):
    """The programme (one row): points per rupiah spent on completed orders, their value, expiry."""

    is_enabled = models.BooleanField(default=True)
    rupiah_per_point = models.PositiveIntegerField(default=1000, help_text=_("Spend this much to earn 1 point."))
    point_value_amount = models.PositiveIntegerField(default=10, help_text=_("Rupiah off per point redeemed."))
    expiry_months = models.PositiveSmallIntegerField(default=12)
    min_redeem_points = models.PositiveIntegerField(default=100)
    max_redeem_percent = models.PositiveSmallIntegerField(default=50, help_text=_("Of the items total."))
    channel_kinds = models.JSONField(default=list, blank=True,
                                     help_text=_("Channel kinds that earn and redeem; empty: all own channels."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(rupiah_per_point__gt=0) & Q(max_redeem_percent__lte=100),
                                              name="loyalty_settings_sane")]

    def __str__(self) -> str:
        return "loyalty"


class LoyaltyTier(models.Model):
    """A tier reached by spending `min_spend_amount` in 12 months; earns `earn_multiplier` x points."""

    name = models.CharField(max_length=60)
    min_spend_amount = models.BigIntegerField(unique=True)
    earn_multiplier = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("1"))
    benefits = models.TextField(max_length=1000, blank=True)

    class Meta:
        ordering = ["min_spend_amount"]

    def __str__(self) -> str:
        return self.name


class LoyaltyAccount(models.Model):
    """One per customer: the row a redemption or adjustment locks (the balance is the ledger's sum)."""

    customer = models.OneToOneField("orders.Customer", on_delete=models.CASCADE, related_name="loyalty_account")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"account of {self.customer_id}"


class PointsEntry(models.Model):
    """The points ledger: every earn, redemption, expiry, adjustment and reversal; balance = sum(points)."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjustment")
        REVERSAL = "reversal", _("Reversal")

    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="points_entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    points = models.IntegerField()
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reference = models.CharField(max_length=80, help_text=_("Unique per effect, e.g. earn:order:12"))
    note = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="points_entry_unique_reference"),
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="points_customer_kind")]

    def __str__(self) -> str:
        return f"{self.points:+} {self.kind}"


# --- Segments and campaigns ---------------------------------------------------------------------


class Segment(models.Model):
    """A saved filter of customers (see customers.segments for the keys it may hold)."""

    name = models.CharField(max_length=120, unique=True)
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    QUEUED = "queued", _("Sending")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


CAMPAIGN_TRANSITIONS: dict[str, set[str]] = {
    CampaignStatus.DRAFT: {CampaignStatus.QUEUED, CampaignStatus.CANCELLED},
    CampaignStatus.QUEUED: {CampaignStatus.FINISHED, CampaignStatus.CANCELLED},
    CampaignStatus.FINISHED: set(),
    CampaignStatus.CANCELLED: set(),
}


class Campaign(models.Model):
    """A win-back message (WhatsApp or e-mail) with a personal voucher to a segment of consenting customers."""

    name = models.CharField(max_length=120)
    channel = models.CharField(max_length=10, choices=[("whatsapp", "WhatsApp"), ("email", _("E-mail"))])
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns")
    segment_filters = models.JSONField(default=dict, blank=True, help_text=_("Used when no saved segment is chosen."))
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=2000, help_text=_("{{ name }}, {{ voucher_code }}, {{ voucher_value }}, "
                                                         "{{ valid_until }}, {{ unsubscribe_link }}"))
    voucher_kind = models.CharField(max_length=10, choices=Voucher.Kind.choices, blank=True)
    voucher_value_amount = models.BigIntegerField(default=0)
    voucher_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    voucher_min_spend_amount = models.BigIntegerField(default=0)
    voucher_valid_days = models.PositiveSmallIntegerField(default=14)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT,
                              db_index=True)
    recipients_count = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def can_transition_to(self, target: str) -> bool:
        return target in CAMPAIGN_TRANSITIONS.get(self.status, set())


class CampaignRecipient(models.Model):
    """One customer of a campaign, with their personal voucher and the message queued for them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="campaign_recipients")
    voucher = models.OneToOneField(Voucher, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notification_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_recipient_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.campaign_id}"
