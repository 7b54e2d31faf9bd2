"""Catalog reads about prices: channel margins against the target, competitor prices and where a
product's price stands among them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from catalog.models import (
    ChannelCatalogSettings,
    ChannelListing,
    CompetitorPrice,
    Product,
    ProductVariant,
)
from catalog.pricing import Margin, PricePosition, margin_calculate, price_position, price_suggest

# --- Margins and market position -----------------------------------------------------------------


def channel_settings_map(*, channel_ids: Iterable[int] | None = None) -> dict[int, ChannelCatalogSettings]:
    qs = ChannelCatalogSettings.objects.all()
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=set(channel_ids))
    return {s.channel_id: s for s in qs}


DEFAULT_TARGET_MARGIN = Decimal(20)


@dataclass(frozen=True)
class ChannelMargin:
    channel_id: int | None
    channel_name: str
    listing: ChannelListing | None
    price_amount: int
    uses_base_price: bool
    margin: Margin
    suggested_price_amount: int | None


def variant_channel_margins(*, variant: ProductVariant, settings_map: dict | None = None) -> list[ChannelMargin]:
    """Margin of a variant at its base price and on each channel it is listed on (listings prefetched)."""
    settings_map = settings_map if settings_map is not None else channel_settings_map()
    rows = [
        ChannelMargin(
            channel_id=None, channel_name="", listing=None, price_amount=variant.price_amount, uses_base_price=True,
            margin=margin_calculate(price_amount=variant.price_amount, cost_amount=variant.cost_amount,
                                    target_margin_percent=DEFAULT_TARGET_MARGIN),
            suggested_price_amount=price_suggest(cost_amount=variant.cost_amount,
                                                 target_margin_percent=DEFAULT_TARGET_MARGIN),
        )
    ]
    for listing in sorted(variant.listings.all(), key=lambda lst: lst.channel.name):
        channel = listing.channel
        rule = settings_map.get(channel.pk)
        packaging = rule.packaging_cost_amount if rule else 0
        target = rule.target_margin_percent if rule else DEFAULT_TARGET_MARGIN
        price = variant.price_amount if listing.price_amount is None else listing.price_amount
        rows.append(
            ChannelMargin(
                channel_id=channel.pk, channel_name=channel.name, listing=listing, price_amount=price,
                uses_base_price=listing.price_amount is None,
                margin=margin_calculate(
                    price_amount=price, cost_amount=variant.cost_amount,
                    commission_percent=channel.commission_percent, fixed_fee_amount=channel.fixed_fee_amount,
                    packaging_cost_amount=packaging, target_margin_percent=target,
                ),
                suggested_price_amount=price_suggest(
                    cost_amount=variant.cost_amount, target_margin_percent=target,
                    commission_percent=channel.commission_percent, fixed_fee_amount=channel.fixed_fee_amount,
                    packaging_cost_amount=packaging,
                ),
            )
        )
    return rows


def low_margin_listing_count() -> int:
    """Active listings whose margin is under their channel's target (computed in Python, small lists)."""
    settings_map = channel_settings_map()
    count = 0
    for listing in ChannelListing.objects.filter(is_active=True).select_related("variant", "channel"):
        rule = settings_map.get(listing.channel_id)
        m = margin_calculate(
            price_amount=listing.effective_price_amount, cost_amount=listing.variant.cost_amount,
            commission_percent=listing.channel.commission_percent, fixed_fee_amount=listing.channel.fixed_fee_amount,
            packaging_cost_amount=rule.packaging_cost_amount if rule else 0,
            target_margin_percent=rule.target_margin_percent if rule else DEFAULT_TARGET_MARGIN,
        )
        count += m.below_target
    return count


def competitor_latest(*, product: Product) -> list[CompetitorPrice]:
    """The latest record per (competitor, platform, variant) for a product (competitor_prices prefetched)."""
    seen: dict[tuple, CompetitorPrice] = {}
    for record in sorted(product.competitor_prices.all(), key=lambda r: (r.observed_on, r.pk), reverse=True):
        seen.setdefault((record.competitor.lower(), record.platform, record.variant_id), record)
    return sorted(seen.values(), key=lambda r: r.price_amount)


def product_price_position(*, product: Product, within_percent: Decimal | int = 5) -> PricePosition:
    """Our lowest base price against the latest competitor prices (variants and competitors prefetched)."""
    prices = [v.price_amount for v in product.variants.all() if v.is_active and v.price_amount > 0]
    our = min(prices) if prices else 0
    return price_position(our_price_amount=our,
                          competitor_amounts=[r.price_amount for r in competitor_latest(product=product)],
                          within_percent=within_percent)


def competitor_price_list(*, search: str = "", platform: str = "") -> QuerySet[CompetitorPrice]:
    qs = CompetitorPrice.objects.select_related("product", "variant", "created_by").prefetch_related(
        Prefetch("product__variants", queryset=ProductVariant.objects.only("id", "product_id", "price_amount",
                                                                          "is_active"))
    )
    if search:
        qs = qs.filter(Q(product__name__icontains=search) | Q(competitor__icontains=search))
    if platform:
        qs = qs.filter(platform=platform)
    return qs.order_by("-observed_on", "-id")
