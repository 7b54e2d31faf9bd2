"""Webhook intake: size, JSON, shop, signature, storage, duplicates, then processing in a task."""

from __future__ import annotations

import time

import pytest

from channels.adapters.base import TransientAdapterError
from core.models import InboundDelivery
from marketplaces import services
from orders.models import Order

Status = InboundDelivery.Status


@pytest.fixture
def shopee(make_channel, fake):
    return make_channel("shopee", fake)


def test_a_good_shopee_push_is_stored_answered_empty_and_processed_into_an_order(
    shopee, fake, post_push, make_variant, stock_of, django_capture_on_commit_callbacks
):
    # given an order on the marketplace for a SKU we stock
    kaos = make_variant("KAOS-L", stock=10)
    fake.put_order("shopee", "2211ORDER1", status="READY_TO_SHIP", lines=[("KAOS-L", 2, 50000)])
    # when Shopee pushes its status
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_push(fake, "shopee", "2211ORDER1", event_id="msg-1")
    # then the push is answered at once with an empty body and processed in the task
    assert response.status_code == 200
    assert response.content == b""
    assert callbacks  # the drain was queued after commit (later ones are the order's own side effects)
    delivery = InboundDelivery.objects.get()
    assert (delivery.provider, delivery.account_ref, delivery.external_id, delivery.event_type) == (
        "shopee", "727720655", "msg-1", "3"
    )
    assert delivery.channel == shopee
    assert bytes(delivery.body) == fake.push_body("shopee", "2211ORDER1", event_id="msg-1")
    assert delivery.headers["Authorization"]
    assert delivery.remote_addr == "127.0.0.1"
    assert (delivery.status, delivery.attempts, delivery.error) == (Status.PROCESSED, 1, "")
    order = Order.objects.get(channel=shopee, external_id="2211ORDER1")
    assert order.status == "paid"
    assert order.total_amount == 110000
    assert stock_of(kaos) == (10, 2)


def test_the_same_push_seen_before_is_acknowledged_stored_as_duplicate_and_not_processed(
    shopee, fake, post_push, django_capture_on_commit_callbacks
):
    fake.put_order("shopee", "2211DUP", status="READY_TO_SHIP")
    with django_capture_on_commit_callbacks(execute=False) as first:
        assert post_push(fake, "shopee", "2211DUP", event_id="msg-dup").status_code == 200
    with django_capture_on_commit_callbacks(execute=False) as second:
        assert post_push(fake, "shopee", "2211DUP", event_id="msg-dup").status_code == 200

    assert len(first) == 1
    assert len(second) == 0
    assert sorted(InboundDelivery.objects.values_list("status", flat=True)) == [Status.DUPLICATE, Status.RECEIVED]


def test_a_push_without_an_event_id_is_deduplicated_by_its_body(make_channel, fake, post_push,
                                                               django_capture_on_commit_callbacks):
    make_channel("lazada", fake)
    fake.put_order("lazada", "260100000001", status="pending")
    body = fake.push_body("lazada", "260100000001")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_push(fake, "lazada", "260100000001", body=body)
        post_push(fake, "lazada", "260100000001", body=body)

    assert len(callbacks) == 1
    received = InboundDelivery.objects.get(status=Status.RECEIVED)
    assert received.external_id.startswith("sha256:")
    assert InboundDelivery.objects.filter(status=Status.DUPLICATE).count() == 1


def test_a_bad_signature_is_refused_with_401_and_recorded_as_rejected(shopee, fake, post_push,
                                                                     django_capture_on_commit_callbacks):
    fake.put_order("shopee", "2211BAD", status="READY_TO_SHIP")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_push(fake, "shopee", "2211BAD", headers={"Authorization": "f" * 64})

    assert response.status_code == 401
    assert callbacks == []
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.error, delivery.channel) == (Status.REJECTED, "bad signature", shopee)
    assert not Order.objects.exists()


def test_a_push_for_an_unknown_shop_is_refused_with_401_and_recorded(fake, post_push, make_channel):
    make_channel("shopee", fake, shop_id="999")
    fake.put_order("shopee", "2211UNK", status="READY_TO_SHIP")

    response = post_push(fake, "shopee", "2211UNK")

    assert response.status_code == 401
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.account_ref, delivery.channel) == (Status.REJECTED, "727720655", None)
    assert delivery.error == "unknown shop 727720655"


def test_a_push_for_an_inactive_channel_is_refused(fake, post_push, make_channel):
    make_channel("shopee", fake, is_active=False)
    fake.put_order("shopee", "2211OFF", status="READY_TO_SHIP")
    assert post_push(fake, "shopee", "2211OFF").status_code == 401


def test_malformed_json_is_refused_with_400_and_recorded(shopee, fake, post_push):
    response = post_push(fake, "shopee", "", body=b'{"code": 3, "shop_id": ')

    assert response.status_code == 400
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert delivery.error.startswith("malformed JSON")
    assert bytes(delivery.body) == b'{"code": 3, "shop_id": '


def test_an_oversized_body_is_refused_with_413_and_recorded_without_the_body(shopee, fake, post_push):
    body = b'{"code": 3, "shop_id": 727720655, "pad": "' + b"x" * 70_000 + b'"}'

    response = post_push(fake, "shopee", "", body=body)

    assert response.status_code == 413
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert delivery.error.startswith("body too large")
    assert bytes(delivery.body) == b""


def test_only_post_is_allowed(client):
    assert client.get("/webhooks/shopee/").status_code == 405


def test_a_tiktok_push_is_processed_into_an_order(make_channel, fake, post_push,
                                                  django_capture_on_commit_callbacks):
    channel = make_channel("tiktok", fake)
    fake.put_order("tiktok", "576461413038785752", status="AWAITING_SHIPMENT", lines=[("TSH", 3, 45000)])
    with django_capture_on_commit_callbacks(execute=True):
        assert post_push(fake, "tiktok", "576461413038785752").status_code == 200

    order = Order.objects.get(channel=channel)
    assert (order.external_id, order.status, order.total_amount) == ("576461413038785752", "paid", 145000)
    assert order.lines.get().quantity == 3
    assert InboundDelivery.objects.get().status == Status.PROCESSED


def test_a_lazada_push_is_processed_into_an_order(make_channel, fake, post_push, django_capture_on_commit_callbacks):
    channel = make_channel("lazada", fake)
    fake.put_order("lazada", "260100000002", status="pending", lines=[("TAS", 2, 99000)])
    with django_capture_on_commit_callbacks(execute=True):
        assert post_push(fake, "lazada", "260100000002").status_code == 200

    order = Order.objects.get(channel=channel)
    assert (order.status, order.total_amount) == ("paid", 208000)
    assert InboundDelivery.objects.get().status == Status.PROCESSED


def test_a_marketplace_that_is_down_leaves_the_delivery_queued_then_failed_on_the_last_attempt(
    shopee, fake, post_push, django_capture_on_commit_callbacks
):
    # given the marketplace API answers 503
    fake.put_order("shopee", "2211DOWN", status="READY_TO_SHIP")
    fake.fail_next = 100
    # when the push arrives
    with django_capture_on_commit_callbacks(execute=True):
        response = post_push(fake, "shopee", "2211DOWN")
    # then the provider still got its 200 and the delivery waits for the retry with the reason
    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.RECEIVED, 1)
    assert "503" in delivery.error
    # and when the last attempt fails too, it is failed for staff to see and retry
    with pytest.raises(TransientAdapterError):
        services.delivery_process(delivery_id=delivery.pk, final_attempt=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 2)
    assert not Order.objects.exists()
    # and once the marketplace is back, a staff retry processes it
    fake.fail_next = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_retry(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED
    assert Order.objects.filter(external_id="2211DOWN").exists()


def test_a_push_for_an_order_the_marketplace_does_not_return_yet_waits_for_a_retry(
    shopee, fake, post_push, django_capture_on_commit_callbacks
):
    fake.put_order("shopee", "2211GHOST", status="READY_TO_SHIP")
    body = fake.push_body("shopee", "2211GHOST")
    fake.orders.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_push(fake, "shopee", "2211GHOST", body=body)

    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.RECEIVED
    assert "did not return order(s) 2211GHOST" in delivery.error


def test_a_shop_push_without_orders_is_processed_without_calling_the_marketplace(
    shopee, fake, post_push, django_capture_on_commit_callbacks
):
    now = int(time.time())
    body = b'{"data":{"shop_id":727720655,"success":1},"shop_id":727720655,"code":1,"timestamp":%d}' % now
    with django_capture_on_commit_callbacks(execute=True):
        assert post_push(fake, "shopee", "", body=body).status_code == 200

    assert InboundDelivery.objects.get().status == Status.PROCESSED
    assert fake.calls == []
