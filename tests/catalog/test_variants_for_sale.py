"""catalog.selectors.variants_for_sale: one statement with what an order line needs."""

from __future__ import annotations

import pytest

from catalog import services
from catalog.models import StockLevel, StockPushRequest
from catalog.selectors import variants_for_sale
from catalog.services import StockRequest
from catalog.services.push import listed_variant_ids
from tests.catalog.factories import ListingFactory, ProductFactory, VariantFactory
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def test_prices_names_flags_and_listing_in_one_statement(django_assert_max_num_queries):
    # given a web channel, a marketplace channel, and variants listed in different ways
    web, shop = ChannelFactory(kind="website", code="WEB"), ChannelFactory(kind="shopee", code="SHP")
    closed = ChannelFactory(kind="lazada", code="LZD", is_active=False)
    priced = VariantFactory(sku="A-1", name="Merah", price_amount=50_000, product=ProductFactory(name="Kaos"))
    ListingFactory(variant=priced, channel=web, price_amount=45_000)
    elsewhere = VariantFactory(sku="A-2", price_amount=60_000)
    ListingFactory(variant=elsewhere, channel=shop, price_amount=58_000)
    unlisted = VariantFactory(sku="A-3", price_amount=70_000, is_active=False)
    ListingFactory(variant=unlisted, channel=closed)
    ListingFactory(variant=unlisted, channel=shop, is_active=False)
    VariantFactory(sku="A-4", product=ProductFactory(is_active=False))
    # when they are looked up by id and by SKU for the web channel
    with django_assert_max_num_queries(1):
        found = {v.sku: v for v in variants_for_sale(
            channel_id=web.pk, ids=[priced.pk, unlisted.pk], skus=["A-2", "A-4", "NOPE"])}
    # then one statement answers, with this channel's price and the "listed anywhere" flag
    assert sorted(found) == ["A-1", "A-2", "A-3", "A-4"]
    assert (found["A-1"].listing_price_amount, found["A-1"].price_amount) == (45_000, 50_000)
    assert found["A-1"].full_name == "Kaos Merah" and found["A-1"].for_sale and found["A-1"].listed
    assert found["A-2"].listing_price_amount is None and found["A-2"].listed  # listed on another channel
    assert not found["A-3"].listed and not found["A-3"].for_sale  # inactive listing, closed channel
    assert not found["A-4"].for_sale and not found["A-4"].listed
    # and the flag agrees with the stock push's own rule
    assert {v.id for v in found.values() if v.listed} == set(listed_variant_ids([v.id for v in found.values()]))


def test_nothing_asked_runs_no_statement(django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        assert variants_for_sale(channel_id=1) == []


def test_a_reservation_given_the_listed_variants_skips_the_lookup_and_still_queues_their_push(
    default_warehouse, stocked_variant, monkeypatch, django_assert_max_num_queries
):
    # given two stocked variants, one of them listed on a marketplace
    listed, plain = stocked_variant(on_hand=5), stocked_variant(on_hand=5)
    ListingFactory(variant=listed, channel=ChannelFactory(kind="shopee", code="SHP"))
    StockPushRequest.objects.all().delete()
    # and a listed-variants lookup that would fail if it ran
    def no_lookup(variant_ids):
        raise AssertionError("the listed variants were given; no lookup expected")

    monkeypatch.setattr("catalog.services.stock.listed_variant_ids", no_lookup)
    monkeypatch.setattr("catalog.services.push.listed_variant_ids", no_lookup)
    # when the caller passes what it read with variants_for_sale
    with django_assert_max_num_queries(3):  # the row locks, the write, the push request insert
        services.stock_reserve(reference="order:77", lines=[StockRequest(listed.pk, 1), StockRequest(plain.pk, 1)],
                               listed=[listed.pk])
    # then both lines are reserved and only the listed variant's push is queued
    reserved = dict(StockLevel.objects.filter(variant__in=[listed, plain]).values_list("variant_id", "reserved"))
    assert reserved == {listed.pk: 1, plain.pk: 1}
    assert list(StockPushRequest.objects.values_list("variant_id", flat=True)) == [listed.pk]
