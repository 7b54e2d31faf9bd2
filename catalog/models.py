"""Products, variants (SKUs), warehouses and stock with an append-only ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=120, blank=True, db_index=True)
    brand = models.CharField(max_length=120, blank=True)
    video_url = models.URLField(blank=True)
    weight_grams = models.PositiveIntegerField(default=0)
    length_cm = models.PositiveIntegerField(default=0)
    width_cm = models.PositiveIntegerField(default=0)
    height_cm = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("change_pricing", "Can change prices and costs")]

    def __str__(self) -> str:
        return self.name


class ProductVariant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, blank=True, help_text=_("e.g. 'Merah / XL'"))
    attributes = models.JSONField(default=dict, blank=True)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    cost_amount = models.BigIntegerField(default=0, help_text=_("Cost of goods (HPP) per unit, rupiah."))
    price_amount = models.BigIntegerField(default=0, help_text=_("Base selling price, rupiah."))
    low_stock_threshold = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(cost_amount__gte=0), name="variant_cost_not_negative"),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="variant_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.product.name} {self.name}".strip()


class Warehouse(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    address = models.TextField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_warehouse")
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """Current stock of one variant in one warehouse; changed only by catalog.services."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    # Rack/shelf/bin code in the warehouse ("A-03-2"); pick lists walk the warehouse in this order.
    bin_location = models.CharField(max_length=40, blank=True, default="", db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stock_level_unique"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
        ]
        permissions = [("adjust_stock", "Can adjust and count stock")]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.warehouse_id}: {self.on_hand} on hand, {self.reserved} reserved"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """Append-only ledger: one row per change of on_hand or reserved."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Goods received")
        RESERVE = "reserve", _("Reservation")
        RELEASE = "release", _("Reservation released")
        SHIPMENT = "shipment", _("Shipped")
        RETURN = "return", _("Return restocked")
        ADJUSTMENT = "adjustment", _("Adjustment")
        COUNT = "count", _("Stock count")
        TRANSFER = "transfer", _("Transfer")

    variant = models.ForeignKey(ProductVariant, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    on_hand_change = models.IntegerField(default=0)
    reserved_change = models.IntegerField(default=0)
    reference = models.CharField(max_length=100, blank=True, db_index=True, help_text=_("e.g. order:123"))
    reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["variant", "created_at"], name="movement_variant_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.variant_id}@{self.warehouse_id} {self.on_hand_change:+}/{self.reserved_change:+}"


def _photo_path(instance: ProductPhoto, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


def _thumb_path(instance: ProductPhoto, filename: str) -> str:
    return f"products/{instance.product_id}/thumbs/{filename}"


class ProductPhoto(models.Model):
    """An uploaded product photo with its thumbnail; `position` orders the gallery (0 = cover)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=_thumb_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "position", "id"]

    def __str__(self) -> str:
        return f"photo {self.position} of {self.product_id}"


class VariantCostHistory(models.Model):
    """Every change of a variant's cost of goods (HPP), newest first; the variant keeps the current one."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="cost_history")
    cost_amount = models.BigIntegerField()
    previous_amount = models.BigIntegerField(default=0)
    note = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    effective_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-effective_at", "-id"]
        verbose_name_plural = "variant cost history"
        constraints = [models.CheckConstraint(condition=Q(cost_amount__gte=0), name="cost_history_not_negative")]

    def __str__(self) -> str:
        return f"{self.variant_id}: {self.cost_amount}"


class ChannelListing(models.Model):
    """A variant offered on one channel, with the channel's own price and the marketplace's ids."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="listings")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="listings")
    price_amount = models.BigIntegerField(
        null=True, blank=True, help_text=_("Price on this channel; empty means the variant's base price.")
    )
    item_id = models.CharField(max_length=64, blank=True, help_text=_("Marketplace item/product id."))
    model_id = models.CharField(max_length=64, blank=True, help_text=_("Marketplace model/variation id."))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "variant"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "variant"], name="listing_unique_channel_variant"),
            models.CheckConstraint(
                condition=Q(price_amount__isnull=True) | Q(price_amount__gte=0), name="listing_price_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["channel", "item_id", "model_id"], name="listing_marketplace_ids")]

    def __str__(self) -> str:
        return f"{self.variant_id} on {self.channel_id}"

    @property
    def effective_price_amount(self) -> int:
        return self.variant.price_amount if self.price_amount is None else self.price_amount


class ChannelCatalogSettings(models.Model):
    """Catalog rules for one channel: packaging cost and target margin, and the stock push rules.

    The quantity shown on a channel is `min(cap, floor((available - safety_buffer) * share% / 100))`,
    never below zero. Fees (commission %, fixed fee) live on channels.Channel.
    """

    channel = models.OneToOneField("channels.Channel", on_delete=models.CASCADE, related_name="catalog_settings")
    packaging_cost_amount = models.BigIntegerField(default=0)
    target_margin_percent = models.DecimalField(max_digits=5, decimal_places=2, default=20)
    stock_share_percent = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    stock_cap = models.PositiveIntegerField(null=True, blank=True, help_text=_("Never show more than this."))
    safety_buffer = models.PositiveIntegerField(default=0, help_text=_("Units held back from this channel."))
    push_stock = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "channel catalog settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_share_percent__gte=0) & Q(stock_share_percent__lte=100), name="stock_share_0_100"
            ),
            models.CheckConstraint(condition=Q(packaging_cost_amount__gte=0), name="packaging_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"settings of {self.channel_id}"


class StockPushRequest(models.Model):
    """A pending 'send this variant's stock to the channels' job, collected for the debounced flush.

    `channel` empty means every channel listing the variant; a retry names the channel that failed.
    """

    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey("channels.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"push {self.variant_id} -> {self.channel_id or 'all'}"


class StockPushAttempt(models.Model):
    """One quantity sent (or tried) to one channel listing, with the channel's answer."""

    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="stock_push_attempts")
    listing = models.ForeignKey(ChannelListing, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(max_length=64, db_index=True)
    quantity = models.IntegerField()
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    attempt_number = models.PositiveIntegerField(default=1)
    will_retry = models.BooleanField(default=False)
    attempted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sku}={self.quantity} -> {self.channel_id}: {'ok' if self.ok else 'failed'}"


PLATFORM_CHOICES = [
    ("shopee", "Shopee"),
    ("tiktok_shop", "TikTok Shop"),
    ("tokopedia", "Tokopedia"),
    ("lazada", "Lazada"),
    ("bukalapak", "Bukalapak"),
    ("website", _("Website")),
    ("instagram", "Instagram"),
    ("facebook", "Facebook"),
    ("offline", _("Offline store")),
]


class CompetitorPrice(models.Model):
    """A competitor's price seen on a marketplace, for market research and our price position."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="competitor_prices")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="competitor_prices"
    )
    competitor = models.CharField(max_length=120)
    platform = models.CharField(
        max_length=20, blank=True, choices=PLATFORM_CHOICES, help_text=_("Where the competitor sells.")
    )
    url = models.URLField(blank=True, max_length=500)
    price_amount = models.BigIntegerField()
    observed_on = models.DateField(db_index=True)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(price_amount__gt=0), name="competitor_price_positive")]

    def __str__(self) -> str:
        return f"{self.competitor} {self.price_amount}"


class CatalogImport(models.Model):
    """One uploaded import file: its parsed rows, the preview and, once confirmed, when it was applied."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        INVALID = "invalid", _("Has errors")
        APPLIED = "applied", _("Applied")

    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    rows = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("import_catalog", "Can import and export the catalog")]

    def __str__(self) -> str:
        return self.filename
