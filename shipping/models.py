"""Shipping: couriers and their services, rate tables, shipments and their tracking, the warehouse's
pick waves, packing and hand-over manifests, weight disputes and the shop's shipping settings.

Weights are grams and sizes centimetres everywhere inside the app (providers that speak kg are
converted at the edge); money is whole rupiah in `*_amount` BigIntegerFields.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Courier(models.Model):
    """A delivery company (JNE, J&T, SiCepat...). `aliases` are the names marketplaces and
    aggregators use for it ("J&T Express", "jnt", "SPX Standard"), matched case-insensitively."""

    code = models.SlugField(
        max_length=20, unique=True, help_text=_("Short code, as the aggregators spell it: jne, jnt.")
    )
    name = models.CharField(max_length=80)
    aliases = models.JSONField(default=list, blank=True)
    tracking_url = models.CharField(
        max_length=300, blank=True, help_text=_("The courier's public tracking page; {resi} is replaced by the resi.")
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceKind(models.TextChoices):
    ECONOMY = "economy", _("Economy")
    REGULAR = "regular", _("Regular")
    EXPRESS = "express", _("Express / next day")
    SAME_DAY = "same_day", _("Same day")
    INSTANT = "instant", _("Instant")
    TRUCKING = "trucking", _("Trucking / cargo")


class CourierService(models.Model):
    """One product of a courier (JNE REG, SiCepat GOKIL) with its weighing rules.

    Chargeable weight (shipping.services.rates.chargeable_weight): the larger of the actual and the
    volumetric weight (L×W×H / divisor), rounded to whole kilograms - a remainder up to
    `rounding_threshold_grams` is dropped, anything above goes to the next kilogram - and never
    below `min_weight_grams`.
    """

    courier = models.ForeignKey(Courier, on_delete=models.CASCADE, related_name="services")
    code = models.SlugField(max_length=30, help_text=_("The service code as the aggregators spell it: reg, yes."))
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=12, choices=ServiceKind.choices, default=ServiceKind.REGULAR)
    volumetric_divisor = models.PositiveIntegerField(
        default=6000, help_text=_("cm³ per kg: 6000 for most services, 4000 for trucking.")
    )
    min_weight_grams = models.PositiveIntegerField(default=1000)
    rounding_threshold_grams = models.PositiveIntegerField(
        default=0, help_text=_("Grams above a whole kilogram that are not charged (JNE: 300).")
    )
    cod_available = models.BooleanField(default=False)
    cod_fee_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    insurance_available = models.BooleanField(default=True)
    insurance_percent = models.DecimalField(max_digits=5, decimal_places=3, default=0)
    etd_min_days = models.PositiveSmallIntegerField(default=1)
    etd_max_days = models.PositiveSmallIntegerField(default=3)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["courier__name", "code"]
        constraints = [
            models.UniqueConstraint(fields=["courier", "code"], name="courier_service_unique_code"),
            models.CheckConstraint(condition=Q(volumetric_divisor__gt=0), name="service_divisor_positive"),
            models.CheckConstraint(condition=Q(rounding_threshold_grams__lt=1000), name="service_threshold_below_kg"),
            models.CheckConstraint(condition=Q(etd_min_days__lte=models.F("etd_max_days")), name="service_etd_range"),
        ]

    def __str__(self) -> str:
        return f"{self.courier.name} {self.name}"


class RateTable(models.Model):
    """One imported rate card (CSV/XLSX). Quotes use the rows of active tables."""

    name = models.CharField(max_length=120)
    filename = models.CharField(max_length=255, blank=True)
    origin_city = models.CharField(max_length=100, help_text=_("Where parcels are sent from."))
    is_active = models.BooleanField(default=True)
    row_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("manage_rates", "Can manage couriers, services and rate tables")]

    def __str__(self) -> str:
        return self.name


class Rate(models.Model):
    """Price per chargeable kilogram from the table's origin to an area. An empty district or city
    means the whole city or province; the most specific row wins."""

    table = models.ForeignKey(RateTable, on_delete=models.CASCADE, related_name="rates")
    service = models.ForeignKey(CourierService, on_delete=models.CASCADE, related_name="rates")
    origin_key = models.CharField(max_length=100, db_index=True)
    province_key = models.CharField(max_length=100)
    city_key = models.CharField(max_length=100, blank=True)
    district_key = models.CharField(max_length=100, blank=True)
    destination = models.CharField(max_length=300, help_text=_("The area as written in the file."))
    price_per_kg_amount = models.BigIntegerField()
    etd_min_days = models.PositiveSmallIntegerField(null=True, blank=True)
    etd_max_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["origin_key", "province_key", "city_key"], name="rate_area")]
        constraints = [
            models.CheckConstraint(condition=Q(price_per_kg_amount__gt=0), name="rate_price_positive"),
            models.UniqueConstraint(
                fields=["table", "service", "province_key", "city_key", "district_key"], name="rate_unique_area"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} -> {self.destination}: {self.price_per_kg_amount}/kg"


class ShippingAccount(models.Model):
    """An aggregator account (Biteship, KiriminAja) for live rates, bookings and tracking.

    The API key and webhook secret are one Fernet token (channels.crypto), never shown back.
    """

    class Provider(models.TextChoices):
        BITESHIP = "biteship", "Biteship"
        KIRIMINAJA = "kiriminaja", "KiriminAja"

    provider = models.CharField(max_length=20, choices=Provider.choices)
    name = models.CharField(max_length=80, unique=True)
    api_base_url = models.URLField(blank=True, help_text=_("Empty: the provider's production API."))
    credentials_token = models.TextField(blank=True, editable=False)
    webhook_header = models.CharField(
        max_length=60, blank=True, default="X-Oms-Webhook-Secret",
        help_text=_("Header that carries the webhook secret (Biteship); the secret may also be the URL's ?token=."),
    )
    couriers = models.CharField(
        max_length=200, blank=True, default="jne,jnt,sicepat,anteraja,pos,ninja,ide,lion",
        help_text=_("Courier codes to ask for rates, comma separated."),
    )
    origin_area_id = models.CharField(max_length=60, blank=True, help_text=_("Biteship area id of the warehouse."))
    origin_kecamatan_id = models.CharField(max_length=20, blank=True, help_text=_("KiriminAja kecamatan id."))
    origin_kelurahan_id = models.CharField(max_length=20, blank=True, help_text=_("KiriminAja kelurahan id."))
    requests_per_second = models.PositiveSmallIntegerField(default=5)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials(self) -> dict:
        from channels import crypto

        return crypto.decrypt_json(self.credentials_token) if self.credentials_token else {}

    def credential(self, name: str) -> str:
        return str(self.credentials.get(name) or "")

    def set_credentials(self, values: dict) -> None:
        """Merge secrets in (blank values keep the stored one); the caller saves the row."""
        from channels import crypto

        unknown = set(values) - {"api_key", "webhook_secret"}
        if unknown:
            raise ValueError(f"unknown credential fields: {', '.join(sorted(unknown))}")
        current = self.credentials
        for key, value in values.items():
            if value is not None and str(value).strip():
                current[key] = str(value).strip()
        self.credentials_token = crypto.encrypt_json(current)


def default_cutoff_time() -> time:
    """15:00. A callable: Django's check (fields.W161) warns about a fixed time default whenever the
    check runs within 10 seconds of that time of day in UTC, which failed `check --deploy` at 15:00."""
    return time(15, 0)


class ShippingSettings(models.Model):
    """The shop's shipping settings: the sender on labels, the cut-off rule, queue thresholds.

    One row (pk=1), read with shipping.selectors.shipping_settings().
    """

    sender_name = models.CharField(max_length=120, default="Toko")
    sender_phone = models.CharField(max_length=20, blank=True)
    origin_address = models.TextField(blank=True)
    origin_city = models.CharField(max_length=100, default="Jakarta Barat")
    origin_province = models.CharField(max_length=100, default="DKI Jakarta")
    origin_postal_code = models.CharField(max_length=10, blank=True)
    cutoff_time = models.TimeField(
        default=default_cutoff_time, help_text=_("Orders paid before this time ship the same working day.")
    )
    at_risk_hours = models.PositiveSmallIntegerField(default=4, help_text=_("Ship-by within this many hours: at risk."))
    stale_tracking_days = models.PositiveSmallIntegerField(
        default=3, help_text=_("No tracking update for this many days: an exception.")
    )
    poll_after_hours = models.PositiveSmallIntegerField(
        default=6, help_text=_("Ask the aggregator for tracking when a shipment has not moved for this many hours.")
    )
    complete_after_days = models.PositiveSmallIntegerField(
        default=7, help_text=_("Own-channel orders are completed this many days after delivery.")
    )
    label_format = models.CharField(
        max_length=10, default="thermal", choices=[("thermal", _("100×150 mm thermal")), ("a6", _("A6, 4 per A4 page"))]
    )
    alert_recipients = models.CharField(
        max_length=300, blank=True,
        help_text=_("Warehouse e-mail addresses or phone numbers for alerts, comma separated."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "shipping settings"
        permissions = [("manage_shipping_settings", "Can change shipping settings")]

    def __str__(self) -> str:
        return "shipping settings"


class ChannelShippingPolicy(models.Model):
    """A channel's dispatch rule: the marketplace's own ship-by date when it sends one, else
    `dispatch_working_days` after the cut-off day; the Late Dispatch Rate warning threshold."""

    channel = models.OneToOneField("channels.Channel", on_delete=models.CASCADE, related_name="shipping_policy")
    use_marketplace_deadline = models.BooleanField(default=True)
    dispatch_working_days = models.PositiveSmallIntegerField(
        default=0, help_text=_("0: ships the day it counts for (cut-off rule); 2: two working days later.")
    )
    late_dispatch_threshold_percent = models.DecimalField(max_digits=5, decimal_places=2, default=4)

    class Meta:
        verbose_name_plural = "channel shipping policies"

    def __str__(self) -> str:
        return f"policy of {self.channel_id}"


class ShippingRule(models.Model):
    """Free shipping or a subsidy: who pays how much of the postage for matching orders."""

    class Kind(models.TextChoices):
        FREE = "free", _("Free shipping")
        FIXED = "fixed", _("Fixed subsidy")
        PERCENT = "percent", _("Percentage subsidy")

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FREE)
    channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text=_("Empty: every channel."),
    )
    min_subtotal_amount = models.BigIntegerField(default=0)
    provinces = models.JSONField(default=list, blank=True, help_text=_("Empty: every province."))
    amount = models.BigIntegerField(default=0, help_text=_("Fixed subsidy in rupiah."))
    percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    max_amount = models.BigIntegerField(null=True, blank=True, help_text=_("Cap of the subsidy; empty: no cap."))
    is_active = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(min_subtotal_amount__gte=0), name="rule_amounts"),
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100), name="rule_percent_0_100"),
        ]

    def __str__(self) -> str:
        return self.name


class PackagePreset(models.Model):
    """A box or envelope the warehouse packs with, and what it costs (box, bubble wrap, tape)."""

    name = models.CharField(max_length=80, unique=True)
    length_cm = models.PositiveIntegerField(default=0)
    width_cm = models.PositiveIntegerField(default=0)
    height_cm = models.PositiveIntegerField(default=0)
    weight_grams = models.PositiveIntegerField(default=0, help_text=_("Weight of the empty package."))
    packing_cost_amount = models.BigIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(packing_cost_amount__gte=0), name="preset_cost_not_negative")]

    def __str__(self) -> str:
        return self.name


class ShipmentStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("shipment", "Created")
    BOOKED = "booked", _("Booked")
    PICKED_UP = "picked_up", _("Picked up")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", pgettext_lazy("shipment", "Delivered")
    ON_HOLD = "on_hold", _("On hold")
    FAILED_DELIVERY = "failed_delivery", _("Delivery failed")
    RETURNING_TO_SENDER = "returning_to_sender", _("Returning to sender")
    RETURNED = "returned", _("Returned to sender")
    CANCELLED = "cancelled", pgettext_lazy("shipment", "Cancelled")
    LOST = "lost", _("Lost")


SS = ShipmentStatus

# The shipment lifecycle. One service per arrow (shipping.services.shipments); tracking may skip
# steps it never saw (a parcel delivered whose in-transit scan was lost), never go back.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    SS.CREATED: {SS.BOOKED, SS.PICKED_UP, SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.CANCELLED},
    SS.BOOKED: {SS.PICKED_UP, SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.ON_HOLD, SS.CANCELLED},
    SS.PICKED_UP: {SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.ON_HOLD, SS.FAILED_DELIVERY,
                   SS.RETURNING_TO_SENDER, SS.LOST},
    SS.IN_TRANSIT: {SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.ON_HOLD, SS.FAILED_DELIVERY, SS.RETURNING_TO_SENDER,
                    SS.LOST},
    SS.OUT_FOR_DELIVERY: {SS.DELIVERED, SS.ON_HOLD, SS.FAILED_DELIVERY, SS.RETURNING_TO_SENDER, SS.LOST},
    SS.ON_HOLD: {SS.IN_TRANSIT, SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.FAILED_DELIVERY, SS.RETURNING_TO_SENDER,
                 SS.LOST},
    SS.FAILED_DELIVERY: {SS.OUT_FOR_DELIVERY, SS.DELIVERED, SS.ON_HOLD, SS.RETURNING_TO_SENDER, SS.LOST},
    SS.RETURNING_TO_SENDER: {SS.RETURNED, SS.LOST},
    SS.DELIVERED: set(),
    SS.RETURNED: set(),
    SS.CANCELLED: set(),
    SS.LOST: set(),
}

# How far along a parcel is. A tracking status ranked below the shipment's never moves it
# (out-of-order or repeated events); on_hold and failed_delivery sit beside the steps they
# interrupt, so a later "in transit" or "out for delivery" scan resumes the journey.
STATUS_RANK: dict[str, int] = {
    SS.CREATED: 0,
    SS.BOOKED: 1,
    SS.PICKED_UP: 2,
    SS.IN_TRANSIT: 3,
    SS.ON_HOLD: 3,
    SS.OUT_FOR_DELIVERY: 4,
    SS.FAILED_DELIVERY: 4,
    SS.RETURNING_TO_SENDER: 5,
    SS.DELIVERED: 6,
    SS.RETURNED: 6,
    SS.LOST: 6,
    SS.CANCELLED: 6,
}

# The parcel has left the warehouse.
DISPATCHED_STATUSES = frozenset(s for s, rank in STATUS_RANK.items() if rank >= 2) - {SS.CANCELLED}
FINAL_STATUSES = frozenset({SS.DELIVERED, SS.RETURNED, SS.CANCELLED, SS.LOST})
EXCEPTION_STATUSES = frozenset({SS.ON_HOLD, SS.FAILED_DELIVERY, SS.RETURNING_TO_SENDER, SS.RETURNED, SS.LOST})


class ShipmentDirection(models.TextChoices):
    """Which way a parcel travels: to the customer, or back to us (a return the customer sends)."""

    OUTBOUND = "outbound", _("To the customer")
    RETURN = "return", _("Back to us (return)")


class ShipmentProvider(models.TextChoices):
    MANUAL = "manual", _("Resi typed or scanned by staff")
    MARKETPLACE = "marketplace", _("Marketplace logistics")
    BITESHIP = "biteship", "Biteship"
    KIRIMINAJA = "kiriminaja", "KiriminAja"


def _photo_path(instance: Shipment, filename: str) -> str:
    return f"shipments/{instance.order_id}/{filename}"


def _document_path(instance: Shipment, filename: str) -> str:
    return f"shipments/{instance.order_id}/documents/{filename}"


class Shipment(models.Model):
    """One parcel of an order. An order has one or more (split shipping), and may have return
    parcels (direction "return") coming back from the customer."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    number = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=SS.CREATED, db_index=True)
    # A return parcel (direction "return") never counts toward the order's delivery state, the
    # warehouse's queues or the customer's messages; its "delivered" means it reached our warehouse.
    direction = models.CharField(max_length=10, choices=ShipmentDirection.choices, default=ShipmentDirection.OUTBOUND,
                                 db_index=True)
    provider = models.CharField(max_length=20, choices=ShipmentProvider.choices, default=ShipmentProvider.MANUAL)
    account = models.ForeignKey(ShippingAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments")
    service = models.ForeignKey(
        CourierService, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    # The courier as the uniqueness of a resi sees it: the Courier's code, else the name as given.
    courier_key = models.CharField(max_length=60, blank=True)
    courier_name = models.CharField(max_length=60, blank=True, help_text=_("As the channel or aggregator named it."))
    tracking_number = models.CharField(max_length=64, blank=True, help_text=_("Resi, stored exactly as given."))
    provider_order_id = models.CharField(max_length=100, blank=True)
    sort_code = models.CharField(max_length=60, blank=True)
    # What was packed (evidence for weight disputes).
    package_preset = models.ForeignKey(
        PackagePreset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weight_grams = models.PositiveIntegerField(default=0)
    length_cm = models.PositiveIntegerField(default=0)
    width_cm = models.PositiveIntegerField(default=0)
    height_cm = models.PositiveIntegerField(default=0)
    chargeable_weight_grams = models.PositiveIntegerField(default=0)
    photo = models.ImageField(upload_to=_photo_path, blank=True)
    packing_cost_amount = models.BigIntegerField(default=0)
    # Money: what the quote said, what the seller really pays the courier, the buyer's subsidy.
    quoted_cost_amount = models.BigIntegerField(default=0)
    cost_amount = models.BigIntegerField(default=0)
    subsidy_amount = models.BigIntegerField(default=0)
    insurance_amount = models.BigIntegerField(default=0)
    cod_amount = models.BigIntegerField(default=0)
    charged_weight_grams = models.PositiveIntegerField(default=0)
    etd_min_days = models.PositiveSmallIntegerField(null=True, blank=True)
    etd_max_days = models.PositiveSmallIntegerField(null=True, blank=True)
    marketplace_document = models.FileField(upload_to=_document_path, blank=True)
    ship_by = models.DateTimeField(null=True, blank=True, db_index=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    packed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    label_printed_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    last_tracking_at = models.DateTimeField(null=True, blank=True, help_text=_("Time of the newest tracking event."))
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["courier_key", "tracking_number"], condition=~Q(tracking_number=""),
                name="shipment_resi_unique_per_courier",
            ),
            models.CheckConstraint(
                condition=Q(cost_amount__gte=0) & Q(quoted_cost_amount__gte=0) & Q(cod_amount__gte=0)
                & Q(packing_cost_amount__gte=0) & Q(subsidy_amount__gte=0) & Q(insurance_amount__gte=0),
                name="shipment_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["tracking_number"], name="shipment_resi"),
            models.Index(fields=["status", "last_polled_at"], name="shipment_status_polled"),
            # analytics' change scan (rollup_scan_changes) reads shipments changed since its last run
            models.Index(fields=["updated_at"], name="shipment_updated"),
        ]
        permissions = [
            ("pack_shipment", "Can pick, pack, label and hand over shipments"),
            ("override_pack", "Can tick lines without a scan (supervisor)"),
            ("view_shipping_costs", "Can see shipping costs and disputes"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def has_left(self) -> bool:
        return self.status in DISPATCHED_STATUSES

    @property
    def dispatched_on_time(self) -> bool | None:
        """True/False once it left (or the deadline passed); None without a deadline."""
        if self.ship_by is None or self.status == SS.CANCELLED:
            return None
        if self.dispatched_at is None:
            from django.utils import timezone

            return None if timezone.now() <= self.ship_by else False
        return self.dispatched_at <= self.ship_by

    @property
    def delivered_within_eta(self) -> bool | None:
        if self.delivered_at is None or self.dispatched_at is None or self.etd_max_days is None:
            return None
        from datetime import timedelta

        return self.delivered_at - self.dispatched_at <= timedelta(days=self.etd_max_days + 1)

    def can_transition_to(self, target: str) -> bool:
        return target in ALLOWED_TRANSITIONS.get(self.status, set())


class ShipmentLine(models.Model):
    """Which order line, and how many of it, travel in this parcel; `scanned_quantity` counts the
    units the packer scanned (or a supervisor ticked)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()
    scanned_quantity = models.PositiveIntegerField(default=0)
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    tick_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipment_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"),
            models.CheckConstraint(condition=Q(scanned_quantity__lte=models.F("quantity")),
                                   name="shipment_line_scanned_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"

    @property
    def is_complete(self) -> bool:
        return self.scanned_quantity >= self.quantity


class ShipmentEvent(models.Model):
    """Append-only history of a shipment: transitions, resi, packing, labels, scans, disputes."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind}"


class TrackingEvent(models.Model):
    """One scan or status the courier reported, recorded once (unique per shipment and key)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    source = models.CharField(max_length=20, help_text=_("biteship, kiriminaja, shopee, staff..."))
    status_word = models.CharField(max_length=60, help_text=_("The provider's word, as sent."))
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, blank=True)
    description = models.CharField(max_length=500, blank=True)
    location = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    key = models.CharField(max_length=64)
    applied = models.BooleanField(default=False, help_text=_("Moved the shipment's status."))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "key"], name="tracking_event_once")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status_word} at {self.occurred_at:%Y-%m-%d %H:%M}"


class PickWave(models.Model):
    """A batch of orders picked in one walk through the warehouse."""

    class Status(models.TextChoices):
        OPEN = "open", _("Picking")
        DONE = "done", _("Picked")
        CANCELLED = "cancelled", pgettext_lazy("wave", "Cancelled")

    number = models.CharField(max_length=30, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    orders = models.ManyToManyField("orders.Order", through="PickWaveOrder", related_name="pick_waves")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PickWaveOrder(models.Model):
    wave = models.ForeignKey(PickWave, on_delete=models.CASCADE, related_name="entries")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["wave", "order"], name="wave_order_unique")]

    def __str__(self) -> str:
        return f"{self.order_id} in {self.wave_id}"


class Manifest(models.Model):
    """One courier pickup: the resi scanned into it, who handed them over and when; signed on paper."""

    class Status(models.TextChoices):
        OPEN = "open", _("Scanning")
        CLOSED = "closed", _("Handed over")

    number = models.CharField(max_length=30, unique=True)
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="manifests")
    courier_key = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    driver_name = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class ManifestItem(models.Model):
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="items")
    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="manifest_item")
    scanned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    scanned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scanned_at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id} in {self.manifest_id}"


class WeightDispute(models.Model):
    """The courier charged more than the packed parcel should cost: the packed weight, size and
    photo are the evidence, the difference is what the seller claims back."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won (refunded)")
        LOST = "lost", _("Lost (accepted)")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="disputes")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    packed_weight_grams = models.PositiveIntegerField(default=0)
    packed_length_cm = models.PositiveIntegerField(default=0)
    packed_width_cm = models.PositiveIntegerField(default=0)
    packed_height_cm = models.PositiveIntegerField(default=0)
    expected_weight_grams = models.PositiveIntegerField(default=0)
    charged_weight_grams = models.PositiveIntegerField(default=0)
    expected_amount = models.BigIntegerField(default=0)
    charged_amount = models.BigIntegerField(default=0)
    difference_amount = models.BigIntegerField(default=0)
    source = models.CharField(max_length=20, blank=True)
    external_ref = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "external_ref"], condition=~Q(external_ref=""),
                                    name="dispute_once_per_charge"),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} on {self.shipment_id}"
