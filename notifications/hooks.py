"""The order lifecycle's hooks into notifications, registered in NotificationsConfig.ready().

They run inside the order service's transaction and swallow their own errors (each works in a
savepoint), so a notification problem can never lose an order.

Order created: the hot path of every web-store and marketplace order, so the transaction only
inserts a NotificationTrigger row (the outbox) and queues its task after commit; the task renders
and writes the messages. The row makes it durable: a message exists if and only if the order
committed, and a lost or failed task is queued again by the sweep.
Status changes write their rows in the transaction (rarer, and their tests and the dashboard
expect the row at once); the sends are scheduled after commit.
"""

from __future__ import annotations

import logging

from django.db import transaction

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
    from notifications.tasks import notification_trigger_task

    notification_trigger_task.delay(trigger_id)


def _defer(order_id: int, event: str) -> None:
    try:
        with transaction.atomic():
            trigger = NotificationTrigger.objects.create(order_id=order_id, event=event)
    except Exception:
        logger.exception("could not record the %s trigger for order %s", event, order_id)
        return
    # robust: the broker being away after the commit must not turn a saved order into an error;
    # the trigger row stays and the sweep queues it again.
    trigger_id = trigger.pk
    transaction.on_commit(lambda: _enqueue_trigger(trigger_id), robust=True)


def on_order_created(order_id: int) -> None:
    _defer(order_id, NotificationEvent.ORDER_CONFIRMATION)


def on_status_changed(change) -> None:
    event = STATUS_EVENTS.get(str(change.to_status))
    if event is not None and change.from_status != change.to_status:
        _queue(change.order_id, event)
