"""Catalog reads: variant lookup for incoming orders, stock figures, channel quantities, lists."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import (
    ChannelCatalogSettings,
    ChannelListing,
    CompetitorPrice,
    Product,
    ProductPhoto,
    ProductVariant,
    StockLevel,
    StockMovement,
    StockPushAttempt,
    Warehouse,
)
from catalog.pricing import Margin, PricePosition, margin_calculate, price_position, price_suggest

# --- Orders: which variant is this line? ---------------------------------------------------------


def variant_resolve(*, channel_id: int, sku: str, item_id: str = "", model_id: str = "") -> ProductVariant | None:
    """The variant an order line means: by SKU first, then by the channel listing's marketplace ids.

    The SKU match ignores surrounding spaces and letter case. With marketplace ids, item and model
    must both match; an item id alone matches only a listing without a model id, or the only
    listing of that item on the channel.
    """
    sku = (sku or "").strip()
    if sku:
        variants = ProductVariant.objects.select_related("product")
        variant = variants.filter(sku=sku).first() or variants.filter(sku__iexact=sku).first()
        if variant is not None:
            return variant
    item_id, model_id = (item_id or "").strip(), (model_id or "").strip()
    if not item_id:
        return None
    listings = ChannelListing.objects.select_related("variant__product").filter(channel_id=channel_id, item_id=item_id)
    if model_id:
        listing = listings.filter(model_id=model_id).first()
        return listing.variant if listing else None
    candidates = list(listings[:2])
    exact = [lst for lst in candidates if not lst.model_id]
    if exact:
        return exact[0].variant
    if len(candidates) == 1:
        return candidates[0].variant
    return None


# --- Stock figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantForSale:
    """What an order line needs to know about a variant: names, flags, prices, whether it is listed."""

    id: int
    sku: str
    name: str
    product_name: str
    is_active: bool
    product_is_active: bool
    price_amount: int
    listing_price_amount: int | None  # the channel's own active listing price, if it sets one
    listed: bool  # an active listing on some active channel: its stock is pushed when it changes

    @property
    def for_sale(self) -> bool:
        return self.is_active and self.product_is_active

    @property
    def full_name(self) -> str:
        return f"{self.product_name} {self.name}".strip()


def _variants_for_sale_sql(id_count: int, sku_count: int) -> str:
    from channels.models import Channel

    variant, product = ProductVariant._meta.db_table, Product._meta.db_table
    listing, channel = ChannelListing._meta.db_table, Channel._meta.db_table
    matches = []
    if id_count:
        matches.append(f"v.id IN ({', '.join(['%s'] * id_count)})")
    if sku_count:
        matches.append(f"v.sku IN ({', '.join(['%s'] * sku_count)})")
    return (
        f"SELECT v.id, v.sku, v.name, p.name, v.is_active, p.is_active, v.price_amount, "  # noqa: S608
        f"(SELECT l.price_amount FROM {listing} l WHERE l.variant_id = v.id AND l.channel_id = %s "
        f"AND l.is_active AND l.price_amount IS NOT NULL), "
        f"EXISTS (SELECT 1 FROM {listing} l JOIN {channel} c ON c.id = l.channel_id "
        f"WHERE l.variant_id = v.id AND l.is_active AND c.is_active) "
        f"FROM {variant} v JOIN {product} p ON p.id = v.product_id WHERE {' OR '.join(matches)}"
    )


def variants_for_sale(*, channel_id: int, ids: Iterable[int] = (), skus: Iterable[str] = ()) -> list[VariantForSale]:
    """The variants with these ids or SKUs, with this channel's listing price, in one statement.

    Order creation calls this on every order, so it is written as one plain statement (a listing
    is unique per channel and variant, so the price subquery has at most one row): building it
    with the ORM cost several times the database's own time.
    """
    from django.db import connection

    ids, skus = sorted(set(ids)), sorted(set(skus))
    if not ids and not skus:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_variants_for_sale_sql(len(ids), len(skus)), [channel_id, *ids, *skus])
        rows = cursor.fetchall()
    return [
        VariantForSale(
            id=row[0], sku=row[1], name=row[2], product_name=row[3], is_active=bool(row[4]),
            product_is_active=bool(row[5]), price_amount=row[6], listing_price_amount=row[7], listed=bool(row[8]),
        )
        for row in rows
    ]


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


# --- Lists for the dashboard and API ------------------------------------------------------------


def product_list(*, search: str = "", category: str = "", brand: str = "", status: str = "",
                 stock: str = "") -> QuerySet[Product]:
    """Products with their variant count, price range and stock totals, filtered."""
    stock_totals = (
        StockLevel.objects.filter(variant__product=OuterRef("pk"))
        .order_by()
        .values("variant__product")
    )
    qs = Product.objects.annotate(
        variant_count=Count("variants", distinct=True),
        min_price_amount=Min("variants__price_amount"),
        on_hand_total=Coalesce(
            Subquery(stock_totals.annotate(t=Sum("on_hand")).values("t"), output_field=IntegerField()), Value(0)
        ),
        available_total=Coalesce(
            Subquery(
                stock_totals.annotate(t=Sum(F("on_hand") - F("reserved"))).values("t"), output_field=IntegerField()
            ),
            Value(0),
        ),
        cover_photo=Subquery(
            ProductPhoto.objects.filter(product=OuterRef("pk")).order_by("position", "id").values("thumbnail")[:1]
        ),
    )
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(variants__sku__icontains=search)
            | Q(variants__barcode=search)
            | Q(brand__icontains=search)
        ).distinct()
    if category:
        qs = qs.filter(category=category)
    if brand:
        qs = qs.filter(brand=brand)
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "archived":
        qs = qs.filter(is_active=False)
    if stock == "out":
        qs = qs.filter(available_total__lte=0)
    elif stock == "low":
        qs = qs.filter(pk__in=low_stock_variants().values("product_id"))
    return qs.order_by("name", "pk")


def product_categories() -> list[str]:
    return list(Product.objects.exclude(category="").order_by("category").values_list("category", flat=True).distinct())


def product_brands() -> list[str]:
    return list(Product.objects.exclude(brand="").order_by("brand").values_list("brand", flat=True).distinct())


def product_detail(*, product_id: int) -> Product:
    return (
        Product.objects.prefetch_related(
            Prefetch(
                "variants",
                queryset=ProductVariant.objects.order_by("sku").prefetch_related(
                    stock_levels_prefetch(),
                    Prefetch("listings", queryset=ChannelListing.objects.select_related("channel")),
                ),
            ),
            Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id")),
            Prefetch("competitor_prices", queryset=CompetitorPrice.objects.select_related("variant")),
        ).get(pk=product_id)
    )


def variant_list(*, sku: str = "", search: str = "", product_id: int | None = None) -> QuerySet[ProductVariant]:
    qs = ProductVariant.objects.select_related("product").prefetch_related(stock_levels_prefetch())
    if sku:
        qs = qs.filter(sku__iexact=sku.strip())
    if search:
        qs = qs.filter(Q(sku__icontains=search) | Q(product__name__icontains=search) | Q(barcode=search))
    if product_id:
        qs = qs.filter(product_id=product_id)
    return qs.order_by("sku")


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


def stock_push_failed_count(*, days: int = 7) -> int:
    """Push attempts in the last days that failed and will not be retried."""
    since = timezone.now() - timedelta(days=days)
    return StockPushAttempt.objects.filter(ok=False, will_retry=False, attempted_at__gte=since).count()
