from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from payments.models import JournalEntry, Payment, PaymentStatus
from payments.services.opening import payment_open
from payments.services.transitions import payment_mark_paid
from tests.payments.factories import make_order

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _run_together(*targets):
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrap(target):
        def run():
            try:
                barrier.wait()
                target()
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_gateway_webhook_and_manual_approval_at_once_give_one_paid_payment_and_one_receipt(make_user):
    from core import roles

    order = make_order(total=125_345, method="virtual_account")
    order.number = "ORD-20261122-0001"
    order.save(update_fields=["number"])
    payment = payment_open(order_id=order.pk)
    finance = make_user(roles.FINANCE, username="fin")
    body = (FIXTURES / "midtrans" / "settlement.json").read_bytes()

    def webhook():
        response = Client().post("/webhooks/midtrans/", data=body, content_type="application/json")
        assert response.status_code == 200

    def approval():
        payment_mark_paid(payment_id=payment.pk, actor=finance, source="staff", note="transfer seen")

    for _ in range(3):
        errors = _run_together(webhook, approval)
        assert errors == []
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.received_amount == 125_345
    assert JournalEntry.objects.filter(payment=payment, kind="receipt").count() == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert json.loads(body)["order_id"] == order.number


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_of_the_same_amount_never_share_a_unique_code():
    orders = [make_order(total=99_000) for _ in range(8)]
    amounts: list[int] = []
    lock = threading.Lock()

    def opener(order_id):
        def run():
            amount = payment_open(order_id=order_id).amount
            with lock:
                amounts.append(amount)

        return run

    errors = _run_together(*[opener(o.pk) for o in orders])
    assert errors == []
    assert len(amounts) == 8
    assert len(set(amounts)) == 8
