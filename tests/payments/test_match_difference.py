"""Manual matching of a credit that differs from the payment (issue 10.7): the difference is shown,
Finance chooses what to do and says why, and the choice is recorded on the payment's event."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from core import roles
from orders.models import Order, OrderStatus
from payments.models import (
    JournalEntry,
    LineMatch,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Refund,
    StatementImport,
    StatementLine,
)
from payments.selectors import order_payment_summary
from payments.services.opening import payment_open
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


def _payment(total: int = 100_000) -> Payment:
    return payment_open(order_id=make_order(total=total).pk)


def _credit(amount: int) -> StatementLine:
    job = StatementImport.objects.create(format="bca_business", filename="t.csv", status="done")
    return StatementLine.objects.create(
        statement_import=job, booked_on=timezone.localdate(), description="TRSF E-BANKING CR BUDI", amount=amount,
        is_credit=True, fingerprint=f"fp-{amount}-{job.pk}",
    )


def _match(client, line, payment, callbacks, **data):
    with callbacks(execute=True):
        return client.post(reverse("payments:reconcile-action", args=[line.pk, "match"]),
                           {"payment": payment.pk, **data}, HTTP_ACCEPT_LANGUAGE="id")


def _received_event(payment) -> PaymentEvent:
    return PaymentEvent.objects.get(payment=payment, kind="received")


def test_a_credit_with_a_difference_shows_it_and_asks_for_a_decision(staff_client, django_capture_on_commit_callbacks):
    # given a payment and a credit Rp 5.000 more than it expects
    finance = staff_client(roles.FINANCE)
    payment = _payment()
    line = _credit(payment.amount + 5_000)
    # when Finance matches it from the queue
    response = _match(finance, line, payment, django_capture_on_commit_callbacks)
    # then the difference is shown, formatted, with the two choices for an overpayment
    page = response.content.decode()
    assert response.status_code == 200
    assert "Rp 5.000" in page and 'data-difference="5000"' in page
    assert 'value="refund"' in page and 'value="keep_credit"' in page and 'value="accept_paid"' not in page
    # and nothing is matched yet
    line.refresh_from_db()
    payment.refresh_from_db()
    assert (line.match_status, payment.received_amount) == (LineMatch.UNMATCHED, 0)


def test_an_exact_credit_is_matched_without_questions(staff_client, django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    payment = _payment()
    line = _credit(payment.amount)
    response = _match(finance, line, payment, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert "decision" not in _received_event(payment).data


def test_overpaid_and_refunded(staff_client, django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    payment = _payment()
    line = _credit(payment.amount + 5_000)
    response = _match(finance, line, payment, django_capture_on_commit_callbacks, confirm="1", decision="refund",
                      reason="salah ketik nominal")
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.received_amount, payment.refunded_amount) == (
        PaymentStatus.PARTIALLY_REFUNDED, payment.amount + 5_000, 5_000)
    assert Refund.objects.get(payment=payment).kind == "overpayment"
    event = _received_event(payment)
    assert event.data["decision"] == "refund" and event.data["difference"] == 5_000
    assert event.data["reason"] == "salah ketik nominal" and event.actor == finance.user
    assert order_payment_summary(order_id=payment.order_id)["state"] == "paid"
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID


def test_overpaid_and_kept_as_customer_credit(staff_client, django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    payment = _payment()
    line = _credit(payment.amount + 20_000)
    _match(finance, line, payment, django_capture_on_commit_callbacks, confirm="1", decision="keep_credit",
           reason="untuk pesanan berikutnya")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PAID, 0)
    assert _received_event(payment).data["decision"] == "keep_credit"
    summary = order_payment_summary(order_id=payment.order_id)
    assert (summary["state"], summary["outstanding"]) == ("overpaid", -20_000)


def test_underpaid_and_kept_outstanding(staff_client, django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    payment = _payment()
    line = _credit(payment.amount - 30_000)
    _match(finance, line, payment, django_capture_on_commit_callbacks, confirm="1", decision="keep_outstanding",
           reason="sisanya menyusul")
    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == (PaymentStatus.PENDING, payment.amount - 30_000)
    event = _received_event(payment)
    assert (event.data["decision"], event.data["difference"], event.note) == (
        "keep_outstanding", -30_000, "sisanya menyusul")
    assert order_payment_summary(order_id=payment.order_id)["state"] == "partially_paid"
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.AWAITING_PAYMENT


def test_underpaid_and_accepted_as_paid_by_finance(staff_client, django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    payment = _payment()
    line = _credit(payment.amount - 900)
    _match(finance, line, payment, django_capture_on_commit_callbacks, confirm="1", decision="accept_paid",
           reason="pelanggan lupa kode unik")
    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == (PaymentStatus.PAID, payment.amount - 900)
    assert _received_event(payment).data["decision"] == "accept_paid"
    paid = PaymentEvent.objects.get(payment=payment, kind="paid")
    assert (paid.note, paid.actor) == ("pelanggan lupa kode unik", finance.user)
    assert JournalEntry.objects.filter(payment=payment, kind=JournalEntry.Kind.WRITE_OFF).count() == 1
    summary = order_payment_summary(order_id=payment.order_id)
    assert (summary["state"], summary["outstanding"]) == ("paid", 0)
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID


def test_accept_as_paid_is_refused_without_the_finance_role(client, make_user, django_capture_on_commit_callbacks):
    # given a staff member who may match credits but is not Finance
    user = make_user(roles.CUSTOMER_SERVICE)
    user.user_permissions.add(Permission.objects.get(codename="manage_payments"))
    client.force_login(user)
    payment = _payment()
    line = _credit(payment.amount - 900)
    # when they try to accept the short credit as paid
    response = _match(client, line, payment, django_capture_on_commit_callbacks, confirm="1",
                      decision="accept_paid", reason="lupa kode unik")
    # then the form says so, in Indonesian, and nothing is matched
    assert response.status_code == 400
    assert "Hanya Finance yang boleh menerima pembayaran kurang sebagai lunas." in response.content.decode()
    payment.refresh_from_db()
    line.refresh_from_db()
    assert (payment.status, payment.received_amount, line.match_status) == (PaymentStatus.PENDING, 0,
                                                                            LineMatch.UNMATCHED)


def test_a_decision_needs_a_reason_and_a_choice_that_fits_the_difference(staff_client,
                                                                          django_capture_on_commit_callbacks):
    finance = staff_client(roles.FINANCE)
    payment = _payment()
    line = _credit(payment.amount - 900)
    # no reason, and a choice meant for overpayments
    response = _match(finance, line, payment, django_capture_on_commit_callbacks, confirm="1", decision="refund",
                      reason="  ")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Pilih apa yang dilakukan dengan selisihnya." in page
    assert "Beri alasan untuk selisihnya." in page
    assert "Kurang bayar Rp 900" in page
    line.refresh_from_db()
    assert line.match_status == LineMatch.UNMATCHED


def test_the_service_refuses_a_difference_without_a_decision(finance_user):
    from core.errors import DomainError
    from payments.services.statements import statement_line_match

    payment = _payment()
    line = _credit(payment.amount + 1)
    with pytest.raises(DomainError, match="more than the payment expects"):
        statement_line_match(line_id=line.pk, payment_id=payment.pk, actor=finance_user)
