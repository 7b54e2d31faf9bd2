"""Issue 4 "Reliability": duplicates, races, order of arrival, crash recovery — on PostgreSQL, real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import StockMovement
from core.models import InboundDelivery
from marketplaces import tasks
from orders.models import Order
from tests.channel_fixtures import SHOPEE_CALLBACK
from tests.concurrency import race as _race

pytestmark = [
    pytest.mark.django_db(transaction=True),
]
Status = InboundDelivery.Status




@pytest.fixture
def shop(make_channel, fake, make_variant):
    channel = make_channel("shopee", fake)
    variant = make_variant("KAOS-L", stock=10)
    return channel, variant


def _send(fake, live_server, order_id: str, **kwargs):
    return fake.send_push("shopee", order_id, url=f"{live_server.url}/webhooks/shopee/", callback_url=SHOPEE_CALLBACK,
                          **kwargs)


def _reservations(order: Order) -> int:
    return StockMovement.objects.filter(reference=f"order:{order.id}", kind="reserve").count()


def test_the_same_push_delivered_five_times_in_a_row_makes_one_order_and_one_reservation(
    shop, fake, live_server, stock_of
):
    channel, kaos = shop
    fake.put_order("shopee", "2211SEQ", status="READY_TO_SHIP", lines=[("KAOS-L", 2, 50000)])

    codes = [_send(fake, live_server, "2211SEQ", event_id="msg-seq").status_code for _ in range(5)]

    assert codes == [200] * 5
    order = Order.objects.get(channel=channel)
    assert _reservations(order) == 1
    assert stock_of(kaos) == (10, 2)
    assert sorted(InboundDelivery.objects.values_list("status", flat=True)) == [Status.DUPLICATE] * 4 + [
        Status.PROCESSED
    ]


def test_the_same_push_delivered_five_times_at_once_makes_one_order_and_one_reservation(
    shop, fake, live_server, stock_of
):
    channel, kaos = shop
    fake.put_order("shopee", "2211CONC", status="READY_TO_SHIP", lines=[("KAOS-L", 2, 50000)])

    results = _race(5, lambda: _send(fake, live_server, "2211CONC", event_id="msg-conc").status_code)

    assert results == [200] * 5
    order = Order.objects.get(channel=channel)
    assert _reservations(order) == 1
    assert stock_of(kaos) == (10, 2)
    statuses = list(InboundDelivery.objects.values_list("status", flat=True))
    assert sorted(statuses) == [Status.DUPLICATE] * 4 + [Status.PROCESSED]


def test_five_different_pushes_about_one_order_at_once_make_one_order_and_one_reservation(
    shop, fake, live_server, stock_of
):
    channel, kaos = shop
    fake.put_order("shopee", "2211MANY", status="READY_TO_SHIP", lines=[("KAOS-L", 3, 50000)])

    results = _race(5, lambda: _send(fake, live_server, "2211MANY").status_code)

    assert results == [200] * 5
    order = Order.objects.get(channel=channel)
    assert _reservations(order) == 1
    assert stock_of(kaos) == (10, 3)
    assert list(InboundDelivery.objects.values_list("status", flat=True)) == [Status.PROCESSED] * 5


def test_pushes_arriving_out_of_order_end_in_the_latest_state(shop, fake, live_server, stock_of):
    channel, kaos = shop
    # given an order that was paid and then shipped; both pushes are held back by the network
    fake.put_order("shopee", "2211OOO", status="READY_TO_SHIP", lines=[("KAOS-L", 1, 50000)])
    paid_push = fake.push_body("shopee", "2211OOO", event_id="msg-paid")
    fake.put_order("shopee", "2211OOO", status="SHIPPED")
    shipped_push = fake.push_body("shopee", "2211OOO", event_id="msg-shipped")
    url = f"{live_server.url}/webhooks/shopee/"

    def deliver(body: bytes):
        import requests

        return requests.post(url, data=body, headers=fake.sign_push("shopee", body, callback_url=SHOPEE_CALLBACK),
                             timeout=10)

    # when the shipped push arrives first and the paid push afterwards
    assert deliver(shipped_push).status_code == 200
    assert deliver(paid_push).status_code == 200
    # then the order is shipped and its stock committed once
    order = Order.objects.get(channel=channel)
    assert order.status == "shipped"
    assert stock_of(kaos) == (9, 0)
    # and a stale read from the marketplace (it briefly answers READY_TO_SHIP again) does not move it back
    fake.put_order("shopee", "2211OOO", status="READY_TO_SHIP")
    assert _send(fake, live_server, "2211OOO", event_id="msg-stale").status_code == 200
    order.refresh_from_db()
    assert order.status == "shipped"
    assert stock_of(kaos) == (9, 0)
    assert InboundDelivery.objects.filter(status=Status.PROCESSED).count() == 3


def test_a_cancellation_followed_by_a_late_paid_push_stays_cancelled_and_releases_stock(
    shop, fake, live_server, stock_of
):
    channel, kaos = shop
    fake.put_order("shopee", "2211CXL", status="READY_TO_SHIP", lines=[("KAOS-L", 2, 50000)])
    assert _send(fake, live_server, "2211CXL", event_id="msg-a").status_code == 200
    assert stock_of(kaos) == (10, 2)
    late_paid = fake.push_body("shopee", "2211CXL", event_id="msg-late")

    fake.put_order("shopee", "2211CXL", status="CANCELLED")
    assert _send(fake, live_server, "2211CXL", event_id="msg-b").status_code == 200
    fake.put_order("shopee", "2211CXL", status="READY_TO_SHIP")  # a stale answer for the late push
    import requests

    requests.post(f"{live_server.url}/webhooks/shopee/", data=late_paid,
                  headers=fake.sign_push("shopee", late_paid, callback_url=SHOPEE_CALLBACK), timeout=10)

    assert Order.objects.get(channel=channel).status == "cancelled"
    assert stock_of(kaos) == (10, 0)


def test_a_delivery_stored_but_never_processed_is_recovered_by_the_sweep(shop, fake, live_server, monkeypatch):
    channel, _kaos = shop
    fake.put_order("shopee", "2211CRASH", status="READY_TO_SHIP", lines=[("KAOS-L", 1, 50000)])

    # given the process died right after storing the delivery (the task was never queued)
    def broker_gone(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliveries_drain, "delay", broker_gone)
    assert _send(fake, live_server, "2211CRASH").status_code == 200
    monkeypatch.undo()
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.RECEIVED
    assert not Order.objects.exists()
    # when the periodic sweep runs a few minutes later
    InboundDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timedelta(minutes=11))
    assert tasks.deliveries_sweep() == 1
    # then the delivery is processed and the order exists
    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED
    assert Order.objects.filter(channel=channel, external_id="2211CRASH").count() == 1
    # and a second sweep finds nothing left
    assert tasks.deliveries_sweep() == 0


def test_a_worker_that_died_while_processing_is_recovered_by_the_sweep(shop, fake, live_server, monkeypatch):
    channel, _kaos = shop
    fake.put_order("shopee", "2211DIED", status="READY_TO_SHIP")
    monkeypatch.setattr(tasks.deliveries_drain, "delay", lambda *a, **k: None)
    _send(fake, live_server, "2211DIED")
    monkeypatch.undo()
    # given a worker claimed it twenty minutes ago and vanished
    InboundDelivery.objects.update(status=Status.PROCESSING, claimed_at=timezone.now() - timedelta(minutes=20),
                                   attempts=1)
    # when the sweep runs, then it is processed
    assert tasks.deliveries_sweep() == 1
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 2)
    assert Order.objects.filter(channel=channel).count() == 1


def test_a_fresh_claim_or_a_recent_delivery_is_left_alone_by_the_sweep(shop, fake, live_server, monkeypatch):
    fake.put_order("shopee", "2211BUSY", status="READY_TO_SHIP")
    monkeypatch.setattr(tasks.deliveries_drain, "delay", lambda *a, **k: None)
    _send(fake, live_server, "2211BUSY")
    InboundDelivery.objects.update(status=Status.PROCESSING, claimed_at=timezone.now())
    assert tasks.deliveries_sweep() == 0
    # nor is a delivery received a few minutes ago: it may still be waiting in a busy queue
    InboundDelivery.objects.update(status=Status.RECEIVED, received_at=timezone.now() - timedelta(minutes=3))
    assert tasks.deliveries_sweep() == 0


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"headers": {"Authorization": "0" * 64}}, 401, "bad signature"),
        ({"shop_id": "1"}, 401, "unknown shop 727720655"),
        ({"body": b'{"code": 3, "shop_id"'}, 400, "malformed JSON"),
        ({"body": b'{"code": 3, "shop_id": 727720655, "x": "' + b"y" * 70_000 + b'"}'}, 413, "body too large"),
    ],
)
def test_rejected_pushes_are_recorded_and_nothing_is_processed(make_channel, fake, live_server, change, status,
                                                               reason):
    import requests

    make_channel("shopee", fake, shop_id=change.get("shop_id", "727720655"))
    fake.put_order("shopee", "2211REJ", status="READY_TO_SHIP")
    body = change.get("body") or fake.push_body("shopee", "2211REJ")
    headers = fake.sign_push("shopee", body, callback_url=SHOPEE_CALLBACK)
    headers.update(change.get("headers", {}))

    response = requests.post(f"{live_server.url}/webhooks/shopee/", data=body, headers=headers, timeout=10)

    assert response.status_code == status
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert delivery.error.startswith(reason)
    assert not Order.objects.exists()
    assert fake.calls == []
