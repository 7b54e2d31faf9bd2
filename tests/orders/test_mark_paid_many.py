"""orders_mark_paid_many and the transitions writer: the per-order rule, applied set-based."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction

from core.errors import InvalidTransition
from orders import hooks
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services import (
    order_cancel,
    order_confirm,
    order_mark_packed,
    order_mark_paid,
    orders_mark_paid_many,
)
from orders.services.transitions import lock_orders, plan_transition, transitions_write
from payments.models import Payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = OrderStatus
PAID_AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)

# the orders' side, whatever the number of orders: the transaction's savepoint and its release,
# the order locks, one UPDATE of the orders, one INSERT of the events
MARK_PAID_MANY_STATEMENTS = 5


@pytest.fixture
def recorded(monkeypatch):
    """Status changes seen by a per-order hook and by a batch-only hook, registered for this test."""
    seen = {"single": [], "batches": []}
    monkeypatch.setattr(hooks, "_status_changed", list(hooks._status_changed))
    hooks.register_status_changed(lambda change: seen["single"].append(change))
    hooks.register_status_changed(batch=lambda changes: seen["batches"].append(list(changes)))
    return seen


@pytest.fixture
def orders_of_every_kind(place_order):
    """One order per case the rule knows, in this order: awaiting a bank transfer, cash on delivery
    confirmed and not yet paid, already paid, cancelled."""

    def make() -> list[Order]:
        waiting = place_order()
        cod = place_order(payment_method="cod")
        order_confirm(order_id=cod.id)
        paid = place_order()
        order_mark_paid(order_id=paid.id)
        cancelled = place_order()
        order_cancel(order_id=cancelled.id, reason="buyer asked")
        return [waiting, cod, paid, cancelled]

    return make


def _order_row(order_id: int) -> tuple:
    """Status and stamps; a stamp from before this step counts as set (the two sets were made apart)."""
    order = Order.objects.get(pk=order_id)

    def stamp(value):
        return value if value is None or value == PAID_AT else "set before"

    return order.status, stamp(order.paid_at), stamp(order.updated_at), stamp(order.cancelled_at)


def _new_events(order_id: int, since: int) -> list[tuple]:
    return list(OrderEvent.objects.filter(order_id=order_id, pk__gt=since).order_by("id").values_list(
        "kind", "from_status", "to_status", "source", "note", "data", "actor_id", "created_at"))


def _payment(order_id: int) -> tuple:
    return tuple(Payment.objects.filter(order_id=order_id).order_by("id").values_list("method", "status",
                                                                                      "base_amount"))


def test_the_batch_writes_what_the_per_order_calls_write(orders_of_every_kind, recorded, owner,
                                                        django_capture_on_commit_callbacks):
    # given the same four cases twice
    singles, batched = orders_of_every_kind(), orders_of_every_kind()
    last_event = OrderEvent.objects.order_by("-id").values_list("id", flat=True).first()
    recorded["single"].clear()
    recorded["batches"].clear()
    # when one set is marked paid order by order and the other in one batch, at the same moment
    with time_machine.travel(PAID_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        for order in singles:
            with contextlib.suppress(InvalidTransition):  # the cancelled one
                order_mark_paid(order_id=order.id, actor=owner, source="gateway", note="callback")
    single_changes = list(recorded["single"])
    recorded["single"].clear()
    with time_machine.travel(PAID_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        moved = orders_mark_paid_many(order_ids=[o.id for o in reversed(batched)], actor=owner, source="gateway",
                                      note="callback")
    # then the same orders changed, with the same fields, events and payments
    assert [o.id for o in moved] == [batched[0].id, batched[1].id]
    for single, batch in zip(singles, batched, strict=True):
        assert _order_row(batch.id) == _order_row(single.id)
        assert _new_events(batch.id, last_event) == _new_events(single.id, last_event)
        assert _payment(batch.id) == _payment(single.id)
    assert [e[0] for e in _new_events(batched[0].id, last_event)] == ["status_changed"]
    assert [e[0] for e in _new_events(batched[1].id, last_event)] == ["payment_received"]
    assert _order_row(batched[0].id)[:2] == (S.PAID, PAID_AT)
    assert _order_row(batched[1].id)[:2] == (S.PROCESSING, PAID_AT)
    # and the hooks saw the same change: a per-order hook once per change, a batch hook once
    def strip(change):
        return change.order_id, change.from_status, change.to_status, change.source

    assert [strip(c) for c in single_changes] == [(singles[0].id, S.AWAITING_PAYMENT, S.PAID, "gateway")]
    assert [strip(c) for c in recorded["single"]] == [(batched[0].id, S.AWAITING_PAYMENT, S.PAID, "gateway")]
    assert [[strip(c) for c in batch] for batch in recorded["batches"]] == [
        [(singles[0].id, S.AWAITING_PAYMENT, S.PAID, "gateway")],
        [(batched[0].id, S.AWAITING_PAYMENT, S.PAID, "gateway")],
    ]
    event = OrderEvent.objects.get(order_id=batched[0].id, kind="status_changed", pk__gt=last_event)
    assert recorded["single"][0].event_id == event.pk


def test_a_repeat_changes_nothing_and_unknown_ids_are_skipped(place_order):
    # given two orders awaiting payment
    one, two = place_order(), place_order()
    # when they are marked paid twice, once with an id that does not exist
    first = orders_mark_paid_many(order_ids=[two.id, one.id, 987_654, one.id])
    events = OrderEvent.objects.count()
    again = orders_mark_paid_many(order_ids=[one.id, two.id])
    # then the first call moved both, in id order, and the repeat nothing
    assert [o.id for o in first] == sorted([one.id, two.id])
    assert all(o.status == S.PAID for o in first)
    assert again == [] and OrderEvent.objects.count() == events
    assert orders_mark_paid_many(order_ids=[]) == []


def test_the_per_order_call_still_refuses_a_cancelled_order(place_order):
    order = place_order()
    order_cancel(order_id=order.id, reason="buyer asked")
    with pytest.raises(InvalidTransition):
        order_mark_paid(order_id=order.id)
    assert orders_mark_paid_many(order_ids=[order.id]) == []
    assert Order.objects.get(pk=order.id).status == S.CANCELLED


@pytest.mark.parametrize("order_count", [1, 20])
def test_the_statements_do_not_grow_with_the_number_of_orders(
    web_channel, buyer, make_variant, django_assert_max_num_queries, monkeypatch, order_count
):
    # given that many orders awaiting payment
    from orders.services import LineInput, order_create

    variant = make_variant("BATCH-1", stock=500)
    orders = [order_create(channel_id=web_channel.id, lines=[LineInput(sku=variant.sku, quantity=1)],
                           customer=buyer) for _ in range(order_count)]
    # and only a batch hook listening (other apps' hooks count their own statements)
    seen = []
    monkeypatch.setattr(hooks, "_status_changed", [])
    hooks.register_status_changed(batch=seen.append)
    # when they are marked paid in one batch
    with django_assert_max_num_queries(MARK_PAID_MANY_STATEMENTS):
        moved = orders_mark_paid_many(order_ids=[o.id for o in orders], source="gateway")
    # then every one is paid with one status event, and the hook heard them all at once
    assert len(moved) == order_count and len(seen) == 1 and len(seen[0]) == order_count
    assert Order.objects.filter(status=S.PAID).count() == order_count
    assert OrderEvent.objects.filter(kind="status_changed", to_status=S.PAID).count() == order_count


def test_one_write_ships_and_cancels_with_the_stock_moved_once_each(place_order, make_variant, stock_of):
    # given two orders of one variant holding 2 units each, one of them packed
    variant = make_variant("SPLIT-1", stock=10)
    shipping, cancelling = place_order(variant=variant), place_order(variant=variant)
    order_mark_paid(order_id=shipping.id)
    order_confirm(order_id=shipping.id)
    order_mark_packed(order_id=shipping.id)
    # when one write ships the one and cancels the other
    with transaction.atomic():
        locked = lock_orders([shipping.id, cancelling.id])
        events = transitions_write([
            plan_transition(locked[shipping.id], S.SHIPPED, fields={"courier": "JNE"}),
            plan_transition(locked[cancelling.id], S.CANCELLED, fields={"cancel_reason": "buyer asked"}),
        ])
    # then the shipped units left the warehouse, the cancelled ones are free again
    assert [(e.from_status, e.to_status) for e in events] == [(S.PACKED, S.SHIPPED), (S.AWAITING_PAYMENT, S.CANCELLED)]
    assert stock_of(variant) == (8, 0)
    assert not OrderLine.objects.filter(order_id__in=[shipping.id, cancelling.id], stock_reserved=True).exists()
    shipped, cancelled = Order.objects.get(pk=shipping.id), Order.objects.get(pk=cancelling.id)
    assert (shipped.status, shipped.courier, shipped.shipped_at is not None) == (S.SHIPPED, "JNE", True)
    assert (cancelled.status, cancelled.cancel_reason) == (S.CANCELLED, "buyer asked")
    # and a second write of the same steps is refused by the table
    with pytest.raises(InvalidTransition), transaction.atomic():
        plan_transition(lock_orders([shipping.id])[shipping.id], S.SHIPPED)
