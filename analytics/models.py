"""Analytics: facts derived from the orders, daily rollups over them, and the seller's own inputs.

Derived tables (facts and rollups) are never edited by hand: `analytics.rollups` rebuilds them
from the source rows for the (day, channel) keys marked dirty, so they always equal a
from-scratch recomputation. Days are calendar days in Asia/Jakarta.

Inputs the seller enters or imports: channel visits, marketing spend, the change log.
Nightly outputs: customer scores (RFM, CLTV, churn risk) and retention cohorts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Access(models.Model):
    """Holder for the report permissions (money reports and operations reports)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_sales_reports", "Can see sales, profit, customer and acquisition reports (money)"),
            ("view_operations_reports", "Can see operations and inventory reports"),
            ("manage_report_inputs", "Can enter visits, marketing spend and the change log"),
        ]

    def __str__(self) -> str:
        return "analytics access"


class DirtyKey(models.Model):
    """A (day, channel) whose facts and rollups must be recomputed from the source rows."""

    day = models.DateField()
    channel_id = models.BigIntegerField()
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "channel_id"], name="analytics_dirty_key_unique")]

    def __str__(self) -> str:
        return f"{self.day} channel {self.channel_id}"


class Measures(models.Model):
    """Additive measures shared by the facts and every rollup (Sum() over any of them is exact).

    gross = Σ unit price × quantity; discount = line and order discounts; refund = refunds of a
    kept order (overpayments excluded); fee = marketplace fees; net = gross - discount - refund - fee;
    margin = net - cogs (cost at the time of sale) - packing - seller-paid shipping.
    A cancelled order counts only in `cancelled_orders`.
    """

    orders = models.IntegerField(default=0)
    cancelled_orders = models.IntegerField(default=0)
    units = models.BigIntegerField(default=0)
    gross_amount = models.BigIntegerField(default=0)
    discount_amount = models.BigIntegerField(default=0)
    refund_amount = models.BigIntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)
    net_amount = models.BigIntegerField(default=0)
    shipping_charged_amount = models.BigIntegerField(default=0)
    shipping_cost_amount = models.BigIntegerField(default=0)
    packing_amount = models.BigIntegerField(default=0)
    cogs_amount = models.BigIntegerField(default=0)
    margin_amount = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CustomerMeasures(models.Model):
    new_customers = models.IntegerField(default=0)
    returning_orders = models.IntegerField(default=0)
    loss_orders = models.IntegerField(default=0)

    class Meta:
        abstract = True


class OrderFact(Measures, CustomerMeasures):
    """One row per order: its amounts, cost and margin, and the dimensions reports filter on."""

    order = models.OneToOneField("orders.Order", primary_key=True, on_delete=models.CASCADE, related_name="+",
                                 db_constraint=False)
    day = models.DateField()
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)
    customer_id = models.BigIntegerField(null=True)
    province = models.CharField(max_length=100)
    city = models.CharField(max_length=100)
    status = models.CharField(max_length=20)
    placed_at = models.DateTimeField()
    # For a kept order with a customer: the day of the customer's previous kept order (any channel,
    # and on this order's channel) and of the next one, in (placed_at, order id) order. A customer
    # ordered in [s, e] exactly once with an order of the range whose previous day is before s.
    prev_day = models.DateField(null=True)
    prev_channel_day = models.DateField(null=True)
    next_day = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["day", "channel_id"], name="orderfact_day_channel"),
            # the customers report's active and repeat customers on the edge days of a range
            models.Index(fields=["day"], include=["channel_id", "prev_day", "prev_channel_day", "next_day",
                                                  "new_customers"],
                         condition=models.Q(orders=1, customer_id__isnull=False), name="orderfact_activity"),
            models.Index(fields=["customer_id", "placed_at"], name="orderfact_customer"),
            # the customers report's repeat-purchase rate: an index-only scan of a range's customers
            models.Index(fields=["day", "customer_id"], include=["orders", "new_customers"],
                         name="orderfact_day_customer"),
            # the customers report's active and repeat customers with a warehouse filter: an index-only
            # scan (30 days of one warehouse on the 1M data set: 10 ms instead of 138 ms and 36,000
            # heap pages through orderfact_activity)
            models.Index(fields=["warehouse_id", "day"],
                         include=["customer_id", "channel_id", "new_customers", "next_day"],
                         condition=models.Q(orders=1, customer_id__isnull=False), name="orderfact_warehouse_activity"),
            # the same with a province filter (30 days of Jawa Barat: a bitmap heap scan of 6,000 pages,
            # 44 ms per period, through orderfact_province_day)
            models.Index(fields=["province", "day"],
                         include=["customer_id", "channel_id", "new_customers", "next_day"],
                         condition=models.Q(orders=1, customer_id__isnull=False), name="orderfact_province_activity"),
            models.Index(fields=["province", "day"], name="orderfact_province_day"),
            models.Index(fields=["city", "day"], name="orderfact_city_day"),
            models.Index(fields=["day"], name="orderfact_loss_day", condition=models.Q(margin_amount__lt=0, orders=1)),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} on {self.day}"


class LineFact(Measures):
    """One row per order line; order-level amounts (discount, fee, refund, packing, shipping) are
    allocated to the lines in proportion to their value, so the lines of an order sum to its fact."""

    line = models.OneToOneField("orders.OrderLine", primary_key=True, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    order_id = models.BigIntegerField()
    day = models.DateField()
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)
    province = models.CharField(max_length=100)
    city = models.CharField(max_length=100)
    variant_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)
    sku = models.CharField(max_length=64)
    unit_cost_amount = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day", "channel_id"], name="linefact_day_channel"),
            models.Index(fields=["product_id", "day"], name="linefact_product_day"),
            models.Index(fields=["order_id"], name="linefact_order"),
        ]

    def __str__(self) -> str:
        return f"line {self.line_id} on {self.day}"


class SalesDaily(Measures, CustomerMeasures):
    """Orders per Jakarta day, channel and fulfilling warehouse (the small table most reports read)."""

    day = models.DateField()
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["day", "channel_id"], name="salesdaily_day_channel")]

    def __str__(self) -> str:
        return f"{self.day} channel {self.channel_id}"


class GeoDaily(Measures, CustomerMeasures):
    """Orders per day, channel, province and city (reach, and the province/city filters)."""

    day = models.DateField()
    channel_id = models.BigIntegerField()
    province = models.CharField(max_length=100)
    city = models.CharField(max_length=100)

    class Meta:
        indexes = [
            models.Index(fields=["day", "channel_id"], name="geodaily_day_channel"),
            models.Index(fields=["province", "day"], name="geodaily_province_day"),
            models.Index(fields=["city", "day"], name="geodaily_city_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.city}, {self.province}"


class ProductDaily(Measures):
    """Order lines per day, channel, warehouse and variant; `orders` = orders containing the variant."""

    day = models.DateField()
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)
    variant_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["day", "channel_id"], name="productdaily_day_channel"),
            models.Index(fields=["product_id", "day"], name="productdaily_product_day"),
            models.Index(fields=["variant_id", "day"], name="productdaily_variant_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} variant {self.variant_id}"


class ProductMonthly(Measures):
    """`ProductDaily` summed per calendar month, channel, warehouse and product (no variant).

    About 1/20 of ProductDaily's rows: the reports read a range's whole months here and only its
    edge days from ProductDaily (`analytics.reports.base.line_sums`). `orders` is, as in the daily
    rollup, the sum over the product's variants of the orders containing each.
    """

    month = models.DateField(help_text=_("First day of the month."))
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["month", "channel_id"], name="productmonthly_month_channel"),
            models.Index(fields=["product_id", "month"], name="productmonthly_product_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} product {self.product_id}"


class VariantMonthly(models.Model):
    """`ProductDaily`'s units and cost of goods per calendar month, channel, warehouse and variant:
    the inventory report's sales per variant over a range's whole months."""

    month = models.DateField(help_text=_("First day of the month."))
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)
    variant_id = models.BigIntegerField(null=True)
    units = models.BigIntegerField(default=0)
    cogs_amount = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month", "channel_id"], name="variantmonthly_month_channel")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} variant {self.variant_id}"


class GeoMonthly(Measures, CustomerMeasures):
    """`GeoDaily` summed per calendar month, channel, province and city (whole months of a range)."""

    month = models.DateField(help_text=_("First day of the month."))
    channel_id = models.BigIntegerField()
    province = models.CharField(max_length=100)
    city = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["month", "channel_id"], name="geomonthly_month_channel")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.city}, {self.province}"


class CategoryMeasures(models.Model):
    """Kept / cancelled orders containing a product of the category, each order counted once
    (an order lies on one day, channel and warehouse, so these add up over any of them)."""

    category_orders = models.IntegerField(default=0)
    category_cancelled_orders = models.IntegerField(default=0)

    class Meta:
        abstract = True


class ProductCategory(models.Model):
    """The product categories the category rollups were computed with (products with a category).

    `rollup_refresh` compares it with the catalog and recomputes the rollup rows of every category
    that gained or lost a product, so the rollups follow a product moved to another category.
    """

    product_id = models.BigIntegerField(primary_key=True)
    category = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"product {self.product_id}: {self.category}"


class CategoryDaily(Measures, CategoryMeasures):
    """Order lines per day, channel, warehouse and product category: the reports' category filter
    (`orders` as in ProductDaily, summed over the category's variants; `category_orders` the
    distinct orders, instead of counting them over the line facts for every period)."""

    day = models.DateField()
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)
    category = models.CharField(max_length=120)

    class Meta:
        indexes = [
            models.Index(fields=["day", "channel_id"], name="categorydaily_day_channel"),
            models.Index(fields=["category", "day"], name="categorydaily_category_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category}"


class CategoryMonthly(Measures, CategoryMeasures):
    """`CategoryDaily` summed per calendar month, channel, warehouse and category."""

    month = models.DateField(help_text=_("First day of the month."))
    channel_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField(null=True)
    category = models.CharField(max_length=120)

    class Meta:
        indexes = [
            models.Index(fields=["month", "channel_id"], name="categorymonthly_month_channel"),
            models.Index(fields=["category", "month"], name="categorymonthly_category_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.category}"


class ActivityMonthly(models.Model):
    """Kept orders with a customer per month and channel, counted by a day they refer to: the
    active and repeat customers of a range's whole months (analytics.reports.customers).

    kind PREV: by `OrderFact.prev_day`; PREV_CHANNEL: by `prev_channel_day`; NEXT_OF_FIRST: a
    customer's first order, by `next_day`. NULL `ref_day`: no such order.
    """

    PREV, PREV_CHANNEL, NEXT_OF_FIRST = 1, 2, 3

    month = models.DateField(help_text=_("First day of the month."))
    channel_id = models.BigIntegerField()
    kind = models.PositiveSmallIntegerField()
    ref_day = models.DateField(null=True)
    orders = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "channel_id"], name="activitymonthly_month_channel"),
            # the report's sums: an index-only scan of one kind's months
            models.Index(fields=["kind", "month", "channel_id"], include=["ref_day", "orders"],
                         name="activitymonthly_kind_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} channel {self.channel_id} kind {self.kind}: {self.orders}"


class CustomerFact(models.Model):
    """One row per customer who ever ordered: the inputs of RFM, CLTV, cohorts and churn risk."""

    customer = models.OneToOneField("orders.Customer", primary_key=True, on_delete=models.CASCADE,
                                    related_name="+", db_constraint=False)
    first_order_id = models.BigIntegerField(null=True)
    first_placed_at = models.DateTimeField(null=True)
    first_channel_id = models.BigIntegerField(null=True)
    last_placed_at = models.DateTimeField(null=True)
    orders = models.IntegerField(default=0)
    channels = models.IntegerField(default=0)
    net_amount = models.BigIntegerField(default=0)
    margin_amount = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["first_placed_at"], name="customerfact_first")]

    def __str__(self) -> str:
        return f"customer {self.customer_id}"


class CustomerScore(models.Model):
    """The nightly customer model: RFM quintiles and segment, BG/NBD + Gamma-Gamma CLTV, churn risk."""

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", _("Champions")
        LOYAL = "loyal", _("Loyal")
        POTENTIAL = "potential_loyalist", _("Potential loyalists")
        NEW = "new", _("New customers")
        PROMISING = "promising", _("Promising")
        NEED_ATTENTION = "need_attention", _("Need attention")
        ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
        AT_RISK = "at_risk", _("At risk")
        CANNOT_LOSE = "cannot_lose", _("Can't lose them")
        HIBERNATING = "hibernating", _("Hibernating")

    customer = models.OneToOneField("orders.Customer", primary_key=True, on_delete=models.CASCADE,
                                    related_name="+", db_constraint=False)
    computed_at = models.DateTimeField()
    recency_days = models.IntegerField()
    frequency = models.IntegerField(help_text=_("Repeat purchases (orders after the first)."))
    monetary_amount = models.BigIntegerField(help_text=_("Average net value of the orders."))
    r_score = models.PositiveSmallIntegerField()
    f_score = models.PositiveSmallIntegerField()
    m_score = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=20, choices=Segment.choices, db_index=True)
    historical_value_amount = models.BigIntegerField(default=0)
    predicted_purchases = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    predicted_value_amount = models.BigIntegerField(default=0)
    probability_alive = models.DecimalField(max_digits=6, decimal_places=4, default=0)
    expected_interval_days = models.IntegerField(null=True)
    overdue_days = models.IntegerField(null=True)
    churn_risk = models.BooleanField(default=False, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["-predicted_value_amount"], name="score_predicted_value")]

    def __str__(self) -> str:
        return f"customer {self.customer_id}: {self.segment}"


class CustomerSegmentSummary(models.Model):
    """Per RFM segment (and one overall row, `segment` empty): customers, values and summed probability alive.

    Written by the nightly customer model with the scores, so the customers report reads a dozen rows
    instead of aggregating every CustomerScore (about 50 ms per page on 164,354 scores).
    """

    segment = models.CharField(max_length=20, unique=True, blank=True,
                               help_text=_("Empty for the row over all customers."))
    customers = models.IntegerField()
    historical_value_amount = models.BigIntegerField()
    predicted_value_amount = models.BigIntegerField()
    probability_alive_sum = models.DecimalField(max_digits=16, decimal_places=4,
                                                help_text=_("Divide by customers for the mean."))

    def __str__(self) -> str:
        return f"{self.segment or 'all'}: {self.customers}"


class ModelFit(models.Model):
    """One nightly fit of the customer model, with its parameters and how long it took."""

    fitted_at = models.DateTimeField(auto_now_add=True)
    customers = models.IntegerField()
    seconds = models.FloatField()
    parameters = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-fitted_at"]

    def __str__(self) -> str:
        return f"fit of {self.fitted_at:%Y-%m-%d %H:%M}"


class CohortCell(models.Model):
    """Customers of a first-order month (optionally per first channel) who ordered again in a later month."""

    cohort_month = models.DateField()
    first_channel_id = models.BigIntegerField(null=True)
    month_index = models.PositiveSmallIntegerField()
    customers = models.IntegerField()
    orders = models.IntegerField()
    net_amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort_month", "first_channel_id", "month_index"],
                                    name="cohort_cell_unique", nulls_distinct=False)
        ]

    def __str__(self) -> str:
        return f"{self.cohort_month} +{self.month_index}"


class ChannelVisits(models.Model):
    """Visitors of a channel on a day, typed in or imported from the marketplace's seller centre."""

    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+", help_text=_("Empty for the whole shop."))
    visits = models.PositiveIntegerField()
    source = models.CharField(max_length=20, default="manual")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "day", "product"], name="visits_unique",
                                    nulls_distinct=False)
        ]
        verbose_name_plural = "channel visits"

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day}: {self.visits}"


class MarketingSpend(models.Model):
    """What was spent on marketing for a channel in a month (ads, affiliates, vouchers paid by the shop)."""

    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text=_("First day of the month."))
    amount = models.BigIntegerField()
    note = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "month"], name="spend_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="spend_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.month}: {self.amount}"


class ChangeLogEntry(models.Model):
    """A change the seller made (price, photo, promotion, new channel), to compare before and after."""

    class Kind(models.TextChoices):
        PRICE = "price", _("Price")
        PHOTO = "photo", pgettext_lazy("change kind", "Photo or description")
        PROMOTION = "promotion", _("Promotion")
        CHANNEL = "channel", _("New channel")
        OTHER = "other", pgettext_lazy("change kind", "Other")

    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    channel = models.ForeignKey("channels.Channel", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    window_days = models.PositiveSmallIntegerField(default=14)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name_plural = "change log entries"

    def __str__(self) -> str:
        return self.title


class DispatchDaily(models.Model):
    """Dispatch of the kept orders placed per Jakarta day and channel (analytics.services.dispatch).

    `due_shipped` / `on_time` count the shipped orders that had a ship-by time / left by it; the
    orders not shipped yet are read live (whether one is due depends on the clock, not on a change).
    """

    day = models.DateField()
    channel_id = models.BigIntegerField()
    orders = models.IntegerField(default=0)
    shipped = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    due_shipped = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    # paid -> shipped: how many orders have both times, and the sum of their hours (the mean)
    paid_shipped = models.IntegerField(default=0)
    paid_shipped_hours = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "channel_id"], name="dispatchdaily_day_channel")]

    def __str__(self) -> str:
        return f"{self.day} channel {self.channel_id}"


class DispatchHours(models.Model):
    """Histogram of the paid -> shipped time per day and channel: orders per bucket of hours.

    Bucket b covers [lower, upper) hours (analytics.services.dispatch.BUCKETS); the median is read
    from the summed histogram by linear interpolation inside its bucket.
    """

    day = models.DateField()
    channel_id = models.BigIntegerField()
    bucket = models.SmallIntegerField()
    orders = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "channel_id", "bucket"], include=["orders"],
                                name="dispatchhours_day_channel")]

    def __str__(self) -> str:
        return f"{self.day} channel {self.channel_id} bucket {self.bucket}"


class DispatchHoursMonthly(models.Model):
    """DispatchHours summed per calendar month and channel: long ranges read whole months from here
    and only their partial edge months from the daily histogram."""

    month = models.DateField()  # the first day of the month
    channel_id = models.BigIntegerField()
    bucket = models.SmallIntegerField()
    orders = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month", "channel_id", "bucket"], include=["orders"],
                                name="dispatchhours_month_channel")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} channel {self.channel_id} bucket {self.bucket}"

