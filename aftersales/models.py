"""After-sales: one case family (complaints, returns, warranty claims) with one SLA clock, one
conversation log and one queue; the return (RMA) and warranty records hanging off a case; reviews,
surveys and their invitations.

State machines (each transition is one service in aftersales.services):

    Case:    open -> in_progress -> waiting_customer -> in_progress ... -> resolved -> closed
             (resolved/closed -> open again by `case_reopen`)
    Return:  requested -> approved | rejected; approved -> in_transit -> received -> inspected
             -> completed; requested/approved -> cancelled
    Warranty claim: submitted -> accepted | rejected; accepted -> completed
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.storage import get_private_storage


class CaseKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    RETURN = "return", pgettext_lazy("case kind", "Return")
    WARRANTY = "warranty", _("Warranty claim")


class CaseCategory(models.TextChoices):
    LATE_DELIVERY = "late_delivery", _("Late delivery")
    DAMAGED = "damaged", _("Damaged item")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    MISSING_ITEM = "missing_item", _("Missing item")
    QUALITY = "quality", _("Quality")
    REFUND = "refund", _("Refund request")
    WARRANTY = "warranty", _("Warranty")
    OTHER = "other", _("Other")


class CasePriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class CaseChannel(models.TextChoices):
    """Where the case came from."""

    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    FACEBOOK = "facebook", "Facebook"
    ORDER_PAGE = "order_page", _("Order status page")
    MARKETPLACE = "marketplace", _("Marketplace dispute or return")
    REVIEW = "review", _("Low review")
    STAFF = "staff", _("Staff")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


CASE_TRANSITIONS: dict[str, set[str]] = {
    CaseStatus.OPEN: {CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CUSTOMER, CaseStatus.RESOLVED},
    CaseStatus.IN_PROGRESS: {CaseStatus.WAITING_CUSTOMER, CaseStatus.RESOLVED},
    CaseStatus.WAITING_CUSTOMER: {CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED},
    CaseStatus.RESOLVED: {CaseStatus.CLOSED, CaseStatus.OPEN},
    CaseStatus.CLOSED: {CaseStatus.OPEN},
}
ACTIVE_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CUSTOMER)


class Resolution(models.TextChoices):
    REFUND = "refund", _("Refund")
    REPLACEMENT = "replacement", _("Replacement")
    REPAIR = "repair", _("Repair")
    VOUCHER = "voucher", _("Voucher")
    EXPLANATION = "explanation", _("Explanation")
    REJECTED = "rejected", _("Rejected")


class SlaPolicy(models.Model):
    """Targets in business time for cases of a category and priority (blank = any).

    The most specific active policy wins: category and priority, then category, then priority, then
    the catch-all. Times are working minutes on the shop's calendar (core.deadlines).
    """

    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=CaseCategory.choices, blank=True)
    priority = models.CharField(max_length=10, choices=CasePriority.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(help_text=_("Working minutes to the first reply."))
    resolution_minutes = models.PositiveIntegerField(help_text=_("Working minutes to the resolution."))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], condition=Q(is_active=True),
                                    name="sla_policy_one_active_per_scope"),
            models.CheckConstraint(condition=Q(first_response_minutes__gt=0) & Q(resolution_minutes__gt=0),
                                   name="sla_policy_positive_targets"),
        ]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    number = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=10, choices=CaseKind.choices, default=CaseKind.COMPLAINT, db_index=True)
    customer = models.ForeignKey("orders.Customer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="cases")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(max_length=20, choices=CaseChannel.choices, default=CaseChannel.STAFF)
    category = models.CharField(max_length=20, choices=CaseCategory.choices, default=CaseCategory.OTHER)
    priority = models.CharField(max_length=10, choices=CasePriority.choices, default=CasePriority.NORMAL)
    subject = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_cases")
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(max_length=2000, blank=True)
    # SLA clock (core.deadlines business time); the resolution clock pauses while waiting on the customer.
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_response_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_remaining_seconds = models.PositiveIntegerField(null=True, blank=True,
                                                        help_text=_("Working time left when the clock paused."))
    first_responded_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0, help_text=_("0 none, 1 assignee, 2 admin"))
    # A marketplace dispute's own deadline, shown beside ours.
    marketplace_ref = models.CharField(max_length=100, blank=True)
    marketplace_status = models.CharField(max_length=60, blank=True)
    marketplace_due_at = models.DateTimeField(null=True, blank=True)
    # Cases opened automatically (marketplace return, low review) carry their origin, once.
    source_ref = models.CharField(max_length=120, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_ref"], condition=~Q(source_ref=""), name="case_unique_source"),
            models.CheckConstraint(condition=~Q(status="resolved") | ~Q(resolution=""),
                                   name="case_resolved_has_resolution"),
        ]
        indexes = [models.Index(fields=["status", "resolution_due_at"], name="case_status_due")]
        permissions = [
            ("work_case", "Can answer, assign and resolve cases"),
            ("approve_return", "Can approve or reject returns"),
            ("receive_return", "Can receive and inspect returned goods"),
            ("approve_refund", "Can approve refunds of returns"),
            ("moderate_review", "Can moderate and answer reviews"),
            ("manage_aftersales_settings", "Can change return policy, SLA and warranty settings"),
        ]

    def __str__(self) -> str:
        return self.number

    def can_transition_to(self, target: str) -> bool:
        return target in CASE_TRANSITIONS.get(self.status, set())

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_CASE_STATUSES


class CaseLine(models.Model):
    """An order line the case is about (optional), with the quantity concerned."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "order_line"], name="case_line_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class MessageKind(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("To the customer")
    NOTE = "note", _("Internal note")


class CaseMessage(models.Model):
    """The conversation log: what the customer said, what we answered, and internal notes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    channel = models.CharField(max_length=20, choices=CaseChannel.choices, blank=True)
    body = models.TextField(max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    notification_id = models.BigIntegerField(null=True, blank=True, help_text=_("The message sent, if any."))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class CaseEvent(models.Model):
    """Append-only history of a case: transitions, assignments, escalations, SLA changes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    source = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Random names outside anything served by the web server; downloads go through a view.
    return f"cases/{instance.case_id}/{filename}"


class Attachment(models.Model):
    """A photo (checked and re-encoded) or a video link attached to a case."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Photo")
        VIDEO_LINK = "video_link", _("Video link")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(CaseMessage, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="attachments")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    file = models.FileField(upload_to=_attachment_path, blank=True, storage=get_private_storage, max_length=200)
    url = models.URLField(max_length=500, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of case {self.case_id}"


# --- Returns (RMA) ----------------------------------------------------------------------------


class ReturnShippingPayer(models.TextChoices):
    BUYER = "buyer", _("The buyer")
    SELLER = "seller", _("The seller")
    SELLER_IF_OUR_FAULT = "seller_if_fault", _("The seller when the item was wrong or damaged, else the buyer")


class ReturnPolicy(models.Model):
    """The shop's return and exchange policy (one row), shown on the order status page.

    PP 80/2019 gives the buyer at least 2 working days to exchange or cancel: the window, counted in
    working days from delivery, cannot be set below that.
    """

    MIN_WINDOW_WORKING_DAYS = 2

    window_working_days = models.PositiveSmallIntegerField(default=7)
    conditions = models.TextField(max_length=3000, blank=True)
    shipping_paid_by = models.CharField(max_length=20, choices=ReturnShippingPayer.choices,
                                        default=ReturnShippingPayer.SELLER_IF_OUR_FAULT)
    requires_photo = models.BooleanField(default=True)
    return_address = models.TextField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(window_working_days__gte=2), name="return_window_min_2_working_days"),
        ]

    def __str__(self) -> str:
        return f"return window {self.window_working_days} working days"


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_TRANSIT = "in_transit", _("On its way back")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


RETURN_TRANSITIONS: dict[str, set[str]] = {
    ReturnStatus.REQUESTED: {ReturnStatus.APPROVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED},
    ReturnStatus.APPROVED: {ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED, ReturnStatus.CANCELLED},
    ReturnStatus.IN_TRANSIT: {ReturnStatus.RECEIVED},
    ReturnStatus.RECEIVED: {ReturnStatus.INSPECTED},
    ReturnStatus.INSPECTED: {ReturnStatus.COMPLETED},
    ReturnStatus.REJECTED: set(),
    ReturnStatus.COMPLETED: set(),
    ReturnStatus.CANCELLED: set(),
}
OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT,
                        ReturnStatus.RECEIVED, ReturnStatus.INSPECTED)


class ReturnMethod(models.TextChoices):
    """How the parcel comes back: by courier (a return shipment in the shipping app) or by hand."""

    DROP_OFF = "drop_off", _("Customer drops it off at a courier")
    PICKUP = "pickup", _("Courier picks it up from the customer")
    IN_PERSON = "in_person", _("Customer brings it in person")


COURIER_RETURN_METHODS = (ReturnMethod.DROP_OFF, ReturnMethod.PICKUP)


class ReturnOutcome(models.TextChoices):
    REFUND = "refund", _("Refund")
    REPLACEMENT = "replacement", _("Replacement")
    REPAIR = "repair", _("Repair")
    VOUCHER = "voucher", _("Voucher")


class ReturnRequest(models.Model):
    """A return (RMA) of some lines of one order; its case carries the conversation and the SLA.

    The parcel's way back goes through one seam, aftersales.services.returns.return_shipment_update:
    a return approved with a courier method gets a shipment in the shipping app's "return"
    direction (`return_shipment_id`), whose delivery to the warehouse receives the return; the
    original shipment and its resi are never touched.
    """

    number = models.CharField(max_length=30, unique=True)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="return_request")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="return_requests")
    status = models.CharField(max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED,
                              db_index=True)
    reason = models.CharField(max_length=20, choices=CaseCategory.choices, default=CaseCategory.OTHER)
    requested_outcome = models.CharField(max_length=12, choices=ReturnOutcome.choices, default=ReturnOutcome.REFUND)
    outcome = models.CharField(max_length=12, choices=ReturnOutcome.choices, blank=True)
    decision_note = models.TextField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # The way back (the seam to shipping's return shipment).
    return_method = models.CharField(max_length=12, choices=ReturnMethod.choices, default=ReturnMethod.DROP_OFF)
    return_courier = models.CharField(max_length=60, blank=True)
    return_tracking_number = models.CharField(max_length=64, blank=True)
    return_shipment_id = models.BigIntegerField(null=True, blank=True,
                                                help_text=_("The shipping app's return shipment, once linked."))
    shipped_back_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    inspected_at = models.DateTimeField(null=True, blank=True)
    # The outcome's own records.
    refund_amount = models.BigIntegerField(default=0)
    refund_id = models.BigIntegerField(null=True, blank=True, help_text=_("payments.Refund"))
    replacement_order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="replaces_returns")
    voucher_code = models.CharField(max_length=40, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(refund_amount__gte=0), name="return_refund_not_negative")]

    def __str__(self) -> str:
        return self.number

    def can_transition_to(self, target: str) -> bool:
        return target in RETURN_TRANSITIONS.get(self.status, set())


class ReturnLine(models.Model):
    """Returned units of one order line and what the warehouse found."""

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    resellable_quantity = models.PositiveIntegerField(default=0)
    damaged_quantity = models.PositiveIntegerField(default=0)
    missing_quantity = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["return_request", "order_line"], name="return_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(resellable_quantity__lte=models.F("quantity") - models.F("damaged_quantity")
                            - models.F("missing_quantity")),
                name="return_line_inspection_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


# --- Warranty -----------------------------------------------------------------------------------


class ProductWarranty(models.Model):
    """The warranty a product carries from the day it was delivered (or bought)."""

    product = models.OneToOneField("catalog.Product", on_delete=models.CASCADE, related_name="warranty")
    months = models.PositiveSmallIntegerField()
    terms = models.TextField(max_length=2000, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(months__gt=0), name="warranty_months_positive")]

    def __str__(self) -> str:
        return f"{self.months} months for product {self.product_id}"


class WarrantyUnit(models.Model):
    """One serial number under warranty: bought on an order line, or a replacement of another unit.

    A replacement carries the remaining warranty of the unit it replaces (same `ends_on`).
    """

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    serial_number = models.CharField(max_length=80)
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="warranty_units")
    starts_on = models.DateField()
    ends_on = models.DateField()
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "serial_number"], name="warranty_unit_unique")]

    def __str__(self) -> str:
        return self.serial_number


class WarrantyStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    COMPLETED = "completed", _("Completed")


WARRANTY_TRANSITIONS: dict[str, set[str]] = {
    WarrantyStatus.SUBMITTED: {WarrantyStatus.ACCEPTED, WarrantyStatus.REJECTED},
    WarrantyStatus.ACCEPTED: {WarrantyStatus.COMPLETED},
    WarrantyStatus.REJECTED: set(),
    WarrantyStatus.COMPLETED: set(),
}


class WarrantyClaim(models.Model):
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="warranty_claim")
    unit = models.ForeignKey(WarrantyUnit, on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(max_length=12, choices=WarrantyStatus.choices, default=WarrantyStatus.SUBMITTED)
    problem = models.TextField(max_length=2000)
    outcome = models.CharField(max_length=12, choices=ReturnOutcome.choices, blank=True)
    decision_note = models.TextField(max_length=2000, blank=True)
    replacement_unit = models.OneToOneField(WarrantyUnit, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"warranty claim {self.pk} ({self.status})"

    def can_transition_to(self, target: str) -> bool:
        return target in WARRANTY_TRANSITIONS.get(self.status, set())


# --- Reviews and surveys ----------------------------------------------------------------------


class ReviewSource(models.TextChoices):
    OWN = "own", _("Own store")
    SHOPEE = "shopee", "Shopee"
    TOKOPEDIA = "tokopedia", "Tokopedia"
    TIKTOK_SHOP = "tiktok_shop", "TikTok Shop"
    LAZADA = "lazada", "Lazada"
    OTHER = "other", _("Other")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", _("Hidden")


class Review(models.Model):
    """A product rating 1-5 with text and photos: from our invitation, or entered/imported from a marketplace."""

    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    order_line = models.OneToOneField("orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="review")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="reviews")
    customer = models.ForeignKey("orders.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reviews")
    reviewer_name = models.CharField(max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(max_length=3000, blank=True)
    source = models.CharField(max_length=20, choices=ReviewSource.choices, default=ReviewSource.OWN)
    external_ref = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING,
                              db_index=True)
    reply = models.TextField(max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews")
    reviewed_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"),
            models.UniqueConstraint(fields=["source", "external_ref"], condition=~Q(external_ref=""),
                                    name="review_unique_external"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.product_id}"


class ReviewPhoto(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="reviews/", storage=get_private_storage, max_length=200)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"photo of review {self.review_id}"


class SurveyKind(models.TextChoices):
    CSAT_CASE = "csat_case", _("Satisfaction after a case")
    CSAT_DELIVERY = "csat_delivery", _("Satisfaction after delivery")
    NPS = "nps", _("Net Promoter Score")


class SurveyResponse(models.Model):
    """One answer: CSAT 1-5 (after a case or a delivery) or NPS 0-10; one per order (or case) and kind."""

    kind = models.CharField(max_length=20, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=2000, blank=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="survey_responses")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="survey_responses")
    customer = models.ForeignKey("orders.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="survey_responses")
    answered_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "order"], condition=Q(case__isnull=True),
                                    name="survey_one_per_order_and_kind"),
            models.UniqueConstraint(fields=["kind", "case"], condition=Q(case__isnull=False),
                                    name="survey_one_per_case"),
            models.CheckConstraint(
                condition=(Q(kind="nps") & Q(score__lte=10)) | (~Q(kind="nps") & Q(score__gte=1) & Q(score__lte=5)),
                name="survey_score_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"


class Invitation(models.Model):
    """A signed, single-use link sent to the customer: review the order, answer a CSAT or NPS survey.

    Only the SHA-256 of the token is stored. One invitation per order (or case) and kind.
    """

    class Kind(models.TextChoices):
        REVIEW = "review", _("Review")
        CSAT_CASE = "csat_case", _("Satisfaction after a case")
        CSAT_DELIVERY = "csat_delivery", _("Satisfaction after delivery")
        NPS = "nps", _("Net Promoter Score")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "order"], condition=Q(case__isnull=True),
                                    name="invitation_one_per_order"),
            models.UniqueConstraint(fields=["kind", "case"], condition=Q(case__isnull=False),
                                    name="invitation_one_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for order {self.order_id}"


class IntakeCursor(models.Model):
    """How far a periodic scan got (e.g. the TikTok return pushes), so each item is handled once."""

    key = models.CharField(max_length=60, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} at {self.position}"


