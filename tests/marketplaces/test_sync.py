"""Pull sync: list orders updated since the cursor, fetch details in batches, upsert, advance on success."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import Channel
from marketplaces import services, tasks
from orders.models import Order


def test_first_sync_fetches_recent_orders_and_sets_the_cursor(make_channel, fake):
    # given three recent orders and one older than the first-sync look-back
    channel = make_channel("shopee", fake)
    for i in range(3):
        fake.put_order("shopee", f"SYNC{i}", status="READY_TO_SHIP")
    fake.put_order("shopee", "ANCIENT", status="COMPLETED", update_time=int(time.time()) - 10 * 86400)
    # when the channel syncs
    result = services.channel_sync(channel_id=channel.pk)
    # then the recent orders exist and the cursor moved
    assert result.ok
    assert result.orders == 3
    assert set(Order.objects.filter(channel=channel).values_list("external_id", flat=True)) == {
        "SYNC0", "SYNC1", "SYNC2"
    }
    channel.refresh_from_db()
    assert channel.sync_cursor is not None
    assert channel.last_synced_at == channel.sync_cursor
    assert (channel.last_sync_error, channel.sync_failures, channel.sync_started_at) == ("", 0, None)
    assert channel.health == "ok"


def test_a_later_sync_catches_a_status_change_a_push_missed(make_channel, fake):
    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "MISSED", status="READY_TO_SHIP")
    services.channel_sync(channel_id=channel.pk)
    fake.put_order("shopee", "MISSED", status="SHIPPED")

    result = services.channel_sync(channel_id=channel.pk, now=timezone.now() + timedelta(seconds=5))

    assert result.ok
    assert Order.objects.get(channel=channel, external_id="MISSED").status == "shipped"


def test_details_are_fetched_fifty_at_a_time(make_channel, fake):
    channel = make_channel("shopee", fake)
    for i in range(120):
        fake.put_order("shopee", f"B{i:03d}", status="UNPAID")

    result = services.channel_sync(channel_id=channel.pk)

    assert result.orders == 120
    detail_calls = [c for c in fake.calls if c[1].endswith("get_order_detail")]
    assert len(detail_calls) == 3


def test_a_failed_sync_keeps_the_cursor_and_records_the_error_until_a_good_one(make_channel, fake):
    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "S1", status="READY_TO_SHIP")
    services.channel_sync(channel_id=channel.pk)
    channel.refresh_from_db()
    cursor = channel.sync_cursor
    # when the marketplace is down
    fake.fail_next = 1
    result = services.channel_sync(channel_id=channel.pk)
    # then the error is recorded on the channel and the cursor did not move
    assert not result.ok
    channel.refresh_from_db()
    assert channel.sync_cursor == cursor
    assert channel.sync_failures == 1
    assert "503" in channel.last_sync_error
    assert channel.health == "failing"
    assert channel.sync_started_at is None
    # and a good sync clears it
    assert services.channel_sync(channel_id=channel.pk).ok
    channel.refresh_from_db()
    assert (channel.sync_failures, channel.last_sync_error, channel.health) == (0, "", "ok")
    assert channel.sync_cursor > cursor


def test_a_sync_already_running_is_not_started_twice(make_channel, fake):
    channel = make_channel("shopee", fake)
    Channel.objects.filter(pk=channel.pk).update(sync_started_at=timezone.now())

    assert services.channel_sync(channel_id=channel.pk).skipped
    assert fake.calls == []


def test_a_sync_claim_left_by_a_crash_expires(make_channel, fake):
    channel = make_channel("shopee", fake)
    Channel.objects.filter(pk=channel.pk).update(sync_started_at=timezone.now() - timedelta(hours=1))

    assert services.channel_sync(channel_id=channel.pk).ok


def test_wrong_credentials_are_a_recorded_sync_error(make_channel, fake):
    channel = make_channel("shopee", fake, credentials={"partner_id": "2001887", "partner_key": "wrong"})

    result = services.channel_sync(channel_id=channel.pk)

    assert "error_sign" in result.error
    channel.refresh_from_db()
    assert channel.health == "failing"


@pytest.mark.parametrize(("provider", "status", "expected"), [("tiktok", "IN_TRANSIT", "shipped"),
                                                               ("lazada", "pending", "paid")])
def test_tiktok_and_lazada_channels_sync_too(make_channel, fake, provider, status, expected):
    channel = make_channel(provider, fake)
    fake.put_order(provider, "777000111", status=status, lines=[("SKU-X", 2, 40000)])

    result = services.channel_sync(channel_id=channel.pk)

    assert result.ok, result.error
    order = Order.objects.get(channel=channel)
    assert order.status == expected
    assert order.lines.get().quantity == 2


def test_the_periodic_fan_out_syncs_each_active_marketplace_channel_with_credentials(make_channel, fake):
    shopee = make_channel("shopee", fake)
    tiktok = make_channel("tiktok", fake)
    make_channel("lazada", fake, is_active=False)
    make_channel("shopee", fake, code="NOCRED", name="No credentials", shop_id="55", credentials={})
    fake.put_order("shopee", "FAN1", status="READY_TO_SHIP")
    fake.put_order("tiktok", "FAN2", status="AWAITING_SHIPMENT")

    assert tasks.channels_sync_all() == 2

    assert set(Order.objects.values_list("channel_id", "external_id")) == {(shopee.pk, "FAN1"), (tiktok.pk, "FAN2")}


def test_a_network_error_is_recorded_without_the_signed_query_string(make_channel):
    # given a channel whose API cannot be reached (nothing listens on port 9)
    channel = make_channel("shopee", api_base_url="http://127.0.0.1:9/",
                           credentials={"partner_id": "2001887", "partner_key": "k", "access_token": "TOKEN-XYZ"})

    result = services.channel_sync(channel_id=channel.pk)

    assert "ConnectionError" in result.error
    channel.refresh_from_db()
    assert "TOKEN-XYZ" not in channel.last_sync_error
    assert "sign=" not in channel.last_sync_error


def test_a_catch_up_stores_each_fetched_batch_set_based(make_channel, fake):
    # given 100 orders a push never announced
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.catalog.factories import VariantFactory

    channel = make_channel("shopee", fake)
    VariantFactory(sku="SKU-1")
    for i in range(100):
        fake.put_order("shopee", f"CU{i:03d}", status="UNPAID", lines=[("SKU-1", 1, 50_000)])
    # when the channel syncs
    with CaptureQueriesContext(connection) as ctx:
        result = services.channel_sync(channel_id=channel.pk)
    # then all are stored, in far fewer statements than one upsert per order (7-28 each)
    assert result.ok and result.orders == 100
    assert Order.objects.filter(channel=channel).count() == 100
    # (the per-order upsert took 22 for each such order; here: buyer, payment and its journal per
    # order, the rest per batch)
    assert len(ctx.captured_queries) < 4 * 100


def test_orders_that_could_not_be_stored_keep_the_cursor(make_channel, fake, monkeypatch):
    from orders.services.external import BatchResult

    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "BROKEN1", status="READY_TO_SHIP")
    monkeypatch.setattr(services, "_upsert_batch", lambda **kwargs: BatchResult(
        errors={"BROKEN1": ValueError("bad address")}))
    with pytest.raises(RuntimeError, match="1 of 1 orders could not be stored"):
        services.channel_sync(channel_id=channel.pk)
    channel.refresh_from_db()
    assert channel.sync_cursor is None and channel.sync_failures == 1
    assert "BROKEN1" in channel.last_sync_error and channel.sync_started_at is None
