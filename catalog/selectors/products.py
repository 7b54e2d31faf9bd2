"""Catalog reads about products and variants: which variant an order line names, what is for sale
on a channel at which price, product and variant lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import (
    ChannelListing,
    CompetitorPrice,
    Product,
    ProductPhoto,
    ProductVariant,
    StockLevel,
)
from catalog.selectors.restock import low_stock_variants
from catalog.selectors.stock import stock_levels_prefetch

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
