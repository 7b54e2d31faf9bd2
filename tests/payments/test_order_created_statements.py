"""The order-created hook's short path: a bounded number of statements, same payment, event and journal."""

from __future__ import annotations

import pytest
from django.db import connection

from payments.models import Account, JournalEntry, JournalLine, Payment, PaymentEvent, PaymentMethod
from payments.services.hooks import on_order_created
from payments.services.opening import payment_open
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db

# the order read (a direct call; order creation hands the row over), the kode unik lock, the
# payment insert, the event with the journal entry
ORDER_CREATED_STATEMENTS = 4


def test_a_new_bank_transfer_order_opens_its_payment_in_a_few_statements(django_assert_max_num_queries):
    # given a new bank-transfer order
    order = make_order(total=77_000)
    # when the hook runs
    with django_assert_max_num_queries(ORDER_CREATED_STATEMENTS):
        on_order_created(order.pk)
    # then the payment expects the amount with its code, with its event and journal entry
    payment = Payment.objects.get(order=order)
    assert payment.amount == 77_000 + payment.unique_code and 1 <= payment.unique_code <= 999
    event = PaymentEvent.objects.get(payment=payment)
    assert (event.kind, event.to_status, event.source) == ("opened", "pending", "system")
    assert event.data == {"amount": payment.amount, "unique_code": payment.unique_code}
    entry = JournalEntry.objects.get(payment=payment)
    assert (entry.key, entry.kind, entry.order_id) == (f"charge:{payment.pk}", "charge", order.pk)
    lines = JournalLine.objects.filter(entry=entry).order_by("id")
    assert list(lines.values_list("account", "debit_amount", "credit_amount")) == [
        (Account.RECEIVABLE, payment.amount, 0), (Account.SALES, 0, payment.amount)
    ]


def test_the_hook_twice_for_one_order_opens_one_payment():
    order = make_order(method="qris")
    on_order_created(order.pk)
    on_order_created(order.pk)
    assert Payment.objects.filter(order=order).count() == 1
    assert PaymentEvent.objects.filter(payment__order=order).count() == 1
    assert JournalEntry.objects.filter(order_id=order.pk).count() == 1


def test_a_second_payment_for_an_order_gets_the_next_reference_and_another_code():
    # given an order whose first payment is open
    order = make_order(total=40_000)
    on_order_created(order.pk)
    first = Payment.objects.get(order=order)
    # when staff open another one for the same amount
    second = payment_open(order_id=order.pk)
    # then it is P2, and the two open transfers expect different amounts
    assert second.reference == f"{order.number}-P2"
    assert second.method == PaymentMethod.BANK_TRANSFER and second.amount != first.amount


def test_a_guessed_code_that_is_taken_falls_back_to_the_one_still_free(monkeypatch):
    # given 998 open bank transfers of Rp 20.000: only code 500 is free
    order = make_order(total=20_000)
    Payment.objects.bulk_create([
        Payment(order=order, method=PaymentMethod.BANK_TRANSFER, reference=f"Y-{code}", base_amount=20_000,
                unique_code=code, amount=20_000 + code)
        for code in range(1, 1000) if code != 500
    ])
    # and a first guess that lands on a taken code
    monkeypatch.setattr("payments.services.opening.random.randint", lambda low, high: 7)
    # when another order of that amount opens its payment
    payment = payment_open(order_id=make_order(total=20_000).pk)
    # then the clash is seen and the free code is found
    assert (payment.unique_code, payment.amount) == (500, 20_500)


def test_a_free_guessed_code_is_used_as_it_is(monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr("payments.services.opening.random.randint", lambda low, high: 321)
    order = make_order(total=30_000)
    # no search for a free code: the hook's usual statements
    with django_assert_max_num_queries(ORDER_CREATED_STATEMENTS):
        on_order_created(order.pk)
    payment = Payment.objects.get(order=order)
    assert (payment.unique_code, payment.amount) == (321, 30_321)


def _code_locks_held() -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid() AND objsubid = 2 AND classid = 5005"
        )
        return sorted(cursor.fetchall())


@pytest.mark.parametrize(
    ("method", "locked"), [("bank_transfer", True), ("Manual-Transfer", True), ("qris", False), ("cod", False)]
)
def test_the_hook_takes_the_kode_unik_lock_only_for_bank_transfers(method, locked):
    # given a new order paid by `method`
    order = make_order(total=66_000, method=method)
    # when the hook runs, then the base amount's lock is held exactly for a bank transfer
    on_order_created(order.pk)
    assert _code_locks_held() == ([(5005, 66_000)] if locked else [])
    assert Payment.objects.get(order=order).method == (PaymentMethod.BANK_TRANSFER if locked else method.lower())


@pytest.mark.django_db(transaction=True)
def test_concurrent_new_orders_of_one_amount_never_share_a_unique_code_through_the_hook():
    from django.db import transaction

    from tests.payments.test_concurrency import _run_together

    # given eight new bank-transfer orders of the same amount
    orders = [make_order(total=99_500) for _ in range(8)]

    def creator(order_id):
        def run():
            with transaction.atomic():  # the order's creating transaction
                on_order_created(order_id)

        return run

    # when their hooks run at the same moment, each in its own transaction
    errors = _run_together(*[creator(o.pk) for o in orders])
    # then every order got a payment expecting a different amount
    assert errors == []
    amounts = list(Payment.objects.filter(order__in=orders).values_list("amount", flat=True))
    assert len(amounts) == 8 and len(set(amounts)) == 8
