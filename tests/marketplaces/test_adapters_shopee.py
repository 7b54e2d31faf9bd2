from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channels.adapters import get_adapter
from channels.adapters.base import AdapterError, MalformedPush, StockPushItem, TransientAdapterError
from marketplaces.adapters import shopee

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopee"
CALLBACK = "https://oms.example.id/webhooks/shopee/"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_push_signature_matches_the_spec_vector():
    body = fixture_bytes("push_order_status.json")
    assert shopee.push_signature("test-partner-key", CALLBACK, body) == (
        "39cf5dc158fa03f2c48db618b8547b2f6fe17c45bad1968b8b54034df8404e2e"
    )


def test_api_signature_matches_the_spec_vector():
    sign = shopee.api_signature(
        "test-partner-key", "2001887", "/api/v2/order/get_order_detail", 1660123200, "test-access-token", "727720655"
    )
    assert sign == "44a47c05546cecabc6f9daffcff1ff663357997ba651ed09a05893480599b501"


def test_verify_push_accepts_the_vector_and_refuses_any_change(make_channel):
    adapter = get_adapter(make_channel("shopee"))
    body = fixture_bytes("push_order_status.json")
    good = {"Authorization": "39cf5dc158fa03f2c48db618b8547b2f6fe17c45bad1968b8b54034df8404e2e"}

    assert adapter.verify_push(body, good)
    assert not adapter.verify_push(body.replace(b"READY_TO_SHIP", b"CANCELLED"), good)
    assert not adapter.verify_push(body, {"Authorization": "0" * 64})
    assert not adapter.verify_push(body, {})


def test_verify_push_uses_the_push_key_when_it_differs_from_the_partner_key(make_channel):
    channel = make_channel("shopee", credentials={"partner_id": "1", "partner_key": "api-key", "push_key": "push"})
    body = fixture_bytes("push_order_status.json")

    assert get_adapter(channel).verify_push(body, {"authorization": shopee.push_signature("push", CALLBACK, body)})
    api_key_signature = shopee.push_signature("api-key", CALLBACK, body)
    assert not get_adapter(channel).verify_push(body, {"Authorization": api_key_signature})


def test_verify_push_depends_on_the_registered_callback_url(make_channel):
    channel = make_channel("shopee", callback_url="https://other.example.id/webhooks/shopee/")
    body = fixture_bytes("push_order_status.json")
    assert not get_adapter(channel).verify_push(body, {"Authorization": shopee.push_signature(
        "test-partner-key", CALLBACK, body)})


def test_parse_push_reads_an_order_status_push(make_channel):
    info = get_adapter(make_channel("shopee")).parse_push(fixture_bytes("push_order_status.json"))

    assert info.external_event_id == "a1b2c3"
    assert info.shop_id == "727720655"
    assert info.event_type == "3"
    assert info.order_ids == ["220810QSK8S7BX"]
    assert info.status == "READY_TO_SHIP"
    assert info.updated_at == datetime.fromtimestamp(1660123127, tz=UTC)


def test_parse_push_reads_tracking_and_shop_pushes(make_channel):
    adapter = get_adapter(make_channel("shopee"))
    assert adapter.parse_push(fixture_bytes("push_tracking_number.json")).order_ids == ["220810QSK8S7BX"]
    authorised = adapter.parse_push(fixture_bytes("push_shop_authorised.json"))
    assert authorised.event_type == "1"
    assert authorised.order_ids == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"shop_id": 1}', b'{"code": "x"}'])
def test_parse_push_refuses_malformed_bodies(make_channel, body):
    with pytest.raises(MalformedPush):
        get_adapter(make_channel("shopee")).parse_push(body)


def test_order_detail_maps_to_an_external_order():
    raw = json.loads(fixture_bytes("get_order_detail.json"))["response"]["order_list"][0]

    order = shopee.to_external_order(raw)

    assert order.external_id == "220810QSK8S7BX"
    assert order.status == "READY_TO_SHIP"
    assert order.total_amount == 125000
    assert order.shipping_amount == 12000
    assert order.placed_at == datetime.fromtimestamp(1660120000, tz=UTC)
    assert order.paid_at == datetime.fromtimestamp(1660120100, tz=UTC)
    assert order.ship_by == datetime.fromtimestamp(1660292800, tz=UTC)
    assert order.shipping_name == "Siti Nurhaliza"
    assert order.shipping_city == "Kota Jakarta Selatan"
    assert order.shipping_province == "DKI Jakarta"
    assert order.shipping_postal_code == "12430"
    assert order.courier == "SPX Standard"
    batik, mask = order.lines
    assert (batik.sku, batik.quantity, batik.unit_price_amount) == ("BTK-KMJ-BIRU-L", 1, 89000)
    assert batik.discount_amount == 10000
    assert (batik.item_id, batik.model_id) == ("21345678901", "150123456789")
    assert (mask.sku, mask.quantity, mask.unit_price_amount, mask.discount_amount) == ("MSK-3L", 2, 17000, 0)
    assert sum(line.unit_price_amount * line.quantity - line.discount_amount for line in order.lines) + 12000 == 125000


def test_fetch_orders_calls_the_signed_api_and_maps_the_answer(make_channel, fake):
    fake.put_order("shopee", "2211AAA", status="READY_TO_SHIP", lines=[("SKU-A", 2, 50000)])
    fake.put_order("shopee", "2211BBB", status="UNPAID", lines=[("SKU-B", 1, 75000)])
    adapter = get_adapter(make_channel("shopee", fake))

    orders = adapter.fetch_orders(["2211AAA", "2211BBB", "2211AAA"])

    assert sorted((o.external_id, o.status, o.total_amount) for o in orders) == [
        ("2211AAA", "READY_TO_SHIP", 110000), ("2211BBB", "UNPAID", 85000)
    ]
    assert [c[2] for c in fake.calls] == [200]


def test_fetch_orders_batches_fifty_order_numbers_per_call(make_channel, fake):
    for i in range(120):
        fake.put_order("shopee", f"BATCH{i:03d}", status="READY_TO_SHIP")
    adapter = get_adapter(make_channel("shopee", fake))

    orders = adapter.fetch_orders([f"BATCH{i:03d}" for i in range(120)])

    assert len(orders) == 120
    assert len(fake.calls) == 3


def test_a_wrong_partner_key_is_refused_by_the_marketplace(make_channel, fake):
    fake.put_order("shopee", "2211AAA", status="READY_TO_SHIP")
    channel = make_channel("shopee", fake, credentials={**fake.creds.for_channel("shopee"), "partner_key": "wrong"})

    with pytest.raises(AdapterError, match="error_sign"):
        get_adapter(channel).fetch_orders(["2211AAA"])


def test_a_server_error_is_transient(make_channel, fake):
    fake.fail_next = 1
    with pytest.raises(TransientAdapterError):
        get_adapter(make_channel("shopee", fake)).fetch_orders(["X"])


def test_list_orders_walks_cursor_pages_and_fifteen_day_windows(make_channel, fake):
    now = datetime.now(tz=UTC).replace(microsecond=0)
    for i in range(230):
        fake.put_order("shopee", f"L{i:03d}", status="READY_TO_SHIP", update_time=int(now.timestamp()) - i * 600)
    fake.put_order("shopee", "OLD", status="COMPLETED", update_time=int((now - timedelta(days=20)).timestamp()))
    adapter = get_adapter(make_channel("shopee", fake))

    ids = adapter.list_orders_updated_since(now - timedelta(days=40), now)

    assert len(ids) == 231
    list_calls = [c for c in fake.calls if c[1].endswith("get_order_list")]
    assert len(list_calls) == 5  # 3 windows; the newest holds 230 orders in 3 pages of 100
    assert all(status == 200 for _p, _path, status in fake.calls)


def test_push_stock_batches_fifty_models_per_item_and_reports_each(make_channel, fake):
    fake.stock_failures = {"7"}
    items = [StockPushItem(sku=f"SKU-{m}", quantity=m, item_id="1000", model_id=str(m)) for m in range(1, 61)]
    items += [StockPushItem(sku="SOLO", quantity=-3, item_id="2000"), StockPushItem(sku="UNMAPPED", quantity=1)]
    adapter = get_adapter(make_channel("shopee", fake))

    results = adapter.push_stock(items)

    assert [r.sku for r in results] == [i.sku for i in items]
    assert [r.sku for r in results if not r.ok] == ["SKU-7", "UNMAPPED"]
    assert results[6].error == "model is not active"
    pushed = [payload for provider, payload in fake.stock_updates if provider == "shopee"]
    assert [(p["item_id"], len(p["stock_list"])) for p in pushed] == [(1000, 50), (1000, 10), (2000, 1)]
    assert pushed[2]["stock_list"][0] == {"model_id": 0, "seller_stock": [{"location_id": "-", "stock": 0}]}


def test_push_stock_reports_a_refused_call_on_every_item_of_the_batch(make_channel, fake):
    fake.fail_next = 1
    items = [StockPushItem(sku="A", quantity=1, item_id="1", model_id="1"), StockPushItem(sku="B", quantity=1,
                                                                                            item_id="2")]
    results = get_adapter(make_channel("shopee", fake)).push_stock(items)
    assert [r.ok for r in results] == [False, True]
    assert "503" in results[0].error
