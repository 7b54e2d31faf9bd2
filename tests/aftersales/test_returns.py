"""Returns: window, lines, the way back, inspection with restock exactly once, refund, replacement."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from aftersales import hooks
from aftersales.models import CaseStatus, ReturnStatus
from aftersales.services import returns
from catalog.models import StockLevel, StockMovement
from core.errors import DomainError, InvalidTransition
from payments.models import Refund

pytestmark = pytest.mark.django_db


def stock(variant) -> tuple[int, int]:
    level = StockLevel.objects.get(variant=variant)
    return level.on_hand, level.reserved


def open_return(order, qty=1, **kwargs):
    line = order.lines.get()
    return returns.return_request_create(
        order_id=order.pk, lines=[returns.ReturnLineRequest(line.pk, qty)], reason="damaged",
        description="Jahitan lepas", **kwargs)


def test_the_window_cannot_be_set_below_two_working_days():
    with pytest.raises(ValidationError) as exc:
        returns.return_policy_update(window_working_days=1, conditions="", shipping_paid_by="buyer",
                                     requires_photo=False)

    assert "window_working_days" in exc.value.message_dict


def test_a_return_after_the_window_is_refused_for_the_customer_but_staff_may_with_a_note(delivered_order, cs_user):
    order = delivered_order()
    later = timezone.now() + timedelta(days=30)

    with time_machine.travel(later, tick=False):
        with pytest.raises(ValidationError) as exc:
            open_return(order)
        assert "order" in exc.value.message_dict
        rma = open_return(order, actor=cs_user, outside_window_note="Pelanggan lama, kebijakan toko")

    assert rma.status == ReturnStatus.REQUESTED


def test_more_units_than_are_left_are_refused(delivered_order):
    order = delivered_order(qty=2)
    open_return(order, qty=2)

    with pytest.raises(ValidationError) as exc:
        open_return(order, qty=1)

    assert "lines" in exc.value.message_dict


def test_a_return_of_an_undelivered_order_is_refused(web_channel, variant):
    from orders.services import CustomerInput, LineInput, order_create

    order = order_create(channel_id=web_channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                         customer=CustomerInput(name="A", phone="0812-1111-2222"))

    with pytest.raises(ValidationError):
        open_return(order)


def test_full_return_restocks_resellable_units_once_writes_off_damaged_and_refunds(
        delivered_order, variant, cs_user, warehouse_user, finance_user):
    # given: 3 units delivered (20 in stock before, 17 after shipping)
    order = delivered_order(qty=3)
    assert stock(variant) == (17, 0)
    rma = open_return(order, qty=3)

    # when: approved, shipped back with a resi, received and inspected (2 resellable, 1 damaged)
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_ship(return_id=rma.pk, courier="J&T", tracking_number="JP1234567890", actor=cs_user)
    returns.return_receive(return_id=rma.pk, actor=warehouse_user)
    line = rma.lines.get()
    returns.return_inspect(return_id=rma.pk, actor=warehouse_user,
                           results=[returns.InspectionResult(line.pk, resellable=2, damaged=1)])
    returns.return_inspect(return_id=rma.pk, actor=warehouse_user,  # a double click changes nothing
                           results=[returns.InspectionResult(line.pk, resellable=2, damaged=1)])

    # then: 2 back on the shelf, the damaged one received and written off, all in the ledger
    assert stock(variant) == (19, 0)
    moves = StockMovement.objects.filter(reference__startswith=f"rma:{rma.pk}:")
    assert sorted(moves.values_list("kind", "on_hand_change")) == [("adjustment", -1), ("return", 1), ("return", 2)]

    # and the refund goes through payments, approved by Finance
    rma = returns.return_complete(return_id=rma.pk, outcome="refund", actor=finance_user)
    refund = Refund.objects.get(order=order)
    assert refund.amount == 450_000 and refund.kind == "return" and refund.reference == rma.number
    assert rma.status == ReturnStatus.COMPLETED and rma.refund_amount == 450_000
    rma.case.refresh_from_db()
    assert rma.case.status == CaseStatus.RESOLVED and rma.case.resolution == "refund"
    # the original shipment's resi is untouched
    order.refresh_from_db()
    assert order.tracking_number == f"CM{order.pk:08d}"


def test_partial_return_keeps_the_rest_of_the_order_and_its_resi(delivered_order, cs_user, warehouse_user):
    order = delivered_order(qty=2)
    rma = open_return(order, qty=1)
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_ship(return_id=rma.pk, courier="SiCepat", tracking_number="004455667788", actor=cs_user)

    order.refresh_from_db()
    rma.refresh_from_db()
    assert order.tracking_number == f"CM{order.pk:08d}" and order.courier == "JNE"
    assert rma.return_tracking_number == "004455667788"
    assert returns.returnable_quantities(order) == {order.lines.get().pk: 1}


def test_inspection_must_account_for_every_unit(delivered_order, cs_user, warehouse_user):
    order = delivered_order(qty=2)
    rma = open_return(order, qty=2)
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_receive(return_id=rma.pk, actor=warehouse_user)

    with pytest.raises(ValidationError):
        returns.return_inspect(return_id=rma.pk, results=[returns.InspectionResult(rma.lines.get().pk, 1, 0, 0)])

    rma.refresh_from_db()
    assert rma.status == ReturnStatus.RECEIVED
    assert not StockMovement.objects.filter(reference__startswith=f"rma:{rma.pk}:").exists()


def test_receiving_before_approval_is_an_invalid_transition(delivered_order):
    rma = open_return(delivered_order())

    with pytest.raises(InvalidTransition):
        returns.return_receive(return_id=rma.pk)


def test_a_refund_above_what_was_paid_is_refused(delivered_order, cs_user, warehouse_user, finance_user):
    order = delivered_order(qty=1)
    rma = open_return(order)
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_receive(return_id=rma.pk, actor=warehouse_user)
    returns.return_inspect(return_id=rma.pk, results=[returns.InspectionResult(rma.lines.get().pk, 1, 0)])

    with pytest.raises(DomainError):
        returns.return_complete(return_id=rma.pk, outcome="refund", refund_amount=10_000_000, actor=finance_user)

    assert not Refund.objects.exists()


def test_a_replacement_is_a_zero_price_order_that_reserves_stock(delivered_order, variant, cs_user, warehouse_user):
    order = delivered_order(qty=1)
    rma = open_return(order)
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_receive(return_id=rma.pk, actor=warehouse_user)
    returns.return_inspect(return_id=rma.pk, results=[returns.InspectionResult(rma.lines.get().pk, 0, 1)])

    rma = returns.return_complete(return_id=rma.pk, outcome="replacement", actor=cs_user)

    replacement = rma.replacement_order
    assert replacement.total_amount == 0 and replacement.status == "paid"
    assert "replacement" in replacement.tags
    assert stock(variant) == (19, 1)  # 1 shipped, the damaged one written off, 1 reserved for the replacement


def test_completing_a_return_tells_the_registered_apps(delivered_order, cs_user, warehouse_user):
    seen = []
    hooks.register_return_completed(seen.append)
    try:
        order = delivered_order(qty=2)
        rma = open_return(order, qty=1)
        returns.return_approve(return_id=rma.pk, actor=cs_user)
        returns.return_receive(return_id=rma.pk, actor=warehouse_user)
        returns.return_inspect(return_id=rma.pk, results=[returns.InspectionResult(rma.lines.get().pk, 1, 0)])
        returns.return_complete(return_id=rma.pk, outcome="repair", actor=cs_user)
    finally:
        hooks._return_completed.remove(seen.append)

    assert [(d.return_id, d.outcome, d.returned_amount) for d in seen] == [(rma.pk, "repair", 150_000)]


def test_replies_on_two_cases_of_one_order_both_reach_the_customer(delivered_order, cs_user):
    from aftersales.services import cases
    from notifications.models import Notification

    order = delivered_order()
    first = cases.case_open(subject="Telat", order_id=order.pk)
    second = cases.case_open(subject="Rusak", order_id=order.pk)

    cases.case_reply(case_id=first.pk, body="Kami cek", actor=cs_user)
    cases.case_reply(case_id=second.pk, body="Mohon fotonya", actor=cs_user)

    assert Notification.objects.filter(event="case_update").count() == 2
