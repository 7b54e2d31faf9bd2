"""Celery tasks: take ids, load fresh rows, call a service; retries with capped exponential backoff."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from core.drain import Drain
from core.tasking import OmsTask
from notifications import selectors, services
from notifications.providers import TransientSendError

logger = logging.getLogger(__name__)

MAX_SEND_RETRIES = 5
# 30 s, 1, 2, 4, 8 minutes (with full jitter): a gateway outage of a quarter hour is ridden out.
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX = 600


@shared_task(bind=True, base=OmsTask, name="notifications.tasks.notification_send_task",
             max_retries=MAX_SEND_RETRIES, acks_late=True)
def notification_send_task(self, notification_id: int) -> str:
    """Send one notification. Idempotent: a row that is not `queued` is left alone.

    A transient provider error retries with backoff (30 s doubling, capped at 10 min);
    the last attempt marks the row failed with the reason, where staff see and retry it.
    Any other error (a bug, the database away) goes to OmsTask, which records a TaskFailure.
    """
    final = self.request.retries >= self.max_retries
    try:
        notification = services.notification_send(notification_id=notification_id, final_attempt=final)
    except TransientSendError as exc:
        countdown = get_exponential_backoff_interval(
            factor=RETRY_BACKOFF_SECONDS, retries=self.request.retries, maximum=RETRY_BACKOFF_MAX, full_jitter=True
        )
        raise self.retry(exc=exc, countdown=countdown) from None
    return notification.status


@shared_task(bind=True, base=OmsTask, name="notifications.tasks.notification_trigger_task", max_retries=3)
def notification_trigger_task(self, trigger_id: int) -> int:
    """Write (render) the notifications of one order event recorded by an order hook, then send them.

    Idempotent: a trigger already processed is gone and a repeat does nothing. A failure leaves
    the trigger row, which the sweep queues again; the last failure is recorded as a TaskFailure.
    """
    return services.notification_trigger_process(trigger_id=trigger_id)


# One debounced drain (core.drain) writes the notifications of recorded order events: committing
# an order costs one Redis SET NX instead of publishing a task (which cost the web request more CPU
# than all of the order's SQL). A trigger that fails stays for the sweep.
TRIGGER_DRAIN_KEY = "notifications:trigger-drain"
TRIGGER_DRAIN = Drain(
    key=TRIGGER_DRAIN_KEY, task=lambda: notification_triggers_drain_task, marker_ttl=120, run_seconds=60,
)
TRIGGER_DRAIN_BATCH = 200


def notification_triggers_wake() -> None:
    """After an order event committed its trigger: make sure a drain is on its way."""
    TRIGGER_DRAIN.wake()


@shared_task(bind=True, base=OmsTask, name="notifications.tasks.notification_triggers_drain_task")
def notification_triggers_drain_task(self) -> int:
    """Write the notifications of every recorded order event, oldest first, until none is left.

    Each trigger is processed (and deleted) in its own transaction by notification_trigger_process,
    so one bad order never holds back the others: it stays for the sweep. Returns rows written.
    """
    tried: set[int] = set()  # still there after processing: failed, or held by another worker

    def claim() -> list[int]:
        return selectors.notification_trigger_pending_ids(limit=TRIGGER_DRAIN_BATCH, exclude=tried)

    def process(ids: list[int]) -> int:
        nonlocal tried
        written = 0
        for trigger_id in ids:
            try:
                written += services.notification_trigger_process(trigger_id=trigger_id)
            except Exception:
                logger.exception("notification trigger %s failed; the sweep will try it again", trigger_id)
            tried.add(trigger_id)
        tried = selectors.notification_triggers_existing(trigger_ids=tried)
        return written

    return TRIGGER_DRAIN.run(claim=claim, process=process)


@shared_task(name="notifications.tasks.notification_sweep_task")
def notification_sweep_task() -> int:
    """Periodic: re-send queued rows whose task was lost and recover rows stuck in `sending`."""
    return services.notification_sweep()


@shared_task(name="notifications.tasks.notification_queue_task")
def notification_queue_task(order_id: int, event: str) -> int:
    """Queue the notifications of an order event from outside a request (e.g. a beat job or a shell)."""
    return len(services.notification_queue_for_order(order_id=order_id, event=event))


@shared_task(name="notifications.tasks.notification_payment_reminders_task")
def notification_payment_reminders_task() -> int:
    """Periodic: remind customers whose unpaid order's payment deadline is near."""
    return services.notification_payment_reminders_queue()
