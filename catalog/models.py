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
