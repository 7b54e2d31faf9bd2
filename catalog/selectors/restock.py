"""Catalog reads for restocking: low stock, sales velocity and the restock plan."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import (
    ProductVariant,
    StockLevel,
    StockMovement,
)

# --- Low stock and restock ----------------------------------------------------------------------


def low_stock_variants() -> QuerySet[ProductVariant]:
    """Active variants with a threshold whose total available is at or under it."""
    available = (
        StockLevel.objects.filter(variant=OuterRef("pk"), warehouse__is_active=True)
        .order_by()
        .values("variant")
        .annotate(t=Sum(F("on_hand") - F("reserved")))
        .values("t")
    )
    return (
        ProductVariant.objects.filter(is_active=True, product__is_active=True, low_stock_threshold__gt=0)
        .annotate(available_total=Coalesce(Subquery(available, output_field=IntegerField()), Value(0)))
        .filter(available_total__lte=F("low_stock_threshold"))
    )


def low_stock_count() -> int:
    return low_stock_variants().count()


VELOCITY_DAYS = 28


@dataclass(frozen=True)
class RestockLine:
    variant_id: int
    product_id: int
    sku: str
    name: str
    available: int
    on_hand: int
    low_stock_threshold: int
    sold_last_28_days: int
    average_daily_sales: Decimal
    days_of_cover: Decimal | None
    suggested_quantity: int
    cost_amount: int

    @property
    def reorder_cost_amount(self) -> int:
        return self.suggested_quantity * self.cost_amount


def sales_by_variant(*, since, variant_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Units sold per variant since a moment, from the ledger.

    A sale is counted once, when it is reserved: RESERVE units minus RELEASE units (cancelled
    orders) in the window, so orders shipped later are not counted twice.
    """
    qs = StockMovement.objects.filter(created_at__gte=since, kind__in=(StockMovement.Kind.RESERVE,
                                                                        StockMovement.Kind.RELEASE))
    if variant_ids is not None:
        qs = qs.filter(variant_id__in=set(variant_ids))
    rows = qs.values("variant_id").annotate(net=Sum("reserved_change")).order_by()
    return {r["variant_id"]: max(r["net"] or 0, 0) for r in rows}


def restock_list(*, lead_time_days: int = 14, safety_days: int = 7, cover_days: int = 30,
                 now=None, include_all: bool = False) -> list[RestockLine]:
    """What to reorder: 28-day sales velocity, days of cover left and a suggested quantity.

    average daily sales = units sold in the last 28 days / 28
    days of cover       = available / average daily sales
    reorder point       = average daily sales x (lead time + safety days)
    suggested quantity  = ceil(average daily sales x (lead time + safety days + cover days)) - available

    Listed: variants at or under their low-stock threshold, or at or under the reorder point with
    sales in the window (all active variants with `include_all`). A variant under its threshold
    with no sales in the window is suggested 2 x threshold - available.
    """
    now = now or timezone.now()
    sold = sales_by_variant(since=now - timedelta(days=VELOCITY_DAYS))
    variants = ProductVariant.objects.filter(is_active=True, product__is_active=True).select_related("product")
    totals = defaultdict(lambda: [0, 0])
    for variant_id, on_hand, reserved in StockLevel.objects.filter(warehouse__is_active=True).values_list(
        "variant_id", "on_hand", "reserved"
    ):
        totals[variant_id][0] += on_hand
        totals[variant_id][1] += reserved
    lines = []
    for variant in variants.order_by("sku"):
        on_hand, reserved = totals[variant.pk]
        available = on_hand - reserved
        units = sold.get(variant.pk, 0)
        daily = (Decimal(units) / Decimal(VELOCITY_DAYS)).quantize(Decimal("0.01"))
        exact_daily = Decimal(units) / Decimal(VELOCITY_DAYS)
        cover = (Decimal(available) / exact_daily).quantize(Decimal("0.1")) if units else None
        horizon = lead_time_days + safety_days + cover_days
        suggested = max(math.ceil(exact_daily * horizon) - available, 0) if units else 0
        below_threshold = variant.low_stock_threshold > 0 and available <= variant.low_stock_threshold
        if below_threshold and suggested == 0:
            suggested = max(variant.low_stock_threshold * 2 - available, 0)
        at_reorder_point = units > 0 and Decimal(available) <= exact_daily * (lead_time_days + safety_days)
        if not (include_all or below_threshold or at_reorder_point):
            continue
        lines.append(
            RestockLine(
                variant_id=variant.pk, product_id=variant.product_id, sku=variant.sku,
                name=f"{variant.product.name} {variant.name}".strip(), available=available, on_hand=on_hand,
                low_stock_threshold=variant.low_stock_threshold, sold_last_28_days=units,
                average_daily_sales=daily, days_of_cover=cover, suggested_quantity=suggested,
                cost_amount=variant.cost_amount,
            )
        )
    lines.sort(key=lambda line: (line.days_of_cover is None, line.days_of_cover or 0, line.sku))
    return lines
