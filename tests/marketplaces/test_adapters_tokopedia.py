from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from channels.adapters import get_adapter
from channels.adapters.base import StockPushItem
from core.models import InboundDelivery
from marketplaces.adapters import tokopedia
from orders.models import Order

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tokopedia"


def test_tokopedia_push_is_verified_over_the_raw_body_with_the_webhook_secret(make_channel):
    adapter = get_adapter(make_channel("tokopedia"))
    body = (FIXTURES / "push_order_status.json").read_bytes()
    signature = hmac.new(b"tkpd-webhook-secret", body, hashlib.sha256).hexdigest()

    assert adapter.verify_push(body, {"Authorization-Hmac": signature})
    assert not adapter.verify_push(body.replace(b"220", b"700"), {"Authorization-Hmac": signature})
    assert not adapter.verify_push(body, {"Authorization": signature})
    info = adapter.parse_push(body)
    assert (info.shop_id, info.order_ids, info.status) == ("4821553", ["987654321"], "220")


def test_tokopedia_single_order_maps_to_an_external_order():
    data = json.loads((FIXTURES / "get_single_order.json").read_bytes())["data"]

    order = tokopedia.to_external_order(data)

    assert (order.external_id, order.status, order.total_amount, order.shipping_amount) == (
        "987654321", "220", 167000, 18000)
    assert order.placed_at == datetime(2023, 11, 14, 22, 10, tzinfo=UTC)
    assert [(line.sku, line.quantity, line.unit_price_amount) for line in order.lines] == [
        ("FLN-KTK-M", 1, 99000), ("KKK-3P", 2, 25000)]
    assert sum(line.quantity * line.unit_price_amount for line in order.lines) + order.shipping_amount == 167000
    assert order.shipping_province == "Jawa Barat"


def test_tokopedia_fetch_list_and_stock_against_the_fake(make_channel, fake):
    adapter = get_adapter(make_channel("tokopedia", fake))
    fake.put_order("tokopedia", "900001", status="220", lines=[("FLN", 1, 99000)])
    fake.put_order("tokopedia", "900002", status="400")
    fake.stock_failures = {"2"}

    ids = adapter.list_orders_updated_since(datetime.now(tz=UTC) - timedelta(days=7), datetime.now(tz=UTC))
    orders = adapter.fetch_orders(ids)
    results = adapter.push_stock([StockPushItem(sku="A", quantity=3, item_id="1"),
                                  StockPushItem(sku="B", quantity=3, item_id="2")])

    assert sorted(ids) == ["900001", "900002"]
    assert sorted(o.status for o in orders) == ["220", "400"]
    assert [r.ok for r in results] == [True, False]
    assert len([c for c in fake.calls if c[1].endswith("/v2/order/list")]) == 3  # three 3-day windows
    assert all(status == 200 for _p, _path, status in fake.calls)


def test_a_tokopedia_push_becomes_an_order(make_channel, fake, post_push, django_capture_on_commit_callbacks):
    channel = make_channel("tokopedia", fake)
    fake.put_order("tokopedia", "900003", status="220", lines=[("FLN", 2, 99000)])
    with django_capture_on_commit_callbacks(execute=True):
        assert post_push(fake, "tokopedia", "900003").status_code == 200

    order = Order.objects.get(channel=channel)
    assert (order.external_id, order.status, order.total_amount) == ("900003", "paid", 208000)
    assert InboundDelivery.objects.get().status == "processed"
