"""The order lifecycle's hooks into notifications, registered in NotificationsConfig.ready().

They run inside the order service's transaction and swallow their own errors (each works in a
savepoint), so a notification problem can never lose an order.

Order created: the hot path of every web-store and marketplace order, so the transaction only
inserts a NotificationTrigger row (the outbox) and queues its task after commit; the task renders
and writes the messages. The row makes it durable: a message exists if and only if the order
committed, and a lost or failed task is queued again by the sweep.
Status changes write their rows in the transaction (rarer, and their tests and the dashboard
expect the row at once); the sends are scheduled after commit. The exception is a change the
shipping app makes (source "shipping": a hand-over scan, a tracking update moving the order to
shipped or delivered): that is the warehouse's hot path, so it records a trigger like order
creation does, with the same guarantee (the message exists if and only if the move committed).

Batch twins (orders.hooks.batch_twin) serve services that write many orders in one transaction
(the marketplace webhook drain): one statement finds the orders whose customers are not messaged
(marketplace orders, unless NOTIFY_MARKETPLACE_ORDERS), and the triggers of the others are written
with one INSERT.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from core.db import insert_instance
from notifications.models import NotificationEvent, NotificationTrigger
from notifications.services import STATUS_EVENTS, notification_queue_for_order
from orders import hooks as order_hooks

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


def _queue_or_defer(change, event: str) -> None:
    if change.source in DEFERRED_SOURCES:
        _defer(change.order_id, event)
    else:
        _queue(change.order_id, event)


def on_status_changed(change) -> None:
    event = STATUS_EVENTS.get(str(change.to_status))
    if event is not None and change.from_status != change.to_status:
        _queue_or_defer(change, event)


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


@order_hooks.batch_twin(on_order_created)
def on_orders_created(order_ids: list[int]) -> None:
    """on_order_created for many orders: one trigger INSERT (in one savepoint) for those messaged."""
    ids = _messaged(set(order_ids))
    if not ids:
        return
    try:
        with transaction.atomic():
            triggers = NotificationTrigger.objects.bulk_create(
                [NotificationTrigger(order_id=order_id, event=NotificationEvent.ORDER_CONFIRMATION)
                 for order_id in order_ids if order_id in ids]
            )
    except Exception:
        logger.exception("could not record the order confirmation triggers for orders %s", sorted(ids))
        return
    for trigger_id in [trigger.pk for trigger in triggers]:
        transaction.on_commit(lambda pk=trigger_id: _enqueue_trigger(pk), robust=True)


@order_hooks.batch_twin(on_status_changed)
def on_orders_status_changed(changes) -> None:
    """on_status_changed for many changes: one statement skips the orders whose customers are not messaged."""
    wanted = [
        (change, STATUS_EVENTS[str(change.to_status)]) for change in changes
        if str(change.to_status) in STATUS_EVENTS and change.from_status != change.to_status
    ]
    if not wanted:
        return
    messaged = _messaged({change.order_id for change, _event in wanted})
    for change, event in wanted:
        if change.order_id in messaged:
            _queue_or_defer(change, event)
