"""Products, variants, prices and costs, channel listings, photos and competitor prices."""

from __future__ import annotations

import io
import os
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.models import (
    ChannelCatalogSettings,
    ChannelListing,
    CompetitorPrice,
    Product,
    ProductPhoto,
    ProductVariant,
    VariantCostHistory,
)
from catalog.services.push import stock_push_schedule
from core.errors import NotFound
from core.images import ImageRefused, reencode_image

PRODUCT_FIELDS = (
    "name", "description", "category", "brand", "video_url", "weight_grams", "length_cm", "width_cm", "height_cm",
)
VARIANT_FIELDS = ("sku", "name", "attributes", "barcode", "low_stock_threshold", "is_active")


def _get(model, pk):
    try:
        return model.objects.get(pk=pk)
    except model.DoesNotExist:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": model._meta.verbose_name, "id": pk}) from None


def _amount(value, field: str) -> int:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole rupiah amount.")}) from None
    if amount < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})
    return amount


# --- Products and variants ----------------------------------------------------------------------


def product_create(*, name: str, actor=None, **fields) -> Product:
    product = Product(name=name, **{k: v for k, v in fields.items() if k in PRODUCT_FIELDS})
    product.full_clean()
    product.save()
    return product


def product_update(*, product_id: int, actor=None, **fields) -> Product:
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product_id)
        changed = [k for k in PRODUCT_FIELDS if k in fields and getattr(product, k) != fields[k]]
        for key in changed:
            setattr(product, key, fields[key])
        if changed:
            product.full_clean()
            product.save(update_fields=[*changed, "updated_at"])
    return product


def product_set_active(*, product_id: int, is_active: bool, actor=None) -> Product:
    """Archive (False) or restore (True) a product. Archived products keep their history."""
    product = _get(Product, product_id)
    if product.is_active != is_active:
        product.is_active = is_active
        product.save(update_fields=["is_active", "updated_at"])
    return product


def variant_create(
    *, product_id: int, sku: str, price_amount: int = 0, cost_amount: int = 0, actor=None, **fields
) -> ProductVariant:
    product = _get(Product, product_id)
    variant = ProductVariant(
        product=product, sku=sku.strip(), price_amount=_amount(price_amount, "price_amount"),
        cost_amount=_amount(cost_amount, "cost_amount"),
        **{k: v for k, v in fields.items() if k in VARIANT_FIELDS and k != "sku"},
    )
    variant.full_clean()
    with transaction.atomic():
        variant.save()
        if variant.cost_amount:
            VariantCostHistory.objects.create(variant=variant, cost_amount=variant.cost_amount, actor=actor,
                                              note=_("Initial cost"))
    return variant


def variant_update(*, variant_id: int, actor=None, **fields) -> ProductVariant:
    """Change descriptive fields of a variant; prices and costs go through their own services."""
    with transaction.atomic():
        variant = ProductVariant.objects.select_for_update().get(pk=variant_id)
        if "sku" in fields:
            fields["sku"] = fields["sku"].strip()
        changed = [k for k in VARIANT_FIELDS if k in fields and getattr(variant, k) != fields[k]]
        for key in changed:
            setattr(variant, key, fields[key])
        if changed:
            variant.full_clean()
            variant.save(update_fields=changed)
    return variant


def variant_price_set(*, variant_id: int, price_amount: int, actor=None) -> ProductVariant:
    price_amount = _amount(price_amount, "price_amount")
    with transaction.atomic():
        variant = ProductVariant.objects.select_for_update().get(pk=variant_id)
        if variant.price_amount != price_amount:
            variant.price_amount = price_amount
            variant.save(update_fields=["price_amount"])
    return variant


def variant_cost_set(*, variant_id: int, cost_amount: int, actor=None, note: str = "") -> ProductVariant:
    """Set the cost of goods (HPP); every change is kept in VariantCostHistory."""
    cost_amount = _amount(cost_amount, "cost_amount")
    with transaction.atomic():
        variant = ProductVariant.objects.select_for_update().get(pk=variant_id)
        if variant.cost_amount == cost_amount:
            return variant
        VariantCostHistory.objects.create(
            variant=variant, cost_amount=cost_amount, previous_amount=variant.cost_amount, actor=actor,
            note=note[:255],
        )
        variant.cost_amount = cost_amount
        variant.save(update_fields=["cost_amount"])
    return variant


# --- Channels -----------------------------------------------------------------------------------


def listing_save(
    *,
    variant_id: int,
    channel_id: int,
    price_amount: int | None = None,
    item_id: str = "",
    model_id: str = "",
    is_active: bool = True,
    actor=None,
) -> ChannelListing:
    """Create or update the listing of a variant on a channel; an (re)activated listing gets a stock push."""
    if price_amount is not None:
        price_amount = _amount(price_amount, "price_amount")
    with transaction.atomic():
        listing, created = ChannelListing.objects.select_for_update().get_or_create(
            variant_id=variant_id, channel_id=channel_id,
            defaults={"price_amount": price_amount, "item_id": item_id.strip(), "model_id": model_id.strip(),
                      "is_active": is_active},
        )
        activated = created and is_active
        if not created:
            activated = is_active and not listing.is_active
            listing.price_amount = price_amount
            listing.item_id = item_id.strip()
            listing.model_id = model_id.strip()
            listing.is_active = is_active
            listing.save(update_fields=["price_amount", "item_id", "model_id", "is_active", "updated_at"])
        if activated:
            stock_push_schedule(variant_ids=[variant_id])
    return listing


def channel_settings_save(*, channel_id: int, actor=None, **fields) -> ChannelCatalogSettings:
    allowed = ("packaging_cost_amount", "target_margin_percent", "stock_share_percent", "stock_cap", "safety_buffer",
               "push_stock")
    stock_rules = ("stock_share_percent", "stock_cap", "safety_buffer", "push_stock")
    with transaction.atomic():
        settings, created = ChannelCatalogSettings.objects.select_for_update().get_or_create(channel_id=channel_id)
        before = {key: getattr(settings, key) for key in stock_rules}
        for key in allowed:
            if key in fields:
                setattr(settings, key, fields[key])
        settings.full_clean()
        settings.save()
        if not created and any(getattr(settings, key) != before[key] for key in stock_rules):
            # The quantity every listing of this channel should show may have changed.
            variant_ids = ChannelListing.objects.filter(channel_id=channel_id, is_active=True).values_list(
                "variant_id", flat=True)
            _queue_channel_push(channel_id=channel_id, variant_ids=list(variant_ids))
    return settings


def _queue_channel_push(*, channel_id: int, variant_ids: list[int]) -> None:
    from django.utils import timezone

    from catalog.models import StockPushRequest
    from catalog.services.push import _request_flush

    if not variant_ids:
        return
    now = timezone.now()
    StockPushRequest.objects.bulk_create(
        [StockPushRequest(variant_id=v, channel_id=channel_id, not_before=now) for v in variant_ids]
    )
    transaction.on_commit(_request_flush)


def competitor_price_add(
    *,
    product_id: int,
    competitor: str,
    price_amount: int,
    observed_on: date,
    platform: str = "",
    url: str = "",
    variant_id: int | None = None,
    note: str = "",
    actor=None,
) -> CompetitorPrice:
    record = CompetitorPrice(
        product_id=product_id, variant_id=variant_id, competitor=competitor.strip(), platform=platform, url=url,
        price_amount=_amount(price_amount, "price_amount"), observed_on=observed_on, note=note, created_by=actor,
    )
    if record.price_amount <= 0:
        raise ValidationError({"price_amount": _("The price must be above zero.")})
    record.full_clean()
    record.save()
    return record


# --- Photos -------------------------------------------------------------------------------------

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 6000
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHOTOS_PER_PRODUCT = 12
THUMBNAIL_SIZE = (400, 400)


def photo_validate(upload) -> str:
    """Check an uploaded photo really is a JPEG/PNG/WebP image of sane size; return its format."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"image": _("The photo is larger than 5 MB.")})
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError({"image": _("The file is not an image we can read.")}) from None
    finally:
        upload.seek(0)
    if fmt not in PHOTO_FORMATS:
        raise ValidationError({"image": _("Upload a JPEG, PNG or WebP photo.")})
    if width > PHOTO_MAX_PIXELS or height > PHOTO_MAX_PIXELS:
        raise ValidationError({"image": _("The photo is larger than 6000 x 6000 pixels.")})
    return fmt


def _thumbnail(upload) -> bytes:
    upload.seek(0)
    with Image.open(upload) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail(THUMBNAIL_SIZE)
        if img.mode not in ("RGB", "L"):
            background = Image.new("RGB", img.size, (255, 255, 255))
            rgba = img.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            img = background
        out = io.BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=82, optimize=True)
    upload.seek(0)
    return out.getvalue()


def product_photo_add(*, product_id: int, upload, alt_text: str = "", actor=None) -> ProductPhoto:
    """Validate, store and thumbnail a photo; it goes to the end of the gallery."""
    product = _get(Product, product_id)
    fmt = photo_validate(upload)
    if product.photos.count() >= PHOTOS_PER_PRODUCT:
        raise ValidationError({"image": _("A product can have at most %(n)s photos.") % {"n": PHOTOS_PER_PRODUCT}})
    thumb = _thumbnail(upload)
    upload.seek(0)
    try:  # only the decoded pixels are stored: anything appended to the file (HTML, scripts) is dropped
        clean = reencode_image(upload.read(), formats=tuple(PHOTO_FORMATS), max_side=PHOTO_MAX_PIXELS)
    except ImageRefused:
        raise ValidationError({"image": _("The file is not an image we can read.")}) from None
    stem = os.path.splitext(os.path.basename(upload.name or "photo"))[0][:40] or "photo"
    with transaction.atomic():
        position = (product.photos.aggregate(m=Max("position"))["m"] or 0) + 1 if product.photos.exists() else 0
        photo = ProductPhoto(product=product, alt_text=alt_text[:200], position=position)
        photo.image.save(f"{stem}.{PHOTO_FORMATS[fmt]}", ContentFile(clean.data), save=False)
        photo.width, photo.height = clean.width, clean.height  # the re-encoded image's own size
        photo.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(thumb), save=False)
        photo.save()
    return photo


def product_photo_move(*, photo_id: int, direction: int, actor=None) -> None:
    """Move a photo one place earlier (-1) or later (+1); positions are renumbered 0..n-1."""
    photo = _get(ProductPhoto, photo_id)
    with transaction.atomic():
        photos = list(ProductPhoto.objects.select_for_update().filter(product_id=photo.product_id)
                      .order_by("position", "id"))
        index = next(i for i, p in enumerate(photos) if p.pk == photo.pk)
        target = max(0, min(len(photos) - 1, index + (1 if direction > 0 else -1)))
        photos.insert(target, photos.pop(index))
        for i, p in enumerate(photos):
            if p.position != i:
                p.position = i
                p.save(update_fields=["position"])


def product_photo_delete(*, photo_id: int, actor=None) -> None:
    photo = _get(ProductPhoto, photo_id)
    product_id = photo.product_id
    with transaction.atomic():
        storage_names = [(photo.image.storage, photo.image.name), (photo.thumbnail.storage, photo.thumbnail.name)]
        photo.delete()
        for i, p in enumerate(ProductPhoto.objects.filter(product_id=product_id).order_by("position", "id")):
            if p.position != i:
                p.position = i
                p.save(update_fields=["position"])

        def remove_files():
            for storage, name in storage_names:
                if name:
                    storage.delete(name)

        transaction.on_commit(remove_files)
