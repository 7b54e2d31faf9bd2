"""Catalog reads about stock: per-warehouse figures and summaries, the quantities pushed to each
channel, warehouse and movement lists, stock push attempts."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from catalog.models import (
    ChannelCatalogSettings,
    ChannelListing,
    ProductVariant,
    StockLevel,
    StockMovement,
    StockPushAttempt,
    Warehouse,
)


@dataclass(frozen=True)
class WarehouseStock:
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class StockSummary:
    variant_id: int
    sku: str
    warehouses: list[WarehouseStock] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        return sum(w.on_hand for w in self.warehouses)

    @property
    def reserved(self) -> int:
        return sum(w.reserved for w in self.warehouses)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def as_dict(self) -> dict:
        return {
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "available": self.available,
            "warehouses": [
                {
                    "warehouse_id": w.warehouse_id,
                    "warehouse": w.warehouse_code,
                    "name": w.warehouse_name,
                    "on_hand": w.on_hand,
                    "reserved": w.reserved,
                    "available": w.available,
                }
                for w in self.warehouses
            ],
        }


def _summary_from_levels(variant: ProductVariant, levels: Iterable[StockLevel]) -> StockSummary:
    return StockSummary(
        variant_id=variant.pk,
        sku=variant.sku,
        warehouses=[
            WarehouseStock(
                warehouse_id=lvl.warehouse_id,
                warehouse_code=lvl.warehouse.code,
                warehouse_name=lvl.warehouse.name,
                on_hand=lvl.on_hand,
                reserved=lvl.reserved,
            )
            for lvl in sorted(levels, key=lambda lvl: (not lvl.warehouse.is_default, lvl.warehouse.name))
        ],
    )


def stock_levels_prefetch() -> Prefetch:
    """Prefetch for variant querysets so variant_stock_summary() costs no extra query."""
    return Prefetch("stock_levels", queryset=StockLevel.objects.select_related("warehouse"))


def variant_stock_summary(*, variant: ProductVariant | None = None, variant_id: int | None = None) -> StockSummary:
    """on_hand / reserved / available per warehouse and in total for one variant.

    Pass a variant fetched with `prefetch_related(stock_levels_prefetch())` to avoid a query.
    """
    if variant is None:
        variant = ProductVariant.objects.prefetch_related(stock_levels_prefetch()).get(pk=variant_id)
    return _summary_from_levels(variant, variant.stock_levels.all())


def variant_stock_summaries(*, variant_ids: Iterable[int]) -> dict[int, StockSummary]:
    variants = ProductVariant.objects.filter(pk__in=set(variant_ids)).prefetch_related(stock_levels_prefetch())
    return {v.pk: _summary_from_levels(v, v.stock_levels.all()) for v in variants}


def variant_available_total(*, variant_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        StockLevel.objects.filter(variant_id__in=set(variant_ids), warehouse__is_active=True)
        .values("variant_id")
        .annotate(available=Sum(F("on_hand") - F("reserved")))
        .order_by()
    )
    return {r["variant_id"]: r["available"] for r in rows}


# --- Channel quantities --------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingQuantity:
    listing_id: int
    variant_id: int
    sku: str
    item_id: str
    model_id: str
    quantity: int


def push_quantity(
    *, available: int, share_percent: Decimal | int = 100, cap: int | None = None, buffer: int = 0
) -> int:
    """Quantity a channel shows: keep the safety buffer back, take the share, apply the cap; never < 0."""
    base = max(int(available) - int(buffer), 0)
    quantity = math.floor(Decimal(base) * Decimal(share_percent) / Decimal(100))
    if cap is not None:
        quantity = min(quantity, int(cap))
    return max(quantity, 0)


def channel_stock_quantities(*, channel_id: int, variant_ids: Iterable[int] | None = None) -> list[ListingQuantity]:
    """The quantity each active listing of the channel should show, with the channel's push rules.

    Available stock is the sum over all active warehouses.
    """
    rule = ChannelCatalogSettings.objects.filter(channel_id=channel_id).first()
    share = rule.stock_share_percent if rule else Decimal(100)
    cap = rule.stock_cap if rule else None
    buffer = rule.safety_buffer if rule else 0
    listings = ChannelListing.objects.filter(channel_id=channel_id, is_active=True).select_related("variant")
    if variant_ids is not None:
        listings = listings.filter(variant_id__in=set(variant_ids))
    listings = list(listings.order_by("variant__sku", "pk"))
    available = variant_available_total(variant_ids={lst.variant_id for lst in listings})
    return [
        ListingQuantity(
            listing_id=lst.pk,
            variant_id=lst.variant_id,
            sku=lst.variant.sku,
            item_id=lst.item_id,
            model_id=lst.model_id,
            quantity=push_quantity(available=available.get(lst.variant_id, 0), share_percent=share, cap=cap,
                                   buffer=buffer),
        )
        for lst in listings
    ]


def warehouse_list(*, active_only: bool = False) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_default", "name")


def stock_movement_list(*, sku: str = "", warehouse_id: int | None = None, kind: str = "",
                        reference: str = "", variant_id: int | None = None) -> QuerySet[StockMovement]:
    qs = StockMovement.objects.select_related("variant", "warehouse", "actor")
    if sku:
        qs = qs.filter(variant__sku__iexact=sku.strip())
    if variant_id:
        qs = qs.filter(variant_id=variant_id)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if kind:
        qs = qs.filter(kind=kind)
    if reference:
        qs = qs.filter(reference=reference)
    return qs.order_by("-created_at", "-id")


def warehouse_stock_list(*, warehouse_id: int, search: str = "") -> QuerySet[StockLevel]:
    qs = StockLevel.objects.filter(warehouse_id=warehouse_id).select_related("variant__product")
    if search:
        qs = qs.filter(Q(variant__sku__icontains=search) | Q(variant__product__name__icontains=search))
    return qs.order_by("variant__sku")


def stock_push_attempt_list(*, channel_id: int | None = None, failed_only: bool = False) -> QuerySet[StockPushAttempt]:
    qs = StockPushAttempt.objects.select_related("channel")
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if failed_only:
        qs = qs.filter(ok=False)
    return qs.order_by("-attempted_at", "-id")


def stock_push_failed_count(*, days: int = 7) -> int:
    """Push attempts in the last days that failed and will not be retried."""
    since = timezone.now() - timedelta(days=days)
    return StockPushAttempt.objects.filter(ok=False, will_retry=False, attempted_at__gte=since).count()
