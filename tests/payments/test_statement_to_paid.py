"""A matched bank statement moves its orders to paid through one batch path: the payment summaries
of all its orders and the order transitions are written set-based, so the statements sent do not
grow with the number of orders."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import Notification, NotificationTrigger
from notifications.services import notification_triggers_process_all
from orders.models import OrderEvent, OrderStatus
from payments.models import Payment, PaymentStatus
from payments.services.opening import payment_open
from payments.services.order_sync import order_payment_sync
from payments.services.statements import statement_import_create, statement_import_run
from payments.tasks import order_payment_sync_batch_task
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db

# Upper bound on the statements of one batch (summaries, order locks, one UPDATE, one INSERT of
# events, the hooks' set-based writes), whatever its size.
SYNC_BATCH_MAX_QUERIES = 20


def _csv(amounts: list[int]) -> bytes:
    rows = ["Tanggal Transaksi,Keterangan,Cabang,Jumlah"]
    for i, amount in enumerate(amounts):
        rows.append(f'{timezone.localdate():%d/%m/%Y},"TRSF E-BANKING CR {i}",0000,"{amount:,}.00 CR"')
    return "\n".join(rows).encode()


def _open_orders(count: int) -> list[Payment]:
    return [payment_open(order_id=make_order(total=100_000 + i * 1_000).pk) for i in range(count)]


@pytest.mark.parametrize("count", [2, 12])
def test_a_statement_of_n_matched_credits_pays_n_orders_in_a_bounded_number_of_queries(
    count, django_capture_on_commit_callbacks, django_assert_max_num_queries,
):
    # given N orders each expecting a bank transfer, and a statement paying every one of them
    payments = _open_orders(count)
    order_ids = [p.order_id for p in payments]
    with django_capture_on_commit_callbacks(execute=False):  # the order sync is run below, counted
        job = statement_import_create(data=_csv([p.amount for p in payments]), filename="mutasi.csv",
                                      fmt="bca_business", run=False)
        statement_import_run(import_id=job.pk)
    assert Payment.objects.filter(pk__in=[p.pk for p in payments], status=PaymentStatus.PAID).count() == count
    # when the queued batch task moves the orders forward
    with django_capture_on_commit_callbacks(execute=False) as after_commit, \
            django_assert_max_num_queries(SYNC_BATCH_MAX_QUERIES):
        covered = order_payment_sync_batch_task.apply(args=[order_ids]).get()
    # then every order is paid, with exactly one paid event and one queued notification each
    assert covered == count
    assert sorted(order_ids) == sorted(
        OrderEvent.objects.filter(order_id__in=order_ids, kind="status_changed", to_status=OrderStatus.PAID)
        .values_list("order_id", flat=True))
    for payment in payments:
        payment.order.refresh_from_db()
        assert payment.order.status == OrderStatus.PAID
        assert payment.order.paid_at is not None
    assert sorted(NotificationTrigger.objects.filter(event="order_paid").values_list("order_id", flat=True)) == \
        sorted(order_ids)
    for callback in after_commit:  # the trigger drain, the analytics marks...
        callback()
    notification_triggers_process_all()
    for order_id in order_ids:
        channels = list(Notification.objects.filter(order_id=order_id, event="order_paid")
                        .values_list("channel", flat=True))
        assert channels and len(channels) == len(set(channels))  # one per channel the customer is reached on


def test_syncing_the_same_orders_again_changes_nothing(django_capture_on_commit_callbacks):
    # given orders paid through a statement
    payments = _open_orders(3)
    with django_capture_on_commit_callbacks(execute=True):
        statement_import_create(data=_csv([p.amount for p in payments]), filename="mutasi.csv", fmt="bca_business",
                                run=True)
    before = OrderEvent.objects.count()
    # when the batch task and the per-order sync run again
    with django_capture_on_commit_callbacks(execute=True):
        order_payment_sync_batch_task.apply(args=[[p.order_id for p in payments]])
    states = [order_payment_sync(order_id=p.order_id) for p in payments]
    # then no order moves twice
    assert OrderEvent.objects.count() == before
    assert states == ["paid"] * 3
