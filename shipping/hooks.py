"""What shipping tells the apps above it (notifications, after-sales, analytics) without importing them.

They register from their AppConfig.ready():

    from shipping import hooks
    hooks.register_shipment_notice(fn)   # fn(notice: ShipmentNotice), after commit
    hooks.register_staff_alert(fn)       # fn(alert: StaffAlert), from the queue sweep

A notice is sent once per shipment and kind (resi assigned, out for delivery, delivered, returned,
exception); handlers run after the shipment's transaction committed, each in its own try so one
failing app cannot stop another. They get ids and plain values and re-read what they need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

logger = logging.getLogger(__name__)

RESI_ASSIGNED = "resi_assigned"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
FAILED_DELIVERY = "failed_delivery"
RETURNING = "returning_to_sender"
RETURNED = "returned"
NOTICE_KINDS = (RESI_ASSIGNED, OUT_FOR_DELIVERY, DELIVERED, FAILED_DELIVERY, RETURNING, RETURNED)
# The kinds a customer hears about (the others are for staff and after-sales).
CUSTOMER_NOTICE_KINDS = (RESI_ASSIGNED, OUT_FOR_DELIVERY, DELIVERED)


@dataclass(frozen=True)
class ShipmentNotice:
    kind: str
    shipment_id: int
    order_id: int
    courier_name: str
    tracking_number: str
    tracking_url: str = ""


@dataclass(frozen=True)
class StaffAlert:
    """Something the warehouse must act on now: `key` is stable per condition and day, so a
    handler can send each alert once."""

    key: str
    title: str
    body: str
    count: int
    recipients: tuple[str, ...] = ()


_notice_handlers: list[Callable[[ShipmentNotice], None]] = []
_alert_handlers: list[Callable[[StaffAlert], None]] = []


def register_shipment_notice(handler: Callable[[ShipmentNotice], None]) -> None:
    if handler not in _notice_handlers:
        _notice_handlers.append(handler)


def register_staff_alert(handler: Callable[[StaffAlert], None]) -> None:
    if handler not in _alert_handlers:
        _alert_handlers.append(handler)


def _call_all(handlers: list, item) -> None:
    for handler in list(handlers):
        try:
            handler(item)
        except Exception:
            logger.exception("shipping hook %r failed for %r", handler, item)


def notify_after_commit(notices: list[ShipmentNotice]) -> None:
    """Hand the notices to the registered handlers once the current transaction commits."""
    if notices and _notice_handlers:
        transaction.on_commit(lambda: [_call_all(_notice_handlers, n) for n in notices], robust=True)


def send_staff_alert(alert: StaffAlert) -> int:
    """Give an alert to every registered handler now; returns how many there are."""
    _call_all(_alert_handlers, alert)
    return len(_alert_handlers)
