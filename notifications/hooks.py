"""The order lifecycle's hooks into notifications, registered in NotificationsConfig.ready().

They run inside the order service's transaction and swallow their own errors (each works in a
savepoint), so a notification problem can never lose an order.

Order created: the hot path of every web-store and marketplace order, so the transaction only
inserts a NotificationTrigger row (the outbox) and queues its task after commit; the task renders
and writes the messages. The row makes it durable: a message exists if and only if the order
committed, and a lost or failed task is queued again by the sweep.
A single status change (a staff action, one callback) writes its rows in the transaction (the
dashboard shows the row at once); the sends are scheduled after commit. The exception is a change
the shipping app makes (source "shipping": a hand-over scan, a tracking update moving the order to
shipped or delivered): that is the warehouse's hot path, so it records a trigger like order
creation does, with the same guarantee (the message exists if and only if the move committed).

The batch hooks (registered with `batch=`) serve services that write many orders in one
transaction (the marketplace webhook drain, orders_mark_paid_many after a bank statement): one
statement finds the orders whose customers are not messaged (marketplace orders, unless
NOTIFY_MARKETPLACE_ORDERS), and the triggers of the others, order created and status changes
alike, are written with one INSERT; the notifications follow through the drain after commit.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from core.db import insert_instance
from notifications.models import NotificationEvent, NotificationTrigger
from notifications.services import STATUS_EVENTS, notification_queue_for_order

logger = logging.getLogger(__name__)


def _queue(order_id: int, event: str) -> None:
    try:
        with transaction.atomic():
            notification_queue_for_order(order_id=order_id, event=event)
    except Exception:
        logger.exception("could not queue %s notifications for order %s", event, order_id)


def _enqueue_trigger(trigger_id: int) -> None:
    # One drain processes every recorded trigger (trigger_id among them): no task per order.
    from notifications.tasks import notification_triggers_wake

    notification_triggers_wake()


def _defer(order_id: int, event: str) -> None:
    try:
        with transaction.atomic():
            trigger = insert_instance(NotificationTrigger(order_id=order_id, event=event))
    except Exception:
        logger.exception("could not record the %s trigger for order %s", event, order_id)
        return
    # robust: the broker being away after the commit must not turn a saved order into an error;
    # the trigger row stays and the sweep queues it again.
    trigger_id = trigger.pk
    transaction.on_commit(lambda: _enqueue_trigger(trigger_id), robust=True)


def on_order_created(order_id: int) -> None:
    _defer(order_id, NotificationEvent.ORDER_CONFIRMATION)


# Order moves made by these sources record a trigger instead of rendering in their transaction.
DEFERRED_SOURCES = frozenset({"shipping"})


def on_status_changed(change) -> None:
    event = STATUS_EVENTS.get(str(change.to_status))
    if event is None or change.from_status == change.to_status:
        return
    if change.source in DEFERRED_SOURCES:
        _defer(change.order_id, event)
    else:
        _queue(change.order_id, event)


def _messaged(order_ids: set[int]) -> set[int]:
    """The orders whose customers may be messaged: not marketplace orders, unless enabled.

    notification_queue_for_order makes the same check when it runs; doing it here first spares a
    trigger row, a task or a savepoint per marketplace order.
    """
    if settings.NOTIFY_MARKETPLACE_ORDERS or not order_ids:
        return set(order_ids)
    from channels.models import Channel
    from orders.models import Order

    return set(
        Order.objects.filter(pk__in=order_ids)
        .exclude(channel__kind__in=Channel.MARKETPLACE_KINDS)
        .values_list("pk", flat=True)
    )


def on_orders_created(order_ids: list[int]) -> None:
    """on_order_created for many orders: one trigger INSERT for those messaged."""
    _defer_many([(order_id, NotificationEvent.ORDER_CONFIRMATION) for order_id in order_ids])


def on_orders_status_changed(changes) -> None:
    """on_status_changed for many changes (orders_mark_paid_many, the marketplace drain): the
    triggers of the orders whose customers are messaged, in one INSERT; the drain writes the
    notifications after commit, as for a new order. One statement skips the unmessaged orders."""
    wanted = [
        (change.order_id, STATUS_EVENTS[str(change.to_status)]) for change in changes
        if str(change.to_status) in STATUS_EVENTS and change.from_status != change.to_status
    ]
    _defer_many(wanted)


def _defer_many(wanted: list[tuple[int, str]]) -> None:
    """The outbox rows (order, event) of the messaged orders in one INSERT (one savepoint), and
    one drain wake-up after commit."""
    if not wanted:
        return
    messaged = _messaged({order_id for order_id, _event in wanted})
    rows = [NotificationTrigger(order_id=order_id, event=event) for order_id, event in wanted if order_id in messaged]
    if not rows:
        return
    try:
        with transaction.atomic():
            triggers = NotificationTrigger.objects.bulk_create(rows, batch_size=5_000)
    except Exception:
        logger.exception("could not record the notification triggers for orders %s", sorted(messaged))
        return
    first = triggers[0].pk
    transaction.on_commit(lambda: _enqueue_trigger(first), robust=True)
