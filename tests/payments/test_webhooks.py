from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.models import InboundDelivery
from payments.models import JournalEntry, PaymentEvent, PaymentStatus
from payments.services.gateways import midtrans_signature
from payments.services.opening import payment_open
from tests.payments.conftest import XENDIT_TOKEN
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def body(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def post_midtrans(client, name: str):
    return client.post("/webhooks/midtrans/", data=body("midtrans", name), content_type="application/json")


@pytest.fixture
def va_payment():
    order = make_order(total=125_345, method="virtual_account")
    order.number = "ORD-20261122-0001"
    order.save(update_fields=["number"])
    return payment_open(order_id=order.pk)


def test_midtrans_signature_matches_the_spec_test_vector():
    assert midtrans_signature(
        order_id="ORD-20261122-0001", status_code="200", gross_amount="125345.00", server_key="SB-Mid-server-TEST"
    ) == (
        "07261f43d729b6c0c9f1f0c666ed629b697b8b8b93298e41fc493d0d3b0533cb4df48a90d5a863b5d9f4dacc33cc9f8df2db6a391e"
        "86dee7a7c90fdd743912f6"
    )


def test_midtrans_settlement_marks_the_payment_paid_and_stores_the_delivery(client, va_payment,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_midtrans(client, "settlement")
    assert response.status_code == 200
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.PAID
    assert va_payment.provider_reference == "9aed5972-5b6a-401e-894b-a32c91ed1a3a"
    delivery = InboundDelivery.objects.get(provider="midtrans")
    assert delivery.status == InboundDelivery.Status.PROCESSED
    assert json.loads(bytes(delivery.body))["order_id"] == "ORD-20261122-0001"
    va_payment.order.refresh_from_db()
    assert va_payment.order.status == "paid"


def test_midtrans_bad_signature_is_refused_and_recorded(client, va_payment):
    response = post_midtrans(client, "bad_signature")
    assert response.status_code == 403
    assert InboundDelivery.objects.get(provider="midtrans").status == InboundDelivery.Status.REJECTED
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.PENDING


def test_midtrans_duplicate_notification_is_a_no_op(client, va_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "settlement")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_midtrans(client, "settlement").status_code == 200
    statuses = sorted(InboundDelivery.objects.values_list("status", flat=True))
    assert statuses == ["duplicate", "processed"]
    assert JournalEntry.objects.filter(payment=va_payment, kind="receipt").count() == 1


def test_midtrans_late_pending_after_settlement_keeps_the_payment_paid(client, va_payment,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "settlement")
        post_midtrans(client, "pending")
        post_midtrans(client, "expire")
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.PAID
    assert PaymentEvent.objects.filter(payment=va_payment, kind="provider_status").count() == 2


def test_midtrans_pending_then_settlement_in_order(client, va_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "pending")
    va_payment.refresh_from_db()
    assert (va_payment.status, va_payment.provider_status) == (PaymentStatus.PENDING, "pending/accept")
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "settlement")
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.PAID


def test_midtrans_amount_mismatch_needs_review(client, va_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "settlement_wrong_amount")
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.NEEDS_REVIEW
    assert va_payment.received_amount == 120_000


def test_midtrans_fraud_challenge_needs_review(client, va_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "capture_challenge")
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.NEEDS_REVIEW


def test_midtrans_expire_expires_a_pending_payment(client, va_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "expire")
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.EXPIRED


def test_midtrans_notification_for_an_unknown_order_is_recorded_as_failed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_midtrans(client, "settlement").status_code == 200
    delivery = InboundDelivery.objects.get(provider="midtrans")
    assert delivery.status == InboundDelivery.Status.FAILED
    assert "no payment" in delivery.error


def test_midtrans_invalid_json_is_a_clear_400(client):
    response = client.post("/webhooks/midtrans/", data=b"{nope", content_type="application/json")
    assert response.status_code == 400


@pytest.fixture
def ewallet_payment():
    order = make_order(total=250_000, method="ewallet")
    order.number = "ORD-20261122-0002"
    order.save(update_fields=["number"])
    payment = payment_open(order_id=order.pk)
    assert payment.reference == "ORD-20261122-0002-P1"
    return payment


def post_xendit(client, name: str, token: str = XENDIT_TOKEN):
    return client.post("/webhooks/xendit/", data=body("xendit", name), content_type="application/json",
                       headers={"x-callback-token": token})


def test_xendit_paid_then_settled_marks_paid_once(client, ewallet_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_xendit(client, "invoice_paid").status_code == 200
        assert post_xendit(client, "invoice_settled").status_code == 200
    ewallet_payment.refresh_from_db()
    assert ewallet_payment.status == PaymentStatus.PAID
    assert JournalEntry.objects.filter(payment=ewallet_payment, kind="receipt").count() == 1
    headers = InboundDelivery.objects.filter(provider="xendit").first().headers
    assert XENDIT_TOKEN not in json.dumps(headers)


def test_xendit_wrong_token_is_refused(client, ewallet_payment):
    assert post_xendit(client, "invoice_paid", token="wrong").status_code == 403
    assert post_xendit(client, "invoice_paid", token="").status_code == 403
    ewallet_payment.refresh_from_db()
    assert ewallet_payment.status == PaymentStatus.PENDING


def test_xendit_expired_invoice_expires_the_payment(client, ewallet_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_xendit(client, "invoice_expired")
    ewallet_payment.refresh_from_db()
    assert ewallet_payment.status == PaymentStatus.EXPIRED


@pytest.mark.parametrize(
    ("transaction_status", "fraud_status", "expected"),
    [
        ("settlement", "accept", PaymentStatus.PAID),
        ("capture", "accept", PaymentStatus.PAID),
        ("capture", "challenge", PaymentStatus.NEEDS_REVIEW),
        ("capture", "deny", PaymentStatus.FAILED),
        ("pending", "accept", None),
        ("deny", "", PaymentStatus.FAILED),
        ("cancel", "", PaymentStatus.FAILED),
        ("failure", "", PaymentStatus.FAILED),
        ("expire", "", PaymentStatus.EXPIRED),
        ("refund", "", PaymentStatus.REFUNDED),
        ("partial_refund", "", PaymentStatus.REFUNDED),
    ],
)
def test_midtrans_statuses_map_to_payment_states(transaction_status, fraud_status, expected):
    from payments.services.gateways import _midtrans_target

    assert _midtrans_target(transaction_status, fraud_status) == expected


def _signed(payload: dict) -> bytes:
    from tests.payments.conftest import MIDTRANS_KEY

    payload["signature_key"] = midtrans_signature(order_id=payload["order_id"], status_code=payload["status_code"],
                                                  gross_amount=payload["gross_amount"], server_key=MIDTRANS_KEY)
    return json.dumps(payload).encode()


def test_midtrans_partial_refund_after_settlement_records_a_refund(client, va_payment,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_midtrans(client, "settlement")
        payload = json.loads(body("midtrans", "settlement"))
        payload.update(transaction_status="partial_refund", status_code="200", refund_amount="25000.00")
        client.post("/webhooks/midtrans/", data=_signed(payload), content_type="application/json")
    va_payment.refresh_from_db()
    assert (va_payment.status, va_payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 25_000)
    assert JournalEntry.objects.filter(payment=va_payment, kind="refund").count() == 1


def test_midtrans_failure_fails_a_pending_payment(client, va_payment, django_capture_on_commit_callbacks):
    payload = json.loads(body("midtrans", "pending"))
    payload.update(transaction_status="deny", status_code="202", fraud_status="deny")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/webhooks/midtrans/", data=_signed(payload),
                           content_type="application/json").status_code == 200
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.FAILED


def test_a_delivery_left_behind_by_a_crash_is_processed_by_the_sweep(client, va_payment):
    from datetime import timedelta

    from django.utils import timezone

    from payments.tasks import gateway_deliveries_sweep_task

    # stored, but the worker died before processing it
    InboundDelivery.objects.create(provider="midtrans", external_id="x:settlement::200", event_type="settlement",
                                   headers={}, body=body("midtrans", "settlement"))
    InboundDelivery.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    assert gateway_deliveries_sweep_task.apply().get() == 1
    va_payment.refresh_from_db()
    assert va_payment.status == PaymentStatus.PAID
