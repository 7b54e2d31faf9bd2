from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import roles
from payments.models import PaymentStatus, StatementImport
from payments.services.opening import payment_open
from payments.services.transitions import payment_mark_paid
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_payments_list_filters_by_order_status_and_method(api_client, django_assert_max_num_queries):
    bank = payment_open(order_id=make_order().pk)
    card = payment_open(order_id=make_order(method="card").pk)
    payment_mark_paid(payment_id=card.pk)
    for _ in range(10):
        payment_open(order_id=make_order().pk)
    client = api_client(roles.FINANCE)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/payments/")
    assert response.status_code == 200
    assert response.json()["count"] == 12
    by_order = client.get("/api/v1/payments/", {"order": bank.order.number}).json()["results"]
    assert [p["reference"] for p in by_order] == [bank.reference]
    assert client.get("/api/v1/payments/", {"order": bank.order_id}).json()["count"] == 1
    paid = client.get("/api/v1/payments/", {"status": "paid", "method": "card"}).json()["results"]
    assert [p["id"] for p in paid] == [card.pk]
    bad = client.get("/api/v1/payments/", {"status": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["status"]
    detail = client.get(f"/api/v1/payments/{bank.pk}/").json()
    assert detail["amount"] == bank.amount
    assert detail["unique_code"] == bank.unique_code


def test_statement_import_endpoint_answers_202_with_the_job(api_client, django_capture_on_commit_callbacks):
    payment = payment_open(order_id=make_order().pk)
    client = api_client(roles.FINANCE)
    data = (f"Tanggal Transaksi,Keterangan,Cabang,Jumlah\n{timezone.localtime(payment.created_at):%d/%m/%Y},X,0000,"
            f"\"{payment.amount:,}.00 CR\"\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/payments/statement-imports/",
                               {"file": SimpleUploadedFile("m.csv", data), "format": "bca_business"},
                               format="multipart")
    assert response.status_code == 202
    job_id = response.json()["id"]
    job = client.get(f"/api/v1/payments/statement-imports/{job_id}/").json()
    assert (job["status"], job["rows_matched"]) == (StatementImport.Status.DONE, 1)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_statement_import_rejects_a_bad_format_and_a_bad_mapping(api_client):
    client = api_client(roles.FINANCE)
    response = client.post("/api/v1/payments/statement-imports/",
                           {"file": SimpleUploadedFile("m.csv", b"x"), "format": "nope"}, format="multipart")
    assert response.status_code == 400
    assert "format" in response.json()["error"]["fields"]
    response = client.post("/api/v1/payments/statement-imports/",
                           {"file": SimpleUploadedFile("m.csv", b"a,b\n"), "format": "generic",
                            "column_mapping": '{"description": "b"}'}, format="multipart")
    assert response.status_code == 400
    assert "column_mapping" in response.json()["error"]["fields"]


def test_refund_creation_through_the_api(api_client):
    payment = payment_open(order_id=make_order(total=100_000, method="card").pk)
    payment_mark_paid(payment_id=payment.pk)
    client = api_client(roles.FINANCE)
    response = client.post("/api/v1/payments/refunds/", {"payment": payment.pk, "amount": 25_000,
                                                         "kind": "return", "reason": "Size too small",
                                                         "reference": "RMA-77"}, format="json")
    assert response.status_code == 201, response.json()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    too_much = client.post("/api/v1/payments/refunds/", {"payment": payment.pk, "amount": 999_999,
                                                         "kind": "return", "reason": "x"}, format="json")
    assert too_much.status_code == 400
    assert too_much.json()["error"]["fields"]["amount"]
    missing = client.post("/api/v1/payments/refunds/", {"payment": payment.pk, "kind": "return"}, format="json")
    assert set(missing.json()["error"]["fields"]) == {"amount", "reason"}


@pytest.mark.parametrize("role", [roles.CUSTOMER_SERVICE, roles.ADMIN, roles.WAREHOUSE])
def test_only_finance_and_owner_do_money_actions_through_the_api(api_client, role):
    payment = payment_open(order_id=make_order(method="card").pk)
    payment_mark_paid(payment_id=payment.pk)
    client = api_client(role)
    assert client.post("/api/v1/payments/refunds/", {"payment": payment.pk, "amount": 1, "kind": "other",
                                                     "reason": "x"}, format="json").status_code == 403
    assert client.post("/api/v1/payments/statement-imports/", {}, format="multipart").status_code == 403


def test_owner_can_refund(api_client):
    payment = payment_open(order_id=make_order(method="card").pk)
    payment_mark_paid(payment_id=payment.pk)
    response = api_client(roles.OWNER).post("/api/v1/payments/refunds/", {
        "payment": payment.pk, "amount": 1, "kind": "other", "reason": "goodwill"}, format="json")
    assert response.status_code == 201
