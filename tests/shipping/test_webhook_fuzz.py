"""Malformed and hostile pushes to the aggregator webhooks (Biteship, KiriminAja): a clear 4xx for
unauthenticated junk, a stored rejection answered 200 for an authenticated push with a field we
cannot use, never a 5xx; and whatever was accepted is processed to an end (processed or failed
with its reason), never an exception that would have the task retried forever.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import InboundDelivery
from shipping.models import Shipment, ShipmentStatus
from shipping.services.inbound import delivery_process
from tests.shipping.factories import account
from tests.webhook_fuzz import fuzz_body

pytestmark = pytest.mark.django_db
Status = InboundDelivery.Status
SECRET = "s3cret-hook"
BEARER = "ka-key"
URLS = {"biteship": "/webhooks/biteship/", "kiriminaja": "/webhooks/kiriminaja/"}


def auth(provider: str) -> dict[str, str]:
    if provider == "biteship":
        return {"HTTP_X_OMS_WEBHOOK_SECRET": SECRET}
    return {"HTTP_AUTHORIZATION": f"Bearer {BEARER}"}


def push(provider: str, *, ref: str = "SHIPREF", resi: str = "CM-FUZZ-001", when="2026-11-22T08:25:15Z") -> dict:
    if provider == "biteship":
        return {"event": "order.status", "order_id": ref, "courier_waybill_id": resi, "courier_company": "jne",
                "courier_driver_name": "Budi", "order_price": 18000, "status": "picked", "updated_at": when}
    return {"method": "shipped_packages", "data": [{"order_id": ref, "awb": resi, "sorting_code": "JOG-1",
                                                     "updated_at": when}]}


@pytest.fixture
def accounts(db):
    return {"biteship": account("biteship", base_url="http://127.0.0.1:9", secret=SECRET),
            "kiriminaja": account("kiriminaja", base_url="http://127.0.0.1:9", api_key=BEARER)}


@pytest.fixture
def shipment(accounts, shipped):
    parcel = shipped("CM-FUZZ-001")
    Shipment.objects.filter(pk=parcel.pk).update(provider_order_id="SHIPREF", number="SHIPREF")
    return parcel


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def send(provider: str, body: bytes, *, signed: bool = True, **headers):
        extra = auth(provider) if signed else {}
        extra.update(headers)
        with django_capture_on_commit_callbacks(execute=False):
            return client.post(URLS[provider], data=body, content_type="application/json", **extra)

    return send


def _process_received() -> None:
    for pk in InboundDelivery.objects.filter(status=Status.RECEIVED).values_list("pk", flat=True):
        delivery_process(delivery_id=pk)  # must end the delivery, never raise


# --- the probes' examples ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", URLS)
@pytest.mark.parametrize("signed", [False, True])
def test_deeply_nested_json_is_refused_with_400_cheaply(post, accounts, provider, signed):
    body = (b'{"event": "order.status", "data": ' + b"[" * 30_000 + b"]" * 30_000 + b"}")[:60_000]
    post(provider, b"{}", signed=signed)  # warm up the URL resolver and the connection
    InboundDelivery.objects.all().delete()

    started = time.monotonic()
    response = post(provider, body, signed=signed)

    # KiriminAja's bearer token is checked before the body is read: unauthenticated junk is a 401
    assert response.status_code == (401 if provider == "kiriminaja" and not signed else 400)
    assert time.monotonic() - started < 2
    assert InboundDelivery.objects.get().status == Status.REJECTED


@pytest.mark.parametrize("provider", URLS)
@pytest.mark.parametrize("bad", ["SHIP\x00REF", "\ud800", "\udfff12"])
def test_nul_and_lone_surrogates_are_refused_once_not_retried(post, shipment, provider, bad):
    body = json.dumps(push(provider, ref=bad, resi=bad)).encode()  # json escapes them as \u0000 / \ud800

    assert post(provider, body, signed=False).status_code == 401
    # Authenticated: stored whole and refused once, answered 200 so the aggregator stops retrying
    assert post(provider, body).status_code == 200

    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {Status.REJECTED}
    assert "NUL" in InboundDelivery.objects.order_by("-pk").first().error or "surrogate" in (
        InboundDelivery.objects.order_by("-pk").first().error)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.BOOKED or shipment.tracking_number == "CM-FUZZ-001"


@pytest.mark.parametrize("provider", URLS)
def test_a_non_ascii_secret_header_is_a_401_not_a_type_error(post, accounts, provider):
    header = "HTTP_X_OMS_WEBHOOK_SECRET" if provider == "biteship" else "HTTP_AUTHORIZATION"

    response = post(provider, json.dumps(push(provider)).encode(), signed=False, **{header: "Bearer ÿé ✓"})

    assert response.status_code == 401


@pytest.mark.parametrize("provider", URLS)
@pytest.mark.parametrize("when", [10**18, 1e308, -1e308, "1e999", "soon", [1, 2], {"at": 1}])
def test_an_unusable_time_ends_the_delivery_instead_of_retrying_it(post, shipment, provider, when):
    response = post(provider, json.dumps(push(provider, when=when)).encode())
    assert response.status_code == 200

    _process_received()

    assert not InboundDelivery.objects.filter(status__in=[Status.RECEIVED, Status.PROCESSING]).exists()


# --- generated input --------------------------------------------------------------------------

def _fuzz_body(data, provider: str) -> bytes:
    payload = push(provider)
    return fuzz_body(data, payload, inner=payload["data"][0] if provider == "kiriminaja" else None)


@pytest.mark.parametrize("provider", URLS)
def test_generated_pushes_never_get_a_5xx_and_every_accepted_one_ends(post, shipment, provider):
    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def run(data):
        body = _fuzz_body(data, provider)
        signed = data.draw(st.booleans())
        before = InboundDelivery.objects.count()

        response = post(provider, body, signed=signed)

        assert response.status_code < 500
        assert InboundDelivery.objects.count() == before + 1  # stored once, whatever it was
        stored = InboundDelivery.objects.order_by("-pk").first()
        if response.status_code >= 400 or not signed:
            assert stored.status in (Status.REJECTED, Status.DUPLICATE)
        _process_received()
        stored.refresh_from_db()
        assert stored.status in (Status.REJECTED, Status.DUPLICATE, Status.PROCESSED, Status.FAILED)

    run()
