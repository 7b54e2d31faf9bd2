"""Malformed and hostile pushes to every marketplace endpoint: a clear 4xx (or a stored rejection
answered 200 when signed), never a 5xx, nothing half-written.

The examples the probes found are pinned as plain tests; hypothesis then throws generated bodies,
ids and headers, unsigned and validly signed, at each provider.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import InboundDelivery
from marketplaces.adapters import lazada, shopee, tiktok, tokopedia
from orders.models import Order
from tests.channel_fixtures import SHOPEE_CALLBACK
from tests.fakes.marketplace import Credentials
from tests.webhook_fuzz import fuzz_body

Status = InboundDelivery.Status
CREDS = Credentials()
PROVIDERS = ("shopee", "tiktok", "lazada", "tokopedia")
pytestmark = pytest.mark.django_db


def sign(provider: str, body: bytes) -> dict[str, str]:
    if provider == "shopee":
        return {"HTTP_AUTHORIZATION": shopee.push_signature(CREDS.shopee_push_key, SHOPEE_CALLBACK, body)}
    if provider == "tiktok":
        return {"HTTP_AUTHORIZATION": tiktok.push_signature(CREDS.tiktok_app_key, CREDS.tiktok_app_secret, body)}
    if provider == "lazada":
        return {"HTTP_AUTHORIZATION": lazada.push_signature(CREDS.lazada_app_key, CREDS.lazada_app_secret, body)}
    return {"HTTP_AUTHORIZATION_HMAC": tokopedia.push_signature(CREDS.tokopedia_webhook_secret, body)}


def push(provider: str, *, order_id="2211ORDER1", shop_id=None, timestamp=None, update_time=None) -> dict:
    now = int(time.time())
    timestamp = now if timestamp is None else timestamp
    update_time = now if update_time is None else update_time
    if provider == "shopee":
        return {"msg_id": "m1", "data": {"ordersn": order_id, "status": "READY_TO_SHIP", "update_time": update_time},
                "shop_id": int(CREDS.shopee_shop_id) if shop_id is None else shop_id, "code": 3,
                "timestamp": timestamp}
    if provider == "tiktok":
        return {"type": 1, "tts_notification_id": "n1", "timestamp": timestamp,
                "shop_id": CREDS.tiktok_shop_id if shop_id is None else shop_id,
                "data": {"order_id": order_id, "order_status": "AWAITING_SHIPMENT", "update_time": update_time}}
    if provider == "lazada":
        return {"seller_id": CREDS.lazada_seller_id if shop_id is None else shop_id, "message_type": 0,
                "data": {"order_status": "pending", "trade_order_id": order_id, "status_update_time": update_time},
                "timestamp": timestamp if timestamp != now else now * 1000}
    return {"fs_id": int(CREDS.tokopedia_fs_id), "order_id": order_id, "order_status": 220,
            "shop_id": int(CREDS.tokopedia_shop_id) if shop_id is None else shop_id, "update_time": update_time}


@pytest.fixture
def channels(make_channel):
    return {provider: make_channel(provider) for provider in PROVIDERS}


def post(client, provider: str, body: bytes, *, signed: bool = True, **headers):
    extra = sign(provider, body) if signed else {}
    extra.update(headers)
    return client.post(f"/webhooks/{provider}/", data=body, content_type="application/json", **extra)


def _body(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


# --- the probes' examples ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_deeply_nested_json_is_refused_with_400_cheaply(client, channels, provider):
    body = b'{"shop_id": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    post(client, provider, b"{}", signed=False)  # warm up the URL resolver and the connection
    InboundDelivery.objects.all().delete()

    started = time.monotonic()
    response = post(client, provider, body[:60_000], signed=False)

    assert response.status_code == 400
    assert time.monotonic() - started < 2
    rejected = InboundDelivery.objects.get()
    assert rejected.status == Status.REJECTED
    assert len(bytes(rejected.body)) <= 4096  # unverified junk keeps only its start


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("bad", ["7\x0027", "\ud800", "\udfff12"])
def test_nul_and_lone_surrogates_in_ids_are_refused_without_a_500(client, channels, provider, bad):
    bad_shop = json.dumps(push(provider, shop_id=bad)).encode()  # json escapes them as \u0000 / \ud800
    bad_order = json.dumps(push(provider, order_id=bad)).encode()

    # Unsigned: a 4xx whatever the field; a shop id no channel can have: 400 signed or not
    assert post(client, provider, bad_order, signed=False).status_code == 401
    assert post(client, provider, bad_shop, signed=False).status_code == 400
    assert post(client, provider, bad_shop).status_code == 400
    # Signed by the shop: stored whole and refused once, answered 200 so it is not retried
    assert post(client, provider, bad_order).status_code == 200

    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {Status.REJECTED}
    verified = InboundDelivery.objects.get(body=bad_order, headers__has_key="Authorization-Hmac" if provider ==
                                           "tokopedia" else "Authorization")
    assert "NUL" in verified.error or "surrogate" in verified.error
    assert not Order.objects.exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_non_ascii_signature_header_is_a_401_not_a_type_error(client, channels, provider):
    body = _body(push(provider))
    header = "HTTP_AUTHORIZATION_HMAC" if provider == "tokopedia" else "HTTP_AUTHORIZATION"

    response = post(client, provider, body, signed=False, **{header: "ÿé signature ✓"})

    assert response.status_code == 401
    assert InboundDelivery.objects.get().status == Status.REJECTED


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("update_time", ["soon", 10**18, 1e308, "1e999", -5])
def test_a_signed_push_with_an_unusable_time_is_stored_once_as_rejected_and_answered_200(
    client, channels, provider, update_time, django_capture_on_commit_callbacks
):
    body = _body(push(provider, update_time=update_time))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, provider, body)

    assert response.status_code == 200  # the marketplace stops retrying
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert delivery.error.startswith("unusable push")
    assert bytes(delivery.body) == body  # verified: kept whole, for staff to see
    assert callbacks == []  # nothing queued
    assert not Order.objects.exists()


@pytest.mark.parametrize("provider", ["shopee", "tiktok", "lazada"])
def test_a_signed_push_with_a_huge_timestamp_is_rejected_once(client, channels, provider):
    response = post(client, provider, _body(push(provider, timestamp=99_999_999_999_999_999)))

    assert response.status_code == 200
    assert InboundDelivery.objects.get().status == Status.REJECTED


@pytest.mark.parametrize(("provider", "age_ok", "age_replay"), [
    ("shopee", 2 * 86_400, 4 * 86_400),
    ("tiktok", 12 * 3_600, 2 * 86_400),
    ("lazada", 12 * 3_600, 2 * 86_400),
])
def test_signed_pushes_older_than_the_retry_window_are_refused_as_replays(
    client, channels, provider, age_ok, age_replay
):
    now = int(time.time())
    scale = 1000 if provider == "lazada" else 1
    within = _body(push(provider, timestamp=(now - age_ok) * scale, order_id="A1"))
    replay = _body(push(provider, timestamp=(now - age_replay) * scale, order_id="A2"))

    assert post(client, provider, within).status_code == 200
    assert post(client, provider, replay).status_code == 400

    statuses = dict(InboundDelivery.objects.values_list("external_id", "status"))
    assert sorted(statuses.values()) == [Status.RECEIVED, Status.REJECTED]
    assert "replayed push" in InboundDelivery.objects.get(status=Status.REJECTED).error


# --- generated input --------------------------------------------------------------------------

def _fuzz_body(data, provider: str) -> bytes:
    payload = push(provider)
    return fuzz_body(data, payload, inner=payload.get("data"))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_generated_pushes_never_get_a_5xx_and_leave_one_row_and_no_order(client, channels, provider):
    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def run(data):
        body = _fuzz_body(data, provider)
        signed = data.draw(st.booleans())
        headers = {}
        if not signed and data.draw(st.booleans()):
            name = "HTTP_AUTHORIZATION_HMAC" if provider == "tokopedia" else "HTTP_AUTHORIZATION"
            headers[name] = data.draw(st.text(max_size=80))
        before = InboundDelivery.objects.count()

        response = post(client, provider, body, signed=signed, **headers)

        assert response.status_code < 500
        assert InboundDelivery.objects.count() == before + 1  # stored once, whatever it was
        stored = InboundDelivery.objects.order_by("-pk").first()
        if response.status_code >= 400 or not signed:
            assert stored.status == Status.REJECTED
        assert not Order.objects.exists()

    run()


def test_a_database_error_while_inspecting_is_a_503_so_the_marketplace_retries(client, channels, monkeypatch):
    from django.db import OperationalError

    from channels import selectors

    def gone(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(selectors, "channel_for_push", gone)

    response = post(client, "shopee", _body(push("shopee")))

    assert response.status_code == 503  # not a 400: the push was fine and must come again
