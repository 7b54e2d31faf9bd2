"""The batch hooks (orders.hooks.run_orders_created / run_status_changed_batch) have the same effects
as the per-order hooks, for notifications and payments."""

from __future__ import annotations

import pytest
from django.db import transaction

from channels.models import Channel
from notifications.models import Notification, NotificationTrigger
from notifications.services import notification_triggers_process_all
from orders import hooks
from orders.models import OrderStatus
from payments.models import Payment, PaymentStatus
from tests.factories import ChannelFactory
from tests.notifications.factories import OrderFactory

pytestmark = pytest.mark.django_db
S = OrderStatus


def _change(order, to_status: str, from_status: str = S.AWAITING_PAYMENT, source: str = "staff"):
    return hooks.StatusChange(order_id=order.id, from_status=from_status, to_status=to_status, event_id=1,
                              source=source)


def _notifications(order) -> list[tuple]:
    return sorted(Notification.objects.filter(order=order).values_list("event", "channel", "status", "recipient"))


def test_status_changes_in_batch_write_the_notifications_of_one_by_one(django_capture_on_commit_callbacks):
    # given two identical web-store orders
    one, two = OrderFactory(), OrderFactory()
    steps = [(S.PAID, S.AWAITING_PAYMENT), (S.PROCESSING, S.PAID), (S.PACKED, S.PROCESSING)]
    # when one gets its changes one by one and the other in a batch
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for to_status, from_status in steps:
            hooks.run_status_changed(_change(one, to_status, from_status))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.run_status_changed_batch([_change(two, to_status, from_status) for to_status, from_status in steps])
    # then both have the same messages (paid, processing; none for packed)
    assert _notifications(one)
    assert [row[:2] for row in _notifications(two)] == [row[:2] for row in _notifications(one)]


def test_marketplace_orders_get_no_triggers_or_messages_from_the_batch_hooks(settings,
                                                                             django_capture_on_commit_callbacks):
    settings.NOTIFY_MARKETPLACE_ORDERS = False
    shop = ChannelFactory(kind=Channel.Kind.SHOPEE, code="SHPX", shop_id="shop-x")
    market, web = OrderFactory(channel=shop), OrderFactory()
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        hooks.run_orders_created([market.id, web.id])
        hooks.run_status_changed_batch([_change(market, S.PAID), _change(web, S.PAID)])
    # the batch hooks write only the web order's outbox rows; its messages follow from them
    assert sorted(NotificationTrigger.objects.values_list("order_id", "event")) == [
        (web.id, "order_confirmation"), (web.id, "order_paid")]
    notification_triggers_process_all()
    assert not Notification.objects.filter(order=market).exists()
    assert Notification.objects.filter(order=web, event="order_paid").exists()


def test_marketplace_orders_get_their_triggers_when_marketplace_messages_are_on(settings,
                                                                                django_capture_on_commit_callbacks):
    settings.NOTIFY_MARKETPLACE_ORDERS = True
    shop = ChannelFactory(kind=Channel.Kind.SHOPEE, code="SHPY", shop_id="shop-y")
    market = OrderFactory(channel=shop)
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        hooks.run_orders_created([market.id])
    assert list(NotificationTrigger.objects.values_list("order_id", flat=True)) == [market.id]


def test_the_payments_batch_hook_books_a_paid_order_and_expires_a_cancelled_ones_payment(
    django_capture_on_commit_callbacks,
):
    from payments.services.hooks import on_order_created

    # given two bank-transfer orders, each expecting its payment
    paid, cancelled = OrderFactory(), OrderFactory()
    for order in (paid, cancelled):
        on_order_created(order.id)
    assert Payment.objects.filter(status=PaymentStatus.PENDING).count() == 2
    # when staff marked one paid and the other was cancelled, reported in one batch
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.run_status_changed_batch([_change(paid, S.PAID), _change(cancelled, S.CANCELLED)])
    # then the first payment is received and the second no longer expected
    assert Payment.objects.get(order=paid).status == PaymentStatus.PAID
    assert Payment.objects.get(order=cancelled).status == PaymentStatus.EXPIRED


def test_the_payments_batch_hook_leaves_payments_alone_for_changes_it_made_itself():
    from payments.services.hooks import on_order_created

    order = OrderFactory()
    on_order_created(order.id)
    hooks.run_status_changed_batch([_change(order, S.PAID, source="payments")])
    assert Payment.objects.get(order=order).status == PaymentStatus.PENDING
