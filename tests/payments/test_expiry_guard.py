"""The orders expiry sweep never cancels an unpaid order that payments still has to decide on."""

from datetime import timedelta

import pytest

from orders.models import OrderStatus
from orders.services import order_expire
from payments.services.opening import payment_open
from payments.services.transitions import payment_flag_for_review, payment_receive
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


def overdue_order():
    order = make_order(total=200_000, due_in=timedelta(hours=-2))
    return order, payment_open(order_id=order.pk)


def test_an_overdue_order_with_nothing_received_is_cancelled():
    order, _payment = overdue_order()

    order = order_expire(order_id=order.pk)

    assert order.status == OrderStatus.CANCELLED


def test_an_overdue_order_paid_in_part_is_kept_for_finance(django_capture_on_commit_callbacks):
    order, payment = overdue_order()
    with django_capture_on_commit_callbacks(execute=True):
        payment_receive(payment_id=payment.pk, amount=50_000, key="bca:1")

    order = order_expire(order_id=order.pk)

    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_an_overdue_order_with_a_payment_in_review_is_kept():
    order, payment = overdue_order()
    payment_flag_for_review(payment_id=payment.pk, reason="amount differs")

    order = order_expire(order_id=order.pk)

    assert order.status == OrderStatus.AWAITING_PAYMENT
