"""Loyalty points: earned on completed orders, redeemed as a discount, reversed, expired; tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from aftersales.services import returns
from customers.models import LoyaltyTier, PointsEntry
from customers.services import loyalty
from orders.services import (
    CustomerInput,
    LineInput,
    order_cancel,
    order_complete,
    order_create,
)
from tests.concurrency import race

pytestmark = pytest.mark.django_db


def buy(channel, variant, *, points=0, qty=1, phone="0812-3456-7001"):
    return order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=qty)],
                        customer=CustomerInput(name="Rina", phone=phone), discounts={"points": points})


def test_a_completed_order_earns_points_on_what_was_paid_for_the_items(delivered_order):
    order = delivered_order(qty=2)  # Rp 300.000 of items

    order_complete(order_id=order.pk)

    assert loyalty.points_balance(customer_id=order.customer_id) == 300  # 1 point per Rp 1.000
    order_complete(order_id=order.pk)  # twice changes nothing
    assert PointsEntry.objects.filter(kind="earn").count() == 1


def test_points_redeem_partially_and_the_discounted_part_earns_nothing(web_channel, variant, delivered_order):
    first = delivered_order(qty=2)
    order_complete(order_id=first.pk)  # 300 points, worth Rp 3.000

    order = buy(web_channel, variant, points=200)

    assert order.discount_amount == 2_000 and order.total_amount == 148_000
    assert loyalty.points_balance(customer_id=order.customer_id) == 100
    assert PointsEntry.objects.get(order=order, kind="redeem").points == -200


def test_more_points_than_the_balance_are_refused(web_channel, variant, delivered_order):
    order_complete(order_id=delivered_order(qty=1).pk)  # 150 points

    with pytest.raises(ValidationError) as exc:
        buy(web_channel, variant, points=500)

    assert "points" in exc.value.message_dict


def test_a_cancelled_order_gives_its_points_back(web_channel, variant, delivered_order):
    order_complete(order_id=delivered_order(qty=2).pk)
    order = buy(web_channel, variant, points=300)
    assert loyalty.points_balance(customer_id=order.customer_id) == 0

    order_cancel(order_id=order.pk, reason="Batal")

    assert loyalty.points_balance(customer_id=order.customer_id) == 300


def test_a_refunded_return_takes_back_the_points_its_items_earned(delivered_order, cs_user, warehouse_user,
                                                                  finance_user):
    order = delivered_order(qty=2)
    order_complete(order_id=order.pk)
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_receive(return_id=rma.pk, actor=warehouse_user)
    returns.return_inspect(return_id=rma.pk, results=[returns.InspectionResult(rma.lines.get().pk, 1, 0)])

    returns.return_complete(return_id=rma.pk, outcome="refund", actor=finance_user)

    assert loyalty.points_balance(customer_id=order.customer_id) == 150
    assert PointsEntry.objects.get(kind="reversal").reference == f"reversal:return:{rma.pk}"


def test_a_tier_multiplies_the_points_of_a_big_spender(delivered_order):
    LoyaltyTier.objects.create(name="Gold", min_spend_amount=400_000, earn_multiplier="2")
    first = delivered_order(qty=3)
    order_complete(order_id=first.pk)  # 450 points, spend 450.000 -> Gold from now on

    second = delivered_order(qty=1)
    order_complete(order_id=second.pk)

    assert PointsEntry.objects.get(order=second, kind="earn").points == 300
    assert loyalty.tier_for(customer_id=second.customer_id).name == "Gold"


def test_points_expire_after_their_months_first_in_first_out(delivered_order, web_channel, variant):
    order = delivered_order(qty=2)
    order_complete(order_id=order.pk)  # 300 points
    buy(web_channel, variant, points=100)  # 100 used

    with time_machine.travel(timezone.now() + timedelta(days=370), tick=False):
        expired = loyalty.points_expire()
        again = loyalty.points_expire()

    assert expired == 200 and again == 0
    assert loyalty.points_balance(customer_id=order.customer_id) == 0


def test_an_adjustment_needs_a_reason_and_cannot_go_below_zero(delivered_order):
    order = delivered_order(qty=1)

    with pytest.raises(ValidationError):
        loyalty.points_adjust(customer_id=order.customer_id, points=50, note="")
    with pytest.raises(ValidationError):
        loyalty.points_adjust(customer_id=order.customer_id, points=-1, note="koreksi")
    loyalty.points_adjust(customer_id=order.customer_id, points=50, note="Kompensasi keluhan")

    assert loyalty.points_balance(customer_id=order.customer_id) == 50


@pytest.mark.django_db(transaction=True)
def test_the_same_points_cannot_be_spent_twice_by_concurrent_orders(web_channel, variant, delivered_order):
    order_complete(order_id=delivered_order(qty=2).pk)  # 300 points

    outcomes = race(5, lambda: buy(web_channel, variant, points=300))

    assert sum(1 for o in outcomes if not isinstance(o, Exception)) == 1
    assert loyalty.points_balance(customer_id=outcomes[0].customer_id if not isinstance(outcomes[0], Exception)
                                  else PointsEntry.objects.first().customer_id) == 0


def test_the_order_status_page_shows_the_balance(client, delivered_order):
    order = delivered_order(qty=2)
    order_complete(order_id=order.pk)

    html = client.get(f"/track/{order.number}/{order.access_key}/").content.decode()

    assert 'id="points-balance">300<' in html
