"""The order lifecycle's hooks into notifications, registered in NotificationsConfig.ready().

They run inside the order service's transaction: rows are written there (so a message exists if
and only if the change committed) and the sends are scheduled after commit. Each hook works in a
savepoint and swallows its own errors, so a notification problem can never lose an order.
"""

from __future__ import annotations

import logging

from django.db import transaction

from notifications.models import NotificationEvent
from notifications.services import STATUS_EVENTS, notification_queue_for_order

logger = logging.getLogger(__name__)


def _queue(order_id: int, event: str) -> None:
    try:
        with transaction.atomic():
            notification_queue_for_order(order_id=order_id, event=event)
    except Exception:
        logger.exception("could not queue %s notifications for order %s", event, order_id)


def on_order_created(order_id: int) -> None:
    _queue(order_id, NotificationEvent.ORDER_CONFIRMATION)


def on_status_changed(change) -> None:
    event = STATUS_EVENTS.get(str(change.to_status))
    if event is not None and change.from_status != change.to_status:
        _queue(change.order_id, event)
