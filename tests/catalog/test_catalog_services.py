from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from catalog import selectors, services
from catalog.models import ChannelCatalogSettings, StockPushRequest, VariantCostHistory
from catalog.services import StockRequest
from tests.catalog.factories import ListingFactory, ProductFactory, VariantFactory
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def image_upload(name="foto.png", fmt="PNG", size=(1200, 900), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_cost_changes_are_kept_in_the_history(owner):
    variant = VariantFactory(cost_amount=40_000)

    services.variant_cost_set(variant_id=variant.pk, cost_amount=42_500, actor=owner, note="harga supplier naik")
    services.variant_cost_set(variant_id=variant.pk, cost_amount=42_500, actor=owner)

    variant.refresh_from_db()
    assert variant.cost_amount == 42_500
    history = VariantCostHistory.objects.get(variant=variant)
    assert (history.previous_amount, history.cost_amount, history.actor, history.note) == (
        40_000, 42_500, owner, "harga supplier naik")


def test_negative_prices_are_refused_with_the_field():
    variant = VariantFactory()

    with pytest.raises(ValidationError) as caught:
        services.variant_price_set(variant_id=variant.pk, price_amount=-1)

    assert "price_amount" in caught.value.message_dict


def test_a_photo_is_stored_with_a_thumbnail_and_appended_to_the_gallery():
    product = ProductFactory()

    first = services.product_photo_add(product_id=product.pk, upload=image_upload())
    second = services.product_photo_add(product_id=product.pk, upload=image_upload("b.webp", "WEBP", mode="RGBA"))

    assert (first.position, second.position) == (0, 1)
    assert (first.width, first.height) == (1200, 900)
    with Image.open(first.thumbnail.path) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == 400

    services.product_photo_move(photo_id=second.pk, direction=-1)
    assert [p.pk for p in product.photos.order_by("position")] == [second.pk, first.pk]
    services.product_photo_delete(photo_id=second.pk)
    first.refresh_from_db()
    assert first.position == 0


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png"),
        image_upload("x.gif", "GIF", mode="RGB"),
    ],
)
def test_photos_that_are_not_jpeg_png_or_webp_are_refused(upload):
    product = ProductFactory()

    with pytest.raises(ValidationError) as caught:
        services.product_photo_add(product_id=product.pk, upload=upload)

    assert "image" in caught.value.message_dict


def test_photos_over_five_megabytes_are_refused(monkeypatch):
    product = ProductFactory()
    upload = image_upload()
    monkeypatch.setattr(upload, "size", 6 * 1024 * 1024)

    with pytest.raises(ValidationError, match="5 MB"):
        services.product_photo_add(product_id=product.pk, upload=upload)


def test_listing_a_variant_queues_a_stock_push():
    channel = ChannelFactory()
    variant = VariantFactory()

    listing = services.listing_save(variant_id=variant.pk, channel_id=channel.pk, item_id=" 123 ", model_id="9")
    services.listing_save(variant_id=variant.pk, channel_id=channel.pk, price_amount=85_000, item_id="123")

    listing.refresh_from_db()
    assert (listing.item_id, listing.model_id, listing.price_amount) == ("123", "", 85_000)
    assert StockPushRequest.objects.filter(variant=variant).count() == 1


def test_channel_margins_use_the_channel_price_fees_and_packaging():
    channel = ChannelFactory(commission_percent="8.00", fixed_fee_amount=1_250)
    ChannelCatalogSettings.objects.create(channel=channel, packaging_cost_amount=1_500, target_margin_percent=25)
    variant = VariantFactory(cost_amount=55_000, price_amount=90_000)
    ListingFactory(variant=variant, channel=channel, price_amount=100_000)

    rows = selectors.variant_channel_margins(variant=variant)

    base, listed = rows
    assert (base.price_amount, base.margin.margin_amount) == (90_000, 35_000)
    assert (listed.price_amount, listed.margin.margin_amount) == (100_000, 34_250)
    assert listed.suggested_price_amount == 86_200


def test_restock_list_uses_28_day_velocity_and_lead_time(default_warehouse, stocked_variant):
    # given 40 on hand and 56 sold over the last 28 days (2 a day), 4 sold before that
    variant = stocked_variant(on_hand=100, low_stock_threshold=5)
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=40)):
        services.stock_reserve(reference="order:old", lines=[StockRequest(variant.pk, 4)])
        services.stock_commit(reference="order:old")
    with time_machine.travel(now - timedelta(days=10)):
        services.stock_reserve(reference="order:a", lines=[StockRequest(variant.pk, 56)])
        services.stock_commit(reference="order:a")
        services.stock_reserve(reference="order:cancelled", lines=[StockRequest(variant.pk, 5)])
        services.stock_release(reference="order:cancelled")
    quiet = stocked_variant(on_hand=50)

    lines = selectors.restock_list(lead_time_days=14, safety_days=7, cover_days=30, now=now)

    assert [line.variant_id for line in lines] == [variant.pk]
    line = lines[0]
    assert (line.available, line.sold_last_28_days) == (40, 56)
    assert line.average_daily_sales == 2
    assert line.days_of_cover == 20
    assert line.suggested_quantity == 2 * (14 + 7 + 30) - 40
    assert quiet.pk in [x.variant_id for x in selectors.restock_list(now=now, include_all=True)]


def test_low_stock_counts_variants_at_or_under_their_threshold(default_warehouse, stocked_variant):
    stocked_variant(on_hand=3, low_stock_threshold=5)
    stocked_variant(on_hand=5, low_stock_threshold=5)
    stocked_variant(on_hand=6, low_stock_threshold=5)
    stocked_variant(on_hand=0, low_stock_threshold=0)

    assert selectors.low_stock_count() == 2


def test_a_photo_with_html_appended_is_stored_as_its_pixels_only():
    product = ProductFactory()
    clean = image_upload(size=(64, 48))
    evil = SimpleUploadedFile("foto.png", clean.read() + b"<html><script>alert(1)</script></html>",
                              content_type="image/png")

    photo = services.product_photo_add(product_id=product.pk, upload=evil)

    with photo.image.open("rb") as stored:
        data = stored.read()
    assert b"<script" not in data and b"<html" not in data
    assert (photo.width, photo.height) == (64, 48)
