from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from core.errors import DomainError, InvalidTransition
from orders.models import OrderStatus
from payments.models import (
    JournalEntry,
    JournalLine,
    OrderPaymentState,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from payments.selectors import order_payment_summary, payment_instructions_for_order
from payments.services.hooks import on_order_created
from payments.services.opening import payment_open
from payments.services.order_sync import expire_overdue
from payments.services.refunds import refund_create
from payments.services.transitions import (
    payment_expire,
    payment_flag_for_review,
    payment_mark_failed,
    payment_mark_paid,
    payment_receive,
)
from payments.states import PaymentFigures, derive_order_payment_state
from tests.payments.factories import make_order, marketplace_channel

pytestmark = pytest.mark.django_db


def figures(*rows):
    return [PaymentFigures(*row) for row in rows]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ((), OrderPaymentState.UNPAID),
        ((("pending", 100, 0, 0),), OrderPaymentState.UNPAID),
        ((("pending", 100, 40, 0),), OrderPaymentState.PARTIALLY_PAID),
        ((("paid", 100, 100, 0),), OrderPaymentState.PAID),
        ((("paid", 100, 60, 0), ("paid", 40, 40, 0)), OrderPaymentState.PAID),
        ((("paid", 100, 130, 0),), OrderPaymentState.OVERPAID),
        ((("refunded", 100, 100, 100),), OrderPaymentState.REFUNDED),
        ((("partially_refunded", 100, 100, 30),), OrderPaymentState.PAID),
    ],
)
def test_order_payment_state_is_derived_from_payments_and_refunds(rows, expected):
    assert derive_order_payment_state(expected_amount=100, payments=figures(*rows)) == expected


def test_new_bank_transfer_order_gets_a_pending_payment_with_a_unique_code():
    # given an order of Rp 125.000 paid by bank transfer
    order = make_order(total=125_000)
    # when the order-created hook runs
    on_order_created(order.pk)
    # then one pending payment expects 125.000 + a kode unik between 1 and 999
    payment = Payment.objects.get(order=order)
    assert payment.method == PaymentMethod.BANK_TRANSFER
    assert payment.status == PaymentStatus.PENDING
    assert 1 <= payment.unique_code <= 999
    assert payment.amount == 125_000 + payment.unique_code
    assert payment.expires_at == order.payment_due_at
    assert PaymentEvent.objects.filter(payment=payment, kind="opened").exists()


def test_unique_codes_never_repeat_among_open_bank_transfers_of_the_same_amount():
    amounts = set()
    for _ in range(60):
        order = make_order(total=50_000)
        amounts.add(payment_open(order_id=order.pk).amount)
    assert len(amounts) == 60


def test_methods_open_gateway_cod_and_marketplace_payments():
    va = payment_open(order_id=make_order(method="virtual_account").pk)
    cod = payment_open(order_id=make_order(method="cod", due_in=None).pk)
    mp = payment_open(order_id=make_order(channel=marketplace_channel(), method="").pk)
    assert (va.method, va.provider, va.unique_code, va.amount) == ("virtual_account", "midtrans", 0, 125_000)
    assert (cod.method, cod.expires_at) == ("cod", None)
    assert (mp.method, mp.provider) == ("marketplace", "shopee")


def test_paid_payment_posts_one_receipt_and_moves_the_order_forward(django_capture_on_commit_callbacks):
    order = make_order(total=100_000)
    payment = payment_open(order_id=order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_paid(payment_id=payment.pk, source="staff", note="checked")
        payment_mark_paid(payment_id=payment.pk, source="gateway")  # a second call changes nothing
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.received_amount == payment.amount
    assert JournalEntry.objects.filter(payment=payment, kind="receipt").count() == 1
    assert order.status == OrderStatus.PAID
    assert order_payment_summary(order_id=order.pk)["state"] == OrderPaymentState.PAID
    event = PaymentEvent.objects.get(payment=payment, kind="paid")
    assert (event.from_status, event.to_status, event.note) == ("pending", "paid", "checked")


def test_payments_never_move_backwards():
    payment = payment_open(order_id=make_order().pk)
    payment_mark_paid(payment_id=payment.pk)
    with pytest.raises(InvalidTransition):
        payment_expire(payment_id=payment.pk)
    with pytest.raises(InvalidTransition):
        payment_flag_for_review(payment_id=payment.pk, reason="late")


def test_a_partial_payment_leaves_the_order_partially_paid_and_the_rest_completes_it(
    django_capture_on_commit_callbacks,
):
    order = make_order(total=200_000)
    payment = payment_open(order_id=order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        payment_receive(payment_id=payment.pk, amount=100_000, key="t:1")
    assert order_payment_summary(order_id=order.pk)["state"] == OrderPaymentState.PARTIALLY_PAID
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    with django_capture_on_commit_callbacks(execute=True):
        payment_receive(payment_id=payment.pk, amount=payment.amount - 100_000, key="t:2")
        payment_receive(payment_id=payment.pk, amount=1, key="t:2")  # same key: no-op
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert order.status == OrderStatus.PAID
    # The order's history names the money the way the page shows every amount: grouped.
    paid = order.events.get(to_status=OrderStatus.PAID)
    assert paid.note == f"Payments received: Rp {payment.amount:,}".replace(",", ".")


def test_amount_mismatch_goes_to_review_and_approval_accepts_what_arrived():
    order = make_order(total=100_000, method="qris")
    payment = payment_open(order_id=order.pk)
    payment_flag_for_review(payment_id=payment.pk, reason="short", received_amount=90_000)
    payment_mark_paid(payment_id=payment.pk, actor=None)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.received_amount == 100_000  # approving without an amount takes the expected amount
    assert JournalLine.objects.filter(entry__payment=payment, entry__kind="receipt").aggregate(
        s=Sum("credit_amount"))["s"] == 100_000


def test_failing_a_payment_with_money_received_is_refused():
    payment = payment_open(order_id=make_order(method="qris").pk)
    payment_flag_for_review(payment_id=payment.pk, reason="challenge", received_amount=125_000)
    with pytest.raises(DomainError):
        payment_mark_failed(payment_id=payment.pk, reason="no")


def test_refunds_partial_then_full_with_reason_and_journal(finance_user):
    order = make_order(total=100_000, method="card")
    payment = payment_open(order_id=order.pk)
    payment_mark_paid(payment_id=payment.pk)
    refund_create(payment_id=payment.pk, amount=30_000, reason="One item out of stock", kind="cancellation",
                  actor=finance_user)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    with pytest.raises(DomainError):
        refund_create(payment_id=payment.pk, amount=70_001, reason="too much", kind="return")
    with pytest.raises(DomainError):
        refund_create(payment_id=payment.pk, amount=10, reason=" ", kind="return")
    refund_create(payment_id=payment.pk, amount=70_000, reason="Returned", kind="return", reference="RMA-1")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert order_payment_summary(order_id=order.pk)["state"] == OrderPaymentState.REFUNDED


def _journal_figures(order_id: int) -> dict:
    lines = JournalLine.objects.filter(entry__order_id=order_id)

    def total(accounts, side):
        return lines.filter(account__in=accounts).aggregate(s=Sum(side))["s"] or 0

    assets = ["1100", "1110", "1120", "1130"]
    return {
        "received": total(assets, "debit_amount") - total(assets, "credit_amount"),
        "fees": total(["6100"], "debit_amount"),
        "refunds": total(["4100"], "debit_amount"),
        "outstanding": total(["1200"], "debit_amount") - total(["1200"], "credit_amount"),
        "due": total(["4000"], "credit_amount") - total(["4000"], "debit_amount"),
    }


def test_per_order_expected_equals_received_plus_fees_plus_refunds_plus_outstanding():
    # a bank transfer partly paid, a gateway payment with a fee and a partial refund, an expired one
    bank = make_order(total=200_000)
    bank_payment = payment_open(order_id=bank.pk)
    payment_receive(payment_id=bank_payment.pk, amount=150_000, key="p:1")
    card = make_order(total=300_000, method="card")
    card_payment = payment_open(order_id=card.pk)
    payment_mark_paid(payment_id=card_payment.pk, fee_amount=8_700)
    refund_create(payment_id=card_payment.pk, amount=50_000, reason="Late delivery voucher", kind="other")
    gone = make_order(total=80_000)
    payment_expire(payment_id=payment_open(order_id=gone.pk).pk)

    for order, expected in ((bank, 200_000 + bank_payment.unique_code), (card, 300_000), (gone, 0)):
        summary = order_payment_summary(order_id=order.pk)
        journal = _journal_figures(order.pk)
        assert summary["expected"] == expected == journal["due"]
        assert summary["received"] == journal["received"]
        assert summary["fees"] == journal["fees"]
        assert summary["refunded"] == journal["refunds"]
        assert summary["outstanding"] == journal["outstanding"]
        assert expected == journal["received"] + journal["fees"] + journal["refunds"] + journal["outstanding"]


def test_journal_balances_every_day():
    for method in ("bank_transfer", "card", "cod"):
        payment = payment_open(order_id=make_order(method=method).pk)
        payment_mark_paid(payment_id=payment.pk, fee_amount=1_000)
    from payments.selectors import journal_daily_totals

    days = journal_daily_totals()
    assert days
    for day in days:
        assert day["debit"] == day["credit"]


def test_overdue_unpaid_orders_expire_and_free_their_code(django_capture_on_commit_callbacks):
    order = make_order(total=100_000, due_in=timedelta(hours=-1))
    payment = payment_open(order_id=order.pk)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    paid_order = make_order(total=100_000, due_in=timedelta(hours=-1))
    paid = payment_open(order_id=paid_order.pk)
    payment_receive(payment_id=paid.pk, amount=50_000, key="x")
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_overdue() == 1
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert order.status == OrderStatus.CANCELLED
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.AWAITING_PAYMENT  # money arrived: Finance decides
    from payments.selectors import overdue_orders

    assert list(overdue_orders().values_list("pk", flat=True)) == [paid_order.pk]


def test_instructions_show_the_exact_amount_and_accounts():
    from payments.models import BankAccount

    BankAccount.objects.create(bank="BCA", account_number="0123456789", holder_name="PT Toko Maju")
    order = make_order(total=125_000)
    payment = payment_open(order_id=order.pk)
    info = payment_instructions_for_order(order_id=order.pk)
    assert info["amount"] == payment.amount
    assert info["unique_code"] == payment.unique_code
    assert info["can_upload_proof"] is True
    assert [a.bank for a in info["bank_accounts"]] == ["BCA"]
    assert order.access_key in info["upload_url"]


def test_the_beat_schedule_runs_the_expiry_task(settings):
    from payments.tasks import expire_unpaid_orders_task

    assert settings.CELERY_BEAT_SCHEDULE["payments.expire_overdue"]["task"] == expire_unpaid_orders_task.name


def test_an_order_marked_paid_by_staff_records_its_open_payment(django_capture_on_commit_callbacks):
    from orders.services import order_mark_paid

    order = make_order(total=75_000)
    payment = payment_open(order_id=order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order_id=order.pk, source="staff", note="WhatsApp screenshot")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert JournalEntry.objects.filter(payment=payment, kind="receipt").count() == 1


def test_a_cancelled_order_frees_its_unique_code():
    from orders.services import order_cancel

    order = make_order(total=75_000)
    payment = payment_open(order_id=order.pk)
    order_cancel(order_id=order.pk, actor=None, reason="Pembeli membatalkan")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED


def test_opening_the_payment_of_a_new_order_is_cheap(django_assert_max_num_queries):
    order = make_order(total=88_000)
    with django_assert_max_num_queries(12):
        on_order_created(order.pk)
    assert Payment.objects.get(order=order).reference == f"{order.number}-P1"
