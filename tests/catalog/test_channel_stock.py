from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import ChannelCatalogSettings, StockPushAttempt, StockPushRequest
from catalog.selectors import channel_stock_quantities, push_quantity, variant_resolve
from catalog.services import StockRequest
from catalog.services.push import MAX_PUSH_ATTEMPTS
from channels.models import Channel
from tests.catalog.factories import ListingFactory, VariantFactory
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopee(db):
    return ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee Toko", code="SHP")


def test_variant_resolve_finds_by_sku_first_ignoring_case(shopee):
    variant = VariantFactory(sku="KAOS-HTM-L")
    ListingFactory(channel=shopee, item_id="555", model_id="1")

    assert variant_resolve(channel_id=shopee.pk, sku=" kaos-htm-l ", item_id="555", model_id="1") == variant


def test_variant_resolve_falls_back_to_the_marketplace_ids(shopee):
    listing = ListingFactory(channel=shopee, item_id="555", model_id="77")
    ListingFactory(channel=shopee, item_id="555", model_id="78")

    assert variant_resolve(channel_id=shopee.pk, sku="", item_id="555", model_id="77") == listing.variant
    assert variant_resolve(channel_id=shopee.pk, sku="UNKNOWN", item_id="555", model_id="99") is None
    assert variant_resolve(channel_id=shopee.pk, sku="", item_id="555") is None  # ambiguous without model
    assert variant_resolve(channel_id=shopee.pk + 1000, sku="", item_id="555", model_id="77") is None


def test_variant_resolve_with_item_id_only_matches_a_single_listing(shopee):
    listing = ListingFactory(channel=shopee, item_id="900", model_id="")

    assert variant_resolve(channel_id=shopee.pk, sku="", item_id="900") == listing.variant


@pytest.mark.parametrize(
    ("available", "share", "cap", "buffer", "expected"),
    [(10, 100, None, 0, 10), (10, 50, None, 0, 5), (11, 50, None, 0, 5), (10, 100, 4, 0, 4),
     (10, 100, None, 3, 7), (2, 100, None, 3, 0), (-1, 100, None, 0, 0), (20, 50, 6, 2, 6)],
)
def test_push_quantity_applies_buffer_share_and_cap(available, share, cap, buffer, expected):
    assert push_quantity(available=available, share_percent=share, cap=cap, buffer=buffer) == expected


def test_channel_quantities_use_the_channel_rules_and_total_available(shopee, default_warehouse, second_warehouse,
                                                                      stocked_variant):
    variant = stocked_variant(on_hand=10)
    services.stock_receive(variant_id=variant.pk, quantity=10, warehouse_id=second_warehouse.pk)
    services.stock_reserve(reference="order:1", lines=[StockRequest(variant.pk, 4)])
    listing = ListingFactory(channel=shopee, variant=variant, item_id="1", model_id="2")
    ListingFactory(channel=shopee, is_active=False)
    ChannelCatalogSettings.objects.create(channel=shopee, stock_share_percent=Decimal("50"), safety_buffer=2)

    quantities = channel_stock_quantities(channel_id=shopee.pk)

    assert len(quantities) == 1
    q = quantities[0]
    assert (q.listing_id, q.sku, q.item_id, q.model_id, q.quantity) == (listing.pk, variant.sku, "1", "2", 7)


def test_a_stock_change_pushes_the_sku_to_every_active_listing_after_commit(
    shopee, default_warehouse, stocked_variant, fake_adapter, django_capture_on_commit_callbacks
):
    # given a variant listed on Shopee, Tokopedia and the website (no adapter)
    variant = stocked_variant(on_hand=10)
    tokopedia = ChannelFactory(kind=Channel.Kind.TOKOPEDIA, code="TKP")
    website = ChannelFactory(kind=Channel.Kind.WEBSITE, code="WEB")
    for channel in (shopee, tokopedia, website):
        ListingFactory(channel=channel, variant=variant)

    # when an order reserves 3
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_reserve(reference="order:9", lines=[StockRequest(variant.pk, 3)])

    # then both marketplaces get 7 and every attempt is recorded
    assert sorted((ch, [(i.sku, i.quantity) for i in items]) for ch, items in fake_adapter.calls) == [
        (shopee.pk, [(variant.sku, 7)]), (tokopedia.pk, [(variant.sku, 7)])
    ]
    attempts = StockPushAttempt.objects.filter(sku=variant.sku)
    assert sorted(attempts.values_list("channel_id", "quantity", "ok")) == [
        (shopee.pk, 7, True), (tokopedia.pk, 7, True)
    ]
    assert not StockPushRequest.objects.exists()


def test_unlisted_variants_queue_no_push(default_warehouse, stocked_variant, fake_adapter,
                                         django_capture_on_commit_callbacks):
    variant = stocked_variant(on_hand=10)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.stock_adjust(variant_id=variant.pk, quantity_change=-1, reason="rusak")

    assert callbacks == []
    assert fake_adapter.calls == []


def test_pushes_go_in_batches_of_fifty(shopee, default_warehouse, stocked_variant, fake_adapter):
    variants = [stocked_variant(on_hand=1) for _ in range(120)]
    for v in variants:
        ListingFactory(channel=shopee, variant=v)
    services.stock_push_all(channel_id=shopee.pk)

    result = services.stock_push_flush()

    assert [len(batch) for _ch, batch in fake_adapter.calls] == [50, 50, 20]
    assert result.attempted == 120 and result.ok == 120


def test_failed_pushes_are_recorded_and_retried_with_backoff(shopee, default_warehouse, stocked_variant,
                                                             fake_adapter):
    good, bad = stocked_variant(on_hand=5, sku="GOOD"), stocked_variant(on_hand=5, sku="BAD")
    ListingFactory(channel=shopee, variant=good)
    ListingFactory(channel=shopee, variant=bad)
    fake_adapter.fail_skus = {"BAD"}
    services.stock_push_all()

    first = services.stock_push_flush()

    assert (first.ok, first.failed, first.requeued) == (1, 1, 1)
    failed = StockPushAttempt.objects.get(sku="BAD")
    assert (failed.ok, failed.error, failed.will_retry, failed.attempt_number) == (False, "rejected by fake", True, 1)
    retry = StockPushRequest.objects.get()
    assert (retry.variant_id, retry.channel_id, retry.attempts) == (bad.pk, shopee.pk, 1)
    assert retry.not_before > timezone.now()

    # not before the backoff has passed
    assert services.stock_push_flush().attempted == 0
    fake_adapter.fail_skus = set()
    second = services.stock_push_flush(now=timezone.now() + timedelta(hours=2))
    assert (second.attempted, second.ok) == (1, 1)
    assert StockPushAttempt.objects.get(sku="BAD", ok=True).attempt_number == 2


def test_an_adapter_exception_fails_the_batch_and_gives_up_after_the_last_attempt(shopee, default_warehouse,
                                                                                  stocked_variant, fake_adapter):
    variant = stocked_variant(on_hand=5)
    ListingFactory(channel=shopee, variant=variant)
    fake_adapter.raise_error = TimeoutError("shopee timed out")
    services.stock_push_all()

    later = timezone.now()
    for _ in range(MAX_PUSH_ATTEMPTS):
        later += timedelta(hours=2)
        services.stock_push_flush(now=later)

    attempts = list(StockPushAttempt.objects.order_by("id"))
    assert len(attempts) == MAX_PUSH_ATTEMPTS
    assert "shopee timed out" in attempts[0].error
    assert attempts[-1].will_retry is False
    assert not StockPushRequest.objects.exists()


def test_changing_a_channels_stock_rules_pushes_its_listings_again(shopee, default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=10)
    ListingFactory(channel=shopee, variant=variant)
    services.channel_settings_save(channel_id=shopee.pk, packaging_cost_amount=1000)
    StockPushRequest.objects.all().delete()

    services.channel_settings_save(channel_id=shopee.pk, packaging_cost_amount=2000)
    assert not StockPushRequest.objects.exists()
    services.channel_settings_save(channel_id=shopee.pk, safety_buffer=3)

    assert list(StockPushRequest.objects.values_list("variant_id", "channel_id")) == [(variant.pk, shopee.pk)]


def test_a_refused_push_is_not_retried_but_a_transient_one_is(shopee, default_warehouse, stocked_variant,
                                                                fake_adapter):
    from channels.adapters.base import AdapterError, TransientAdapterError

    variant = stocked_variant(on_hand=5)
    ListingFactory(channel=shopee, variant=variant)
    fake_adapter.raise_error = AdapterError("invalid access token")
    services.stock_push_all()

    services.stock_push_flush()

    assert StockPushAttempt.objects.get().will_retry is False
    assert not StockPushRequest.objects.exists()

    fake_adapter.raise_error = TransientAdapterError("HTTP 503")
    services.stock_push_all()
    services.stock_push_flush()
    assert StockPushRequest.objects.count() == 1


def test_old_push_attempts_are_trimmed_by_the_flush(shopee):
    old = StockPushAttempt.objects.create(channel=shopee, sku="OLD", quantity=1, ok=True)
    StockPushAttempt.objects.filter(pk=old.pk).update(attempted_at=timezone.now() - timedelta(days=31))
    StockPushAttempt.objects.create(channel=shopee, sku="NEW", quantity=1, ok=True)

    services.stock_push_flush()

    assert list(StockPushAttempt.objects.values_list("sku", flat=True)) == ["NEW"]


def test_the_flush_task_reports_what_it_sent(shopee, default_warehouse, stocked_variant, fake_adapter):
    from catalog.tasks import stock_push_flush

    ListingFactory(channel=shopee, variant=stocked_variant(on_hand=4))
    services.stock_push_all()

    result = stock_push_flush.delay().get()

    assert stock_push_flush.name == "catalog.tasks.stock_push_flush"
    assert result == {"attempted": 1, "ok": 1, "failed": 0, "requeued": 0}
