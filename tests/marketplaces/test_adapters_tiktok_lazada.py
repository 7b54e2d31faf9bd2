from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channels.adapters import get_adapter
from channels.adapters.base import AdapterError, MalformedPush, StockPushItem
from marketplaces.adapters import lazada, tiktok

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_bytes(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


# --- TikTok Shop -------------------------------------------------------------------------------
def test_tiktok_api_signature_follows_the_recipe_by_hand():
    params = {"timestamp": 1700000000, "app_key": "k", "shop_cipher": "GCP_x", "sign": "old", "access_token": "t"}
    base = b"secret" + b"/order/202309/orders" + b"app_keykshop_cipherGCP_xtimestamp1700000000" + b'{"a":1}' + b"secret"
    expected = hmac.new(b"secret", base, hashlib.sha256).hexdigest()

    assert tiktok.api_signature("secret", "/order/202309/orders", params, b'{"a":1}') == expected


def test_tiktok_push_is_verified_over_app_key_and_raw_body(make_channel):
    channel = make_channel("tiktok")
    body = fixture_bytes("tiktok", "push_order_status.json")
    signature = hmac.new(b"tts-app-secret", b"tts-app-key" + body, hashlib.sha256).hexdigest()
    adapter = get_adapter(channel)

    assert adapter.verify_push(body, {"Authorization": signature})
    assert not adapter.verify_push(body + b" ", {"Authorization": signature})
    assert not adapter.verify_push(body, {"Authorization": "nope"})


def test_tiktok_push_is_parsed(make_channel):
    info = get_adapter(make_channel("tiktok")).parse_push(fixture_bytes("tiktok", "push_order_status.json"))
    assert (info.external_event_id, info.shop_id, info.event_type) == ("7327112393057371910", "7495012348800", "1")
    assert info.order_ids == ["576461413038785752"]
    assert info.status == "AWAITING_SHIPMENT"
    with pytest.raises(MalformedPush):
        get_adapter(make_channel("tiktok", code="TT2", name="t2", shop_id="2")).parse_push(b'{"shop_id": "1"}')


def test_tiktok_order_groups_unit_line_items_back_into_lines():
    raw = json.loads(fixture_bytes("tiktok", "get_order_detail.json"))["data"]["orders"][0]

    order = tiktok.to_external_order(raw)

    assert order.external_id == "576461413038785752"
    assert order.total_amount == 144000
    assert order.shipping_amount == 9000
    assert order.discount_amount == 15000
    assert order.shipping_city == "Kota Bandung"
    assert order.shipping_province == "Jawa Barat"
    black, white = order.lines
    assert (black.sku, black.quantity, black.unit_price_amount, black.discount_amount) == ("TSH-HTM-M", 2, 50000, 10000)
    assert (white.sku, white.quantity, white.discount_amount) == ("TSH-PTH-L", 1, 0)
    assert black.model_id == "1729382476852921560"


def test_tiktok_fetch_list_and_stock_against_the_fake(make_channel, fake):
    now = int(datetime.now(tz=UTC).timestamp())
    for i in range(130):
        fake.put_order("tiktok", f"5764{i:04d}", status="AWAITING_SHIPMENT", lines=[("SKU-T", 2, 30000)],
                       update_time=now - i)
    adapter = get_adapter(make_channel("tiktok", fake))

    ids = adapter.list_orders_updated_since(datetime.now(tz=UTC) - timedelta(hours=1), datetime.now(tz=UTC)
                                            + timedelta(seconds=5))
    orders = adapter.fetch_orders(ids[:60])
    fake.stock_failures = {"SKU2"}
    results = adapter.push_stock([
        StockPushItem(sku="A", quantity=5, item_id="P1", model_id="SKU1"),
        StockPushItem(sku="B", quantity=6, item_id="P1", model_id="SKU2"),
        StockPushItem(sku="C", quantity=7, item_id="P2", model_id="SKU3"),
    ])

    assert len(ids) == 130
    assert len(orders) == 60
    assert orders[0].lines[0].quantity == 2
    assert [r.ok for r in results] == [True, False, True]
    assert [u[1]["product_id"] for u in fake.stock_updates] == ["P1", "P2"]
    assert all(status == 200 for _p, _path, status in fake.calls)


def test_tiktok_wrong_secret_is_refused(make_channel, fake):
    channel = make_channel("tiktok", fake, credentials={"app_key": "tts-app-key", "app_secret": "bad",
                                                        "access_token": "tts-access-token"})
    with pytest.raises(AdapterError, match="Invalid signature"):
        get_adapter(channel).fetch_orders(["1"])


# --- Lazada ------------------------------------------------------------------------------------
def test_lazada_api_signature_follows_the_recipe_by_hand():
    params = {"app_key": "100123", "timestamp": 1700000000000, "sign_method": "sha256", "order_id": "42"}
    base = "/order/get" + "app_key100123" + "order_id42" + "sign_methodsha256" + "timestamp1700000000000"
    expected = hmac.new(b"s3cret", base.encode(), hashlib.sha256).hexdigest().upper()

    assert lazada.api_signature("s3cret", "/order/get", params) == expected


def test_lazada_push_is_verified_and_parsed(make_channel):
    adapter = get_adapter(make_channel("lazada"))
    body = fixture_bytes("lazada", "push_order_status.json")
    signature = hmac.new(b"lazada-app-secret", b"100123" + body, hashlib.sha256).hexdigest()

    assert adapter.verify_push(body, {"Authorization": signature})
    assert not adapter.verify_push(body, {"Authorization": signature.upper()[:-1]})
    info = adapter.parse_push(body)
    assert (info.shop_id, info.event_type, info.order_ids, info.status) == (
        "1234567", "0", ["260123456789012"], "pending"
    )
    assert info.external_event_id == ""


def test_lazada_order_and_items_map_to_an_external_order():
    head = json.loads(fixture_bytes("lazada", "get_order.json"))["data"]
    items = json.loads(fixture_bytes("lazada", "get_order_items.json"))["data"][0]["order_items"]

    order = lazada.to_external_order(head, items)

    assert order.external_id == "260123456789012"
    assert order.status == "pending"
    assert order.placed_at == datetime(2020, 10, 26, 7, 50, tzinfo=UTC)
    assert order.is_cod
    assert (order.total_amount, order.shipping_amount, order.discount_amount) == (203000, 15000, 10000)
    (line,) = order.lines
    assert (line.sku, line.quantity, line.unit_price_amount, line.discount_amount) == ("TAS-KNV-CKL", 2, 99000, 10000)
    assert order.shipping_name == "Dewi Lestari"
    assert order.shipping_province == "Jawa Tengah"


def test_lazada_fetch_list_and_stock_against_the_fake(make_channel, fake):
    now = int(datetime.now(tz=UTC).timestamp())
    for i in range(150):
        fake.put_order("lazada", f"2601{i:06d}", status="pending", lines=[("TAS", 2, 99000)], update_time=now - i)
    adapter = get_adapter(make_channel("lazada", fake))

    ids = adapter.list_orders_updated_since(datetime.now(tz=UTC) - timedelta(hours=1),
                                            datetime.now(tz=UTC) + timedelta(seconds=5))
    orders = adapter.fetch_orders(ids[:3])
    fake.stock_failures = {"B"}
    results = adapter.push_stock([StockPushItem(sku="A", quantity=1, item_id="1"),
                                  StockPushItem(sku="B", quantity=2, item_id="2", model_id="22"),
                                  StockPushItem(sku="C", quantity=3)])

    assert len(ids) == 150
    assert [o.lines[0].quantity for o in orders] == [2, 2, 2]
    assert [r.ok for r in results] == [True, False, False]
    assert "<SellerSku>B</SellerSku><SellableQuantity>2</SellableQuantity>" in fake.stock_updates[0][1]["payload"]
    assert all(status == 200 for _p, _path, status in fake.calls)
