"""Biteship and KiriminAja webhooks: auth, the install test, raw storage, replays, out-of-order."""

import json
from pathlib import Path

import pytest

from core.models import InboundDelivery
from orders.models import OrderStatus
from shipping.models import Shipment, ShipmentStatus, TrackingEvent, WeightDispute
from shipping.services.inbound import delivery_process
from tests.shipping.factories import account

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
S = ShipmentStatus


def _body(name: str, **changes) -> bytes:
    payload = json.loads((FIXTURES / name).read_text())
    payload.update(changes)
    return json.dumps(payload).encode()


@pytest.fixture
def biteship(db):
    return account("biteship", base_url="http://127.0.0.1:9", secret="s3cret-hook")


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def send(url: str, body: bytes, **headers):
        with django_capture_on_commit_callbacks(execute=False):
            return client.post(url, data=body, content_type="application/json", **headers)

    return send


def _process_all():
    for pk in InboundDelivery.objects.filter(status="received").values_list("pk", flat=True):
        delivery_process(delivery_id=pk)


def test_the_install_test_without_event_gets_200_even_without_a_secret(post, biteship):
    response = post("/webhooks/biteship/", _body("biteship/installation_test.json"))
    assert response.status_code == 200 and response.content == b""
    assert InboundDelivery.objects.get().status == "rejected"


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_OMS_WEBHOOK_SECRET": "wrong"}])
def test_a_biteship_event_without_the_right_secret_is_refused_and_kept(post, biteship, headers):
    response = post("/webhooks/biteship/", _body("biteship/order_status_delivered.json"), **headers)
    assert response.status_code == 401
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "rejected" and "secret" in delivery.error
    assert delivery.headers.get("X-Oms-Webhook-Secret") in (None, "[redacted]")


def test_malformed_json_is_a_400(post, biteship):
    assert post("/webhooks/biteship/", b"{not json", HTTP_X_OMS_WEBHOOK_SECRET="s3cret-hook").status_code == 400


def test_a_delivered_event_moves_the_shipment_and_the_order_once(post, biteship, shipped):
    shipment = shipped("CM-BITE-001")
    Shipment.objects.filter(pk=shipment.pk).update(account=biteship, provider_order_id="5dd599ebdefcd4158eb8470b")
    body = _body("biteship/order_status_delivered.json")

    assert post("/webhooks/biteship/?token=s3cret-hook", body).status_code == 200
    assert post("/webhooks/biteship/", body, HTTP_X_OMS_WEBHOOK_SECRET="s3cret-hook").status_code == 200
    _process_all()

    assert list(InboundDelivery.objects.order_by("id").values_list("status", flat=True)) == ["processed",
                                                                                             "duplicate"]
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    assert shipment.order.status == OrderStatus.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1


def test_an_older_status_after_delivered_does_not_move_it_back(post, biteship, shipped):
    shipment = shipped("CM-BITE-001")
    Shipment.objects.filter(pk=shipment.pk).update(account=biteship, provider_order_id="5dd599ebdefcd4158eb8470b")
    post("/webhooks/biteship/?token=s3cret-hook", _body("biteship/order_status_delivered.json"))
    post("/webhooks/biteship/?token=s3cret-hook", _body("biteship/order_status_delivered.json",
                                                        status="droppingOff", updated_at="2026-11-22T06:00:00Z"))
    _process_all()
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2


def test_an_event_for_an_unknown_shipment_fails_visibly(post, biteship):
    post("/webhooks/biteship/?token=s3cret-hook", _body("biteship/order_status_delivered.json", order_id="nope",
                                                        courier_waybill_id="NOPE"))
    _process_all()
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "failed" and "no shipment" in delivery.error


def test_a_price_above_the_booked_price_opens_one_weight_dispute(post, biteship, shipped):
    shipment = shipped("CM-BITE-001")
    Shipment.objects.filter(pk=shipment.pk).update(account=biteship, provider_order_id="5dd599ebdefcd4158eb8470b",
                                                   quoted_cost_amount=18_000, cost_amount=18_000, weight_grams=900,
                                                   length_cm=20, width_cm=15, height_cm=10,
                                                   chargeable_weight_grams=1000)
    for _n in range(2):
        post("/webhooks/biteship/?token=s3cret-hook", _body("biteship/order_status_delivered.json",
                                                            event="order.price", order_price=36_000, weight=2000))
    _process_all()
    dispute = WeightDispute.objects.get()
    assert (dispute.expected_amount, dispute.charged_amount, dispute.difference_amount) == (18_000, 36_000, 18_000)
    assert (dispute.packed_weight_grams, dispute.charged_weight_grams) == (900, 2000)
    shipment.refresh_from_db()
    assert shipment.cost_amount == 36_000


def test_kiriminaja_push_needs_its_bearer_and_sets_resi_and_sort_code(post, place_order):
    ka = account("kiriminaja", base_url="http://127.0.0.1:9", api_key="ka-key")
    from shipping.services.shipments import shipment_create

    shipment = shipment_create(order_id=place_order().pk)
    Shipment.objects.filter(pk=shipment.pk).update(account=ka, provider_order_id=shipment.number, status=S.BOOKED)
    body = _body("kiriminaja/processed_packages.json")
    body = body.replace(b"ORDERREF", shipment.number.encode())

    assert post("/webhooks/kiriminaja/", body).status_code == 401
    assert post("/webhooks/kiriminaja/", body, HTTP_AUTHORIZATION="Bearer ka-key",
                HTTP_USER_AGENT="KiriminAja-Push-Services").status_code == 200
    _process_all()
    shipment.refresh_from_db()
    assert (shipment.tracking_number, shipment.sort_code) == ("JP9900112233", "JOG-JOG1000-JKT2010")

    finished = json.dumps({"method": "finished_packages", "data": [{"order_id": shipment.number}]}).encode()
    post("/webhooks/kiriminaja/", finished, HTTP_AUTHORIZATION="Bearer ka-key")
    _process_all()
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED


def test_an_oversized_body_is_refused(post, biteship):
    assert post("/webhooks/biteship/?token=s3cret-hook", b"{" + b" " * 70_000 + b"}").status_code == 413
