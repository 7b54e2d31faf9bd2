from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from core import roles
from payments.models import PaymentProof, PaymentStatus, StatementImport, StatementLine
from payments.services.opening import payment_open
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


PAGES = ["payments:index", "payments:list", "payments:proofs", "payments:reconcile", "payments:imports",
         "payments:overdue", "payments:settlements", "payments:cod", "payments:journal"]


@pytest.mark.parametrize("url_name", PAGES)
def test_finance_opens_every_payments_page(staff_client, url_name):
    payment_open(order_id=make_order().pk)
    client = staff_client(roles.FINANCE)
    assert client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("url_name", ["payments:proofs", "payments:reconcile", "payments:imports",
                                      "payments:journal"])
def test_customer_service_cannot_do_money_work(staff_client, url_name):
    client = staff_client(roles.CUSTOMER_SERVICE)
    assert client.get(reverse(url_name)).status_code == 403


def test_warehouse_cannot_see_payments(staff_client):
    assert staff_client(roles.WAREHOUSE).get(reverse("payments:list")).status_code == 403


def test_payment_list_runs_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    for _ in range(15):
        payment_open(order_id=make_order().pk)
    client = staff_client(roles.FINANCE)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("payments:list"))
    assert response.status_code == 200


def test_customer_uploads_a_proof_and_finance_approves_it(client, staff_client, django_capture_on_commit_callbacks):
    order = make_order(total=150_000)
    payment = payment_open(order_id=order.pk)
    url = reverse("payments-pay:proof", kwargs={"number": order.number, "key": order.access_key})
    page = client.get(url)
    assert page.status_code == 200
    assert str(payment.unique_code) in page.content.decode()
    response = client.post(url, {"file": upload("bukti.png", png_bytes()), "sender_name": "Budi",
                                 "declared_amount": payment.amount})
    assert response.status_code == 302
    proof = PaymentProof.objects.get(payment=payment)
    assert proof.content_type == "image/png"

    finance = staff_client(roles.FINANCE)
    assert finance.get(reverse("payments:proofs")).status_code == 200
    assert finance.get(reverse("payments:proof-file", args=[proof.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        finance.post(reverse("payments:proof-decide", args=[proof.pk, "approve"]), {"reason": "seen in BCA"})
    proof.refresh_from_db()
    payment.refresh_from_db()
    assert (proof.status, proof.decided_by, payment.status) == ("approved", finance.user, PaymentStatus.PAID)
    order.refresh_from_db()
    assert order.status == "paid"


def test_a_fake_image_is_refused_with_a_clear_message(client):
    order = make_order()
    payment_open(order_id=order.pk)
    url = reverse("payments-pay:proof", kwargs={"number": order.number, "key": order.access_key})
    response = client.post(url, {"file": upload("bukti.jpg", b"<html>not an image</html>")})
    assert response.status_code == 400
    assert PaymentProof.objects.count() == 0


def test_an_oversized_proof_is_refused(client, settings):
    settings.PAYMENTS_PROOF_MAX_BYTES = 20
    order = make_order()
    payment_open(order_id=order.pk)
    url = reverse("payments-pay:proof", kwargs={"number": order.number, "key": order.access_key})
    assert client.post(url, {"file": upload("b.png", png_bytes())}).status_code == 413


def test_the_upload_page_needs_the_orders_key(client):
    order = make_order()
    payment_open(order_id=order.pk)
    url = reverse("payments-pay:proof", kwargs={"number": order.number, "key": "wrong"})
    assert client.get(url).status_code == 404


def test_rejecting_a_proof_needs_a_reason(staff_client):
    from payments.services.proofs import proof_upload

    payment = payment_open(order_id=make_order().pk)
    proof = proof_upload(payment_id=payment.pk, data=png_bytes())
    finance = staff_client(roles.FINANCE)
    finance.post(reverse("payments:proof-decide", args=[proof.pk, "reject"]), {"reason": ""})
    proof.refresh_from_db()
    assert proof.status == "pending"
    finance.post(reverse("payments:proof-decide", args=[proof.pk, "reject"]), {"reason": "Blurry photo"})
    proof.refresh_from_db()
    assert (proof.status, proof.reason) == ("rejected", "Blurry photo")


def test_statement_upload_shows_progress_and_the_htmx_poll(staff_client, django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    data = (FIXTURES / "statements" / "bca_business.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post(reverse("payments:imports"), {"file": upload("bca.csv", data),
                                                              "format": "bca_business"})
    job = StatementImport.objects.get()
    assert response.status_code == 302
    assert job.status == StatementImport.Status.DONE
    page = finance.get(reverse("payments:import-detail", args=[job.pk]))
    assert "100%" in page.content.decode()
    partial = finance.get(reverse("payments:import-detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()


def test_reconciliation_actions_from_the_queue(staff_client, django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    payment = payment_open(order_id=make_order(total=100_000).pk)
    data = (f"Tanggal Transaksi,Keterangan,Cabang,Jumlah\n"
            f"{timezone.localtime(payment.created_at):%d/%m/%Y},A,0000,\"{payment.amount + 1:,}.00 CR\"\n"
            f"{timezone.localtime(payment.created_at):%d/%m/%Y},B,0000,\"55,555.00 CR\"\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        finance.post(reverse("payments:imports"), {"file": upload("m.csv", data), "format": "bca_business"})
    a, b = StatementLine.objects.order_by("id")
    assert finance.get(reverse("payments:reconcile")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        # Rp 1 more than expected: Finance keeps it as the customer's credit
        finance.post(reverse("payments:reconcile-action", args=[a.pk, "match"]),
                     {"reference": payment.reference, "confirm": "1", "decision": "keep_credit", "reason": "Rp 1"})
    finance.post(reverse("payments:reconcile-action", args=[b.pk, "not-ours"]), {"reason": "Interest"})
    a.refresh_from_db()
    b.refresh_from_db()
    payment.refresh_from_db()
    assert (a.match_status, b.match_status, payment.status) == ("manual", "not_ours", "paid")


def test_journal_and_reconciliation_export_as_csv_and_xlsx(staff_client):
    from payments.services.transitions import payment_mark_paid

    payment_mark_paid(payment_id=payment_open(order_id=make_order().pk).pk)
    finance = staff_client(roles.FINANCE)
    csv_response = finance.get(reverse("payments:journal"), {"export": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    assert b"receipt" in csv_response.content
    xlsx = finance.get(reverse("payments:journal"), {"export": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    assert finance.get(reverse("payments:reconcile-export"), {"format": "xlsx"}).content[:2] == b"PK"


def test_refund_from_the_payment_page(staff_client):
    from payments.services.transitions import payment_mark_paid

    payment = payment_open(order_id=make_order(total=90_000, method="card").pk)
    payment_mark_paid(payment_id=payment.pk)
    finance = staff_client(roles.FINANCE)
    assert finance.get(reverse("payments:detail", args=[payment.pk])).status_code == 200
    finance.post(reverse("payments:action", args=[payment.pk, "refund"]),
                 {"amount": 10_000, "kind": "return", "reason": "Damaged item", "reference": "RMA-9"})
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 10_000)


def test_the_customers_order_page_shows_the_amount_with_the_unique_code(client):
    from payments.models import BankAccount

    BankAccount.objects.create(bank="BCA", account_number="0123456789", holder_name="PT Toko Maju")
    order = make_order(total=125_000)
    payment = payment_open(order_id=order.pk)
    response = client.get(reverse("track:order", kwargs={"number": order.number, "key": order.access_key}))
    assert response.status_code == 200
    html = response.content.decode()
    amount = f"{payment.amount:,}".replace(",", ".")
    assert amount in html
    assert "0123456789" in html
    assert reverse("payments-pay:proof", kwargs={"number": order.number, "key": order.access_key}) in html


def test_a_pdf_proof_is_accepted_and_a_truncated_pdf_is_not():
    from core.errors import DomainError
    from payments.services.proofs import proof_upload

    payment = payment_open(order_id=make_order().pk)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert proof_upload(payment_id=payment.pk, data=pdf).content_type == "application/pdf"
    with pytest.raises(DomainError):
        proof_upload(payment_id=payment.pk, data=b"%PDF-1.4\n1 0 obj<<>>")
    with pytest.raises(DomainError):
        proof_upload(payment_id=payment.pk, data=b"\x89PNG\r\n\x1a\nbroken")


def test_queue_pages_run_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries,
                                                    django_capture_on_commit_callbacks):
    from payments.services.proofs import proof_upload
    from payments.services.statements import statement_import_create

    rows = ["Tanggal Transaksi,Keterangan,Cabang,Jumlah"]
    for i in range(12):
        payment = payment_open(order_id=make_order(total=100_000 + i * 1_000).pk)
        proof_upload(payment_id=payment.pk, data=png_bytes())
        rows.append(f'{timezone.localtime(payment.created_at):%d/%m/%Y},X{i},0000,"{payment.base_amount:,}.00 CR"')
    with django_capture_on_commit_callbacks(execute=True):
        statement_import_create(data="\n".join(rows).encode(), filename="m.csv", fmt="bca_business")
    finance = staff_client(roles.FINANCE)
    with django_assert_max_num_queries(20):
        response = finance.get(reverse("payments:reconcile"))
    assert response.status_code == 200
    assert response.content.decode().count("/match/") >= 12
    with django_assert_max_num_queries(14):
        assert finance.get(reverse("payments:proofs")).status_code == 200


def test_the_payments_queues_are_on_finances_home_page_and_not_on_warehouses(make_user):
    from core.navigation import queues_for

    payment_open(order_id=make_order().pk)
    finance = make_user(roles.FINANCE, username="fin-home")
    keys = {q["key"] for q in queues_for(finance, "payments")}
    assert {"payments.proofs", "payments.unmatched", "payments.ambiguous", "payments.needs_review",
            "payments.overdue", "payments.unsettled", "payments.cod"} <= keys
    warehouse = make_user(roles.WAREHOUSE, username="wh-home")
    assert queues_for(warehouse, "payments") == []


def test_resume_queues_an_unfinished_import_again(staff_client, django_capture_on_commit_callbacks):
    from payments.services.statements import statement_import_create

    data = (FIXTURES / "statements" / "bca_business.csv").read_bytes()
    job = statement_import_create(data=data, filename="b.csv", fmt="bca_business", run=False)
    finance = staff_client(roles.FINANCE)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post(reverse("payments:import-resume", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.rows_total) == (StatementImport.Status.DONE, 5)


def test_cancelled_orders_with_money_received_wait_for_a_refund(staff_client):
    from orders.services import order_cancel
    from payments.selectors import refunds_due
    from payments.services.refunds import refund_create
    from payments.services.transitions import payment_mark_paid

    order = make_order(total=60_000, method="qris")
    payment = payment_open(order_id=order.pk)
    payment_mark_paid(payment_id=payment.pk, source="midtrans")
    order_cancel(order_id=order.pk, actor=None, reason="Stok habis")
    assert list(refunds_due()) == [payment]
    finance = staff_client(roles.FINANCE)
    page = finance.get(reverse("payments:list"), {"queue": "refunds_due"})
    assert payment.reference in page.content.decode()
    refund_create(payment_id=payment.pk, amount=60_000, kind="cancellation", reason="Stok habis")
    assert list(refunds_due()) == []


def test_finance_matches_a_credit_from_the_payment_page(staff_client, django_capture_on_commit_callbacks):
    from payments.services.statements import statement_import_create

    payment = payment_open(order_id=make_order(total=70_000).pk)
    data = (f"Tanggal Transaksi,Keterangan,Cabang,Jumlah\n"
            f"{timezone.localtime(payment.created_at):%d/%m/%Y},LUPA KODE UNIK,0000,\"70,000.00 CR\"\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        statement_import_create(data=data, filename="m.csv", fmt="bca_business")
    line = StatementLine.objects.get()
    finance = staff_client(roles.FINANCE)
    page = finance.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert reverse("payments:reconcile-action", args=[line.pk, "match"]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post(reverse("payments:reconcile-action", args=[line.pk, "match"]),
                                {"payment": payment.pk, "next": reverse("payments:detail", args=[payment.pk]),
                                 "confirm": "1", "decision": "keep_outstanding", "reason": "lupa kode unik"})
    assert response.url == reverse("payments:detail", args=[payment.pk])
    payment.refresh_from_db()
    # the customer forgot the kode unik: 70.000 of 70.000 + code received, still pending
    assert (payment.status, payment.received_amount) == (PaymentStatus.PENDING, 70_000)


def test_the_reconciliation_redirect_never_leaves_the_site(staff_client):
    finance = staff_client(roles.FINANCE)
    response = finance.post(reverse("payments:reconcile-action", args=[999, "not-ours"]),
                            {"reason": "x", "next": "https://evil.example/"})
    assert response.url == reverse("payments:reconcile")


def test_a_refund_typed_the_indonesian_way_is_whole_rupiah(staff_client):
    from payments.services.transitions import payment_mark_paid

    payment = payment_open(order_id=make_order(total=90_000, method="card").pk)
    payment_mark_paid(payment_id=payment.pk)

    staff_client(roles.FINANCE).post(reverse("payments:action", args=[payment.pk, "refund"]),
                                     {"amount": "Rp 10.000", "kind": "return", "reason": "Rusak", "reference": ""})

    payment.refresh_from_db()
    assert payment.refunded_amount == 10_000


def test_a_customer_declares_the_transfer_amount_the_indonesian_way(client):
    order = make_order(total=150_000)
    payment = payment_open(order_id=order.pk)
    url = reverse("payments-pay:proof", kwargs={"number": order.number, "key": order.access_key})
    typed = "Rp " + f"{payment.amount:,}".replace(",", ".")

    response = client.post(url, {"file": upload("bukti.png", png_bytes()), "declared_amount": typed})

    assert response.status_code == 302
    assert PaymentProof.objects.get(payment=payment).declared_amount == payment.amount
