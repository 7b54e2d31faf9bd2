"""The order lifecycle table, and every transition service checked against it from every status."""

from __future__ import annotations

import pytest

from core.errors import InvalidTransition
from orders import services
from orders.models import ALLOWED_TRANSITIONS, STATUS_RANK, Order, OrderStatus
from orders.services.external import forward_path

S = OrderStatus
ALL = list(S)

EXPECTED = {
    S.AWAITING_PAYMENT: {S.PAID, S.CANCELLED},  # + processing for COD, below
    S.PAID: {S.PROCESSING, S.CANCELLED},
    S.PROCESSING: {S.PACKED, S.CANCELLED},
    S.PACKED: {S.SHIPPED, S.PROCESSING, S.CANCELLED},
    S.SHIPPED: {S.DELIVERED},
    S.DELIVERED: {S.COMPLETED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_the_transition_table(current, target):
    prepaid = Order(status=current, payment_method="bank_transfer")
    cod = Order(status=current, payment_method="cod")
    assert prepaid.can_transition_to(target) == (target in EXPECTED[current])
    cod_expected = target in EXPECTED[current] or (current == S.AWAITING_PAYMENT and target == S.PROCESSING)
    assert cod.can_transition_to(target) == cod_expected


def test_every_status_has_a_rank_and_only_unpacking_goes_back():
    assert set(STATUS_RANK) == set(ALL) == set(ALLOWED_TRANSITIONS)
    backwards = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets
                 if STATUS_RANK[b] < STATUS_RANK[a]}
    assert backwards == {(S.PACKED, S.PROCESSING)}


def test_forward_paths_skip_the_cod_shortcut_for_prepaid_orders():
    assert forward_path(Order(status=S.AWAITING_PAYMENT, payment_method="qris"), S.PACKED) == [
        S.PAID, S.PROCESSING, S.PACKED]
    assert forward_path(Order(status=S.AWAITING_PAYMENT, payment_method="cod"), S.SHIPPED) == [
        S.PROCESSING, S.PACKED, S.SHIPPED]
    assert forward_path(Order(status=S.SHIPPED), S.PAID) is None
    assert forward_path(Order(status=S.SHIPPED), S.CANCELLED) is None
    assert forward_path(Order(status=S.PAID), S.PAID) == []


# service -> (target status, statuses it may start from)
SERVICES = {
    "order_mark_paid": (S.PAID, {S.AWAITING_PAYMENT}),
    "order_confirm": (S.PROCESSING, {S.PAID}),
    "order_mark_packed": (S.PACKED, {S.PROCESSING}),
    "order_mark_shipped": (S.SHIPPED, {S.PACKED}),
    "order_mark_delivered": (S.DELIVERED, {S.SHIPPED}),
    "order_complete": (S.COMPLETED, {S.DELIVERED}),
    "order_cancel": (S.CANCELLED, {S.AWAITING_PAYMENT, S.PAID, S.PROCESSING, S.PACKED}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("service", sorted(SERVICES))
@pytest.mark.parametrize("start", ALL)
def test_each_service_follows_the_table_from_every_status(service, start, place_order):
    # given a prepaid order put straight into `start` (a test shortcut: only services change status)
    order = place_order()
    Order.objects.filter(pk=order.pk).update(status=start)
    target, allowed = SERVICES[service]
    extra = {"reason": "test"} if service == "order_cancel" else {}
    call = getattr(services, service)
    # when the service runs
    if service == "order_mark_paid" and start in {S.PROCESSING, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED}:
        # already past payment: unchanged (paid_at stamped for COD), see test_services
        assert call(order_id=order.id).status == start
    elif start == target or start in allowed:
        result = call(order_id=order.id, **extra)
        # then the order is in the target state, with one event when it moved
        assert result.status == target
        assert order.events.filter(kind="status_changed").count() == (0 if start == target else 1)
    else:
        with pytest.raises(InvalidTransition):
            call(order_id=order.id, **extra)
        assert Order.objects.get(pk=order.pk).status == start
