"""One order model for every channel, its lines, its customer and its history."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    """A buyer, deduplicated across channels by normalised phone (E.164) or e-mail."""

    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=20, blank=True, db_index=True, help_text=_("E.164, e.g. +6281234567890"))
    email = models.EmailField(blank=True, db_index=True)
    city = models.CharField(max_length=100, blank=True)
    province = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~models.Q(phone=""), name="customer_unique_phone"),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PROCESSING = "processing", _("Processing")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentMethod(models.TextChoices):
    """Payment methods an order can be placed with (marketplaces report their own words too)."""

    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    VIRTUAL_ACCOUNT = "virtual_account", _("Virtual account")
    EWALLET = "ewallet", _("E-wallet")
    QRIS = "qris", _("QRIS")
    CARD = "card", _("Credit/debit card")
    COD = "cod", _("Cash on delivery")
    CASH = "cash", _("Cash")
    MARKETPLACE = "marketplace", _("Paid through the marketplace")


class OrderSource(models.TextChoices):
    STAFF = "staff", _("Staff")
    API = "api", _("API")
    WEB = "web", _("Web store")
    MARKETPLACE = "marketplace", _("Marketplace")
    GATEWAY = "gateway", _("Payment gateway")
    SYSTEM = "system", _("System")


# The order lifecycle. Every transition is one service in orders.services; nothing else
# assigns Order.status. Return states arrive with the after-sales work.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    # awaiting_payment -> processing only for cash on delivery (see TRANSITION_GUARDS).
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.PROCESSING, OrderStatus.CANCELLED},
    OrderStatus.PROCESSING: {OrderStatus.PACKED, OrderStatus.CANCELLED},
    OrderStatus.PACKED: {OrderStatus.SHIPPED, OrderStatus.PROCESSING, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
    OrderStatus.DELIVERED: {OrderStatus.COMPLETED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
}



def _is_cod(order: Order) -> bool:
    return order.payment_method == PaymentMethod.COD


# Extra conditions on some edges of ALLOWED_TRANSITIONS: (from, to) -> predicate(order).
# A cash-on-delivery order is confirmed and shipped before anyone pays.
TRANSITION_GUARDS: dict[tuple[str, str], Callable[[Order], bool]] = {
    (OrderStatus.AWAITING_PAYMENT, OrderStatus.PROCESSING): _is_cod,
}

# Forward rank, so a late marketplace status never moves an order backwards.
STATUS_RANK: dict[str, int] = {
    OrderStatus.AWAITING_PAYMENT: 0,
    OrderStatus.PAID: 1,
    OrderStatus.PROCESSING: 2,
    OrderStatus.PACKED: 3,
    OrderStatus.SHIPPED: 4,
    OrderStatus.DELIVERED: 5,
    OrderStatus.COMPLETED: 6,
    OrderStatus.CANCELLED: 7,
}


def _new_access_key() -> str:
    return secrets.token_urlsafe(24)


_DISPATCH_COLUMNS = ["channel_id", "status", "paid_at", "shipped_at", "ship_by", "delivered_at"]


class Order(models.Model):
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(max_length=128, blank=True, help_text=_("The channel's own order id."))
    number = models.CharField(max_length=40, unique=True, help_text=_("Our order number."))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.AWAITING_PAYMENT, db_index=True
    )
    placed_at = models.DateTimeField(db_index=True)
    # Amounts in whole rupiah.
    subtotal_amount = models.BigIntegerField(default=0)
    shipping_amount = models.BigIntegerField(default=0)
    discount_amount = models.BigIntegerField(default=0)
    marketplace_fee_amount = models.BigIntegerField(default=0)
    total_amount = models.BigIntegerField(default=0)
    payment_method = models.CharField(max_length=32, blank=True)
    payment_due_at = models.DateTimeField(null=True, blank=True)
    ship_by = models.DateTimeField(null=True, blank=True)
    shipping_name = models.CharField(max_length=200, blank=True)
    shipping_phone = models.CharField(max_length=20, blank=True)
    shipping_address = models.TextField(blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_province = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=10, blank=True)
    courier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True, help_text=_("Courier waybill (resi)."))
    source = models.CharField(max_length=20, choices=OrderSource.choices, default=OrderSource.STAFF)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    is_oversold = models.BooleanField(default=False, db_index=True)
    # Unguessable part of the customer's order-status link.
    access_key = models.CharField(max_length=64, default=_new_access_key, editable=False)
    marketplace_status = models.CharField(max_length=40, blank=True)
    marketplace_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~models.Q(external_id=""), name="order_unique_external_id"
            ),
            models.CheckConstraint(condition=models.Q(total_amount__gte=0), name="order_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),
            # dispatch reads (analytics: the home page's headline, the operations report): what shipped
            # since a moment, what was due in a range, and the open orders against their ship-by time
            models.Index(fields=["shipped_at"], name="order_shipped_at"),
            models.Index(fields=["ship_by"], include=["id", "shipped_at", "status"], name="order_ship_by"),
            # the SOP compliance of review invitations: the orders delivered in a range
            models.Index(fields=["delivered_at"], include=["id", "status"], name="order_delivered_at"),
            # the home page's work queues count the open orders by status (and ship-by, payment method):
            # an index-only scan of this small partial index instead of the open orders' heap pages
            models.Index(fields=["status", "ship_by"], include=["id", "payment_method"], name="order_open_queue",
                         condition=models.Q(status__in=["awaiting_payment", "paid", "processing", "packed"])),
            # the operations report filtered by a province or city: an index-only scan of that place's
            # orders with their dispatch times (a province can hold a third of the orders)
            models.Index(fields=["shipping_city", "placed_at"], include=_DISPATCH_COLUMNS, name="order_city_placed"),
            models.Index(fields=["shipping_province", "placed_at"], include=_DISPATCH_COLUMNS,
                         name="order_province_placed"),
            # cancelled orders by id (the payments queue of cancelled orders still holding money)
            models.Index(fields=["id"], name="order_cancelled_id", condition=models.Q(status="cancelled")),
            models.Index(fields=["placed_at"], include=["channel_id", "ship_by"], name="order_unshipped_placed",
                         condition=models.Q(shipped_at__isnull=True, ship_by__isnull=False)
                         & ~models.Q(status="cancelled")),
        ]
        permissions = [
            ("process_order", "Can confirm, pack and ship orders"),
            ("cancel_order", "Can cancel orders"),
            ("export_order", "Can export orders"),
        ]

    def __str__(self) -> str:
        return self.number

    def can_transition_to(self, target: str) -> bool:
        if target not in ALLOWED_TRANSITIONS.get(self.status, set()):
            return False
        guard = TRANSITION_GUARDS.get((self.status, target))
        return guard is None or guard(self)

    @property
    def is_cod(self) -> bool:
        return _is_cod(self)

    def can_cancel(self) -> bool:
        return self.can_transition_to(OrderStatus.CANCELLED)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    sku = models.CharField(max_length=64, help_text=_("SKU as the channel sent it."))
    name = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField()
    unit_price_amount = models.BigIntegerField()
    discount_amount = models.BigIntegerField(default=0)
    external_line_id = models.CharField(max_length=128, blank=True)
    # True while this line holds a stock reservation (reference "order:<id>"); shipping commits it,
    # cancelling releases it. An unmapped or oversold line holds none.
    stock_reserved = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def total_amount(self) -> int:
        return self.unit_price_amount * self.quantity - self.discount_amount


class OrderEvent(models.Model):
    """Append-only history: who did what to an order, when, from which status to which, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=40, blank=True, help_text=_("staff, api, marketplace, gateway, system"))
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a client sent with POST /api/v1/orders/, and the order it produced.

    The key row is inserted first in the creating transaction, so a concurrent request with the
    same key waits for it and then answers with the same order.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    response_status = models.PositiveSmallIntegerField(default=201)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return self.key
