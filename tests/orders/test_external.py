"""Marketplace orders: idempotent upserts, status mapping, never moving backwards, oversold."""

from __future__ import annotations

import pytest

from catalog.models import StockMovement
from channels.models import Channel
from orders.inputs import ExternalOrderLine
from orders.models import Order, OrderStatus
from orders.services import map_provider_status, order_confirm, order_resolve_oversold, order_upsert_external

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = OrderStatus


def _statuses(order):
    return list(order.events.filter(kind="status_changed").values_list("to_status", flat=True))


def test_new_ready_to_ship_order_is_created_paid_with_stock_reserved(shopee_channel, external_order, make_variant,
                                                                      stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order("READY_TO_SHIP"))
    order.refresh_from_db()
    assert order.status == S.PAID and order.source == "marketplace"
    assert order.external_id == "220810QSK8S7BX" and order.number.startswith("SHP-")
    assert order.marketplace_status == "READY_TO_SHIP"
    assert order.customer is None  # masked phone: no customer to deduplicate on
    assert order.shipping_name == "Siti Rahma"
    assert stock_of(kaos) == (10, 2)
    assert _statuses(order) == ["paid"]
    assert not order.is_oversold


def test_the_same_push_five_times_makes_one_order_and_one_reservation(shopee_channel, external_order, make_variant):
    make_variant("KAOS-L", stock=10)
    for _ in range(5):
        order_upsert_external(channel_id=shopee_channel.id, external=external_order("READY_TO_SHIP"))
    order = Order.objects.get()
    assert StockMovement.objects.filter(reference=f"order:{order.id}", kind="reserve").count() == 1
    assert order.events.count() == 2  # created + paid


def test_statuses_walk_forward_through_every_step(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("UNPAID"))
    order = order_upsert_external(channel_id=shopee_channel.id,
                                  external=external_order("SHIPPED", minutes=5, courier="SPX", tracking_number="SPX1"))
    assert order.status == S.SHIPPED
    assert _statuses(order) == ["paid", "processing", "packed", "shipped"]
    assert order.tracking_number == "SPX1"
    assert stock_of(kaos) == (8, 0)


def test_pushes_out_of_order_end_in_the_right_state(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    # the later statuses arrive first
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("COMPLETED", minutes=30))
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("SHIPPED", minutes=20))
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("READY_TO_SHIP", minutes=10))
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("UNPAID", minutes=0))
    order = Order.objects.get()
    assert order.status == S.COMPLETED
    assert order.marketplace_status == "COMPLETED"
    assert stock_of(kaos) == (8, 0)
    stale = order.events.filter(kind="marketplace_status")
    assert stale.count() == 3 and all(e.data.get("stale") for e in stale)


def test_a_late_status_with_a_newer_time_never_moves_the_order_back(shopee_channel, external_order, make_variant):
    make_variant("KAOS-L", stock=10)
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("SHIPPED", minutes=10))
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order("READY_TO_SHIP", minutes=20))
    assert order.status == S.SHIPPED
    assert order.marketplace_status == "READY_TO_SHIP"
    event = order.events.filter(kind="marketplace_status").get()
    assert "not applied" in event.note


def test_cancellation_releases_stock(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("READY_TO_SHIP"))
    order = order_upsert_external(channel_id=shopee_channel.id,
                                  external=external_order("CANCELLED", minutes=5, cancel_reason="Buyer request"))
    assert order.status == S.CANCELLED and order.cancel_reason == "Buyer request"
    assert stock_of(kaos) == (10, 0)


def test_cancel_after_shipping_is_recorded_not_applied(shopee_channel, external_order, make_variant):
    make_variant("KAOS-L", stock=10)
    order_upsert_external(channel_id=shopee_channel.id, external=external_order("SHIPPED"))
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order("CANCELLED", minutes=1))
    assert order.status == S.SHIPPED
    assert order.events.filter(kind="marketplace_status").exists()


def test_an_order_arriving_cancelled_reserves_nothing(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order("CANCELLED"))
    assert order.status == S.CANCELLED
    assert stock_of(kaos) == (10, 0)


def test_unknown_sku_still_records_the_order_flagged_oversold(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    lines = [
        ExternalOrderLine(external_line_id="1", sku="KAOS-L", name="Kaos", quantity=1, unit_price_amount=85_000),
        ExternalOrderLine(external_line_id="2", sku="MYSTERY", name="Mystery", quantity=1, unit_price_amount=5_000),
    ]
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order(lines=lines))
    order.refresh_from_db()
    assert order.is_oversold and order.lines.count() == 2
    assert order.lines.get(sku="MYSTERY").variant is None
    assert stock_of(kaos) == (10, 1)
    event = order.events.get(kind="oversold")
    assert event.data["unmapped_skus"] == ["MYSTERY"]


def test_out_of_stock_still_records_the_order_flagged_oversold(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=1)
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order())
    order.refresh_from_db()
    assert order.is_oversold and order.status == S.PAID
    assert stock_of(kaos) == (1, 0)
    assert "Out of stock" in order.events.get(kind="oversold").note


def test_resolving_oversold_maps_the_line_and_reserves_everything(shopee_channel, external_order, make_variant,
                                                                  stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    topi = make_variant("TOPI-1", stock=10)
    lines = [
        ExternalOrderLine(external_line_id="1", sku="KAOS-L", name="Kaos", quantity=1, unit_price_amount=85_000),
        ExternalOrderLine(external_line_id="2", sku="TOPI-OLD", name="Topi", quantity=2, unit_price_amount=5_000),
    ]
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order(lines=lines))
    line = order.lines.get(sku="TOPI-OLD")
    order = order_resolve_oversold(order_id=order.id, line_variants={line.id: topi.id}, note="old SKU")
    assert not order.is_oversold
    assert stock_of(kaos) == (10, 1) and stock_of(topi) == (10, 2)
    assert all(ln.stock_reserved for ln in order.lines.all())
    assert order.events.filter(kind="oversold_resolved").count() == 1


def test_resolving_oversold_without_stock_keeps_the_flag_unless_forced(shopee_channel, external_order, make_variant):
    from catalog.errors import OutOfStock

    make_variant("KAOS-L", stock=1)
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order())
    with pytest.raises(OutOfStock):
        order_resolve_oversold(order_id=order.id)
    assert Order.objects.get(pk=order.pk).is_oversold
    order = order_resolve_oversold(order_id=order.id, force=True, note="bought from supplier")
    assert not order.is_oversold


def test_cod_marketplace_order_waits_for_confirmation_then_follows_the_marketplace(make_channel, external_order,
                                                                                   make_variant):
    make_variant("KAOS-L", stock=10)
    tiktok = make_channel(Channel.Kind.TIKTOK_SHOP, "TTS")
    order = order_upsert_external(channel_id=tiktok.id, external=external_order("AWAITING_SHIPMENT", is_cod=True))
    assert order.status == S.AWAITING_PAYMENT and order.payment_method == "cod"
    order_confirm(order_id=order.id)
    order = order_upsert_external(channel_id=tiktok.id, external=external_order("IN_TRANSIT", minutes=5, is_cod=True))
    assert order.status == S.SHIPPED
    assert _statuses(order) == ["processing", "packed", "shipped"]


@pytest.mark.parametrize(
    ("kind", "word", "expected"),
    [
        (Channel.Kind.SHOPEE, "READY_TO_SHIP", S.PAID),
        (Channel.Kind.SHOPEE, "TO_CONFIRM_RECEIVE", S.DELIVERED),
        (Channel.Kind.SHOPEE, "IN_CANCEL", None),
        (Channel.Kind.TIKTOK_SHOP, "AWAITING_COLLECTION", S.PACKED),
        (Channel.Kind.TIKTOK_SHOP, "CANCEL", S.CANCELLED),
        (Channel.Kind.LAZADA, "ready_to_ship", S.PACKED),
        (Channel.Kind.LAZADA, "canceled", S.CANCELLED),
        (Channel.Kind.LAZADA, "returned", None),
        (Channel.Kind.TOKOPEDIA, "220", S.PAID),
        (Channel.Kind.TOKOPEDIA, "0", S.CANCELLED),
        (Channel.Kind.TOKOPEDIA, "15", S.CANCELLED),
        (Channel.Kind.TOKOPEDIA, "700", S.COMPLETED),
        (Channel.Kind.BUKALAPAK, "shipped", S.SHIPPED),
    ],
)
def test_provider_status_words_map_onto_our_lifecycle(kind, word, expected):
    assert map_provider_status(kind, word) == expected


def test_tokopedia_numeric_codes_walk_the_order(make_channel, external_order, make_variant):
    make_variant("KAOS-L", stock=10)
    tokopedia = make_channel(Channel.Kind.TOKOPEDIA, "TKP")
    order_upsert_external(channel_id=tokopedia.id, external=external_order("220", external_id="TKP-1"))
    later = external_order("450", minutes=2, external_id="TKP-1")
    order = order_upsert_external(channel_id=tokopedia.id, external=later)
    assert order.status == S.PACKED


def test_an_unknown_status_word_is_recorded_and_ignored(shopee_channel, external_order, make_variant):
    make_variant("KAOS-L", stock=10)
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order("SOMETHING_NEW"))
    assert order.status == S.AWAITING_PAYMENT
    assert "unknown status" in order.events.get(kind="marketplace_status").note


def test_a_marketplace_buyer_is_deduplicated_by_the_recipient_phone(shopee_channel, external_order, make_variant,
                                                                     place_order):
    make_variant("KAOS-L", stock=10)
    web = place_order()  # Budi, 0812-3456-7890
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order(
        buyer_phone="******90", shipping_phone="6281234567890"))
    assert order.customer_id == web.customer_id


def test_lines_with_zero_quantity_are_left_out(shopee_channel, external_order, make_variant, stock_of):
    kaos = make_variant("KAOS-L", stock=10)
    lines = [
        ExternalOrderLine(external_line_id="1", sku="KAOS-L", name="Kaos", quantity=1, unit_price_amount=85_000),
        ExternalOrderLine(external_line_id="2", sku="KAOS-L", name="Kaos", quantity=0, unit_price_amount=85_000),
    ]
    order = order_upsert_external(channel_id=shopee_channel.id, external=external_order(lines=lines))
    assert order.lines.count() == 1 and stock_of(kaos) == (10, 1)
