"""Stock push end to end: catalog's flush -> channel adapter -> fake marketplace over HTTP."""

from __future__ import annotations

from catalog.models import StockPushAttempt
from catalog.services.push import stock_push_flush, stock_push_schedule
from tests.catalog.factories import ListingFactory


def test_catalog_stock_reaches_shopee_models_through_the_adapter(make_channel, fake, make_variant,
                                                                 django_capture_on_commit_callbacks):
    # given two variants listed on one Shopee item and one refused by Shopee
    channel = make_channel("shopee", fake)
    black = make_variant("KAOS-HITAM", stock=12)
    white = make_variant("KAOS-PUTIH", stock=4)
    ListingFactory(channel=channel, variant=black, item_id="880001", model_id="11")
    ListingFactory(channel=channel, variant=white, item_id="880001", model_id="12")
    fake.stock_failures = {"12"}
    with django_capture_on_commit_callbacks(execute=False):
        stock_push_schedule(variant_ids=[black.id, white.id])
    # when the flush runs
    result = stock_push_flush()
    # then one update_stock call carried both models, and each attempt is recorded
    assert (result.attempted, result.ok, result.failed) == (2, 1, 1)
    (update,) = [payload for provider, payload in fake.stock_updates if provider == "shopee"]
    assert update["item_id"] == 880001
    assert sorted(m["model_id"] for m in update["stock_list"]) == [11, 12]
    attempts = {a.sku: a for a in StockPushAttempt.objects.filter(channel=channel)}
    assert attempts["KAOS-HITAM"].ok
    assert not attempts["KAOS-PUTIH"].ok
    assert attempts["KAOS-PUTIH"].error == "model is not active"
    assert attempts["KAOS-PUTIH"].will_retry


def test_tiktok_and_lazada_listings_are_pushed_too(make_channel, fake, make_variant,
                                                   django_capture_on_commit_callbacks):
    tiktok = make_channel("tiktok", fake)
    lazada = make_channel("lazada", fake)
    bag = make_variant("TAS-KANVAS", stock=7)
    ListingFactory(channel=tiktok, variant=bag, item_id="1729001", model_id="1729001-1")
    ListingFactory(channel=lazada, variant=bag, item_id="3456789", model_id="9876543")
    with django_capture_on_commit_callbacks(execute=False):
        stock_push_schedule(variant_ids=[bag.id])

    result = stock_push_flush()

    assert (result.attempted, result.ok) == (2, 2)
    providers = sorted(provider for provider, _payload in fake.stock_updates)
    assert providers == ["lazada", "tiktok"]
