"""What shipping tells the apps above it (notifications, after-sales, analytics) without importing them.

They register from their AppConfig.ready():

    from shipping import hooks
    hooks.register_shipment_notice(fn)   # fn(notice: ShipmentNotice), after commit
    hooks.register_staff_alert(fn)       # fn(alert: StaffAlert), from the queue sweep
    hooks.register_status_changed(fn, batch=fn_many)  # fn(change: StatusChange), inside the transaction

A notice is sent once per shipment and kind (resi assigned, out for delivery, delivered, returned,
exception); handlers run after the shipment's transaction committed, each in its own try so one
failing app cannot stop another. They get ids and plain values and re-read what they need.
Notices are about parcels going to the customer: a return parcel (direction "return") sends none.

A status change is told for every shipment, both directions, inside the transaction that wrote it
(orders and shipments already locked, in that order): after-sales moves a return to "received"
when its return parcel is delivered to the warehouse, in the same commit. A handler must be quick,
must not call the network, and may take locks only on rows of its own app (after the order's).
`batch` is the same handler for many changes (a tracking poll writes hundreds at once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
    direction: str = "outbound"


@dataclass(frozen=True)
class StatusChange:
    """A shipment moved from one status to another (written, not yet committed)."""

    shipment_id: int
    order_id: int
    direction: str  # "outbound" or "return" (shipping.models.ShipmentDirection)
    from_status: str
    to_status: str
    at: datetime
    source: str


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
StatusChangedHook = Callable[[StatusChange], None]
StatusChangedBatchHook = Callable[[list[StatusChange]], None]
_status_handlers: list[tuple[StatusChangedHook, StatusChangedBatchHook | None]] = []


def register_shipment_notice(handler: Callable[[ShipmentNotice], None]) -> None:
    if handler not in _notice_handlers:
        _notice_handlers.append(handler)


def register_staff_alert(handler: Callable[[StaffAlert], None]) -> None:
    if handler not in _alert_handlers:
        _alert_handlers.append(handler)


def register_status_changed(handler: StatusChangedHook, *, batch: StatusChangedBatchHook | None = None) -> None:
    """`handler(change)` for each status change; `batch(changes)`, when given, once per writer call instead."""
    if all(existing is not handler for existing, _ in _status_handlers):
        _status_handlers.append((handler, batch))


def run_status_changed(changes: list[StatusChange]) -> None:
    """Give the changes to every registered handler, in the caller's transaction (errors propagate:
    the handler's work and the shipment's move commit together or not at all)."""
    if not changes:
        return
    for handler, batch in list(_status_handlers):
        if batch is not None:
            batch(list(changes))
        else:
            for change in changes:
                handler(change)


def _call_all(handlers: list, item) -> None:
    for handler in list(handlers):
        try:
            handler(item)
        except Exception:
            logger.exception("shipping hook %r failed for %r", handler, item)


def notify_after_commit(notices: list[ShipmentNotice]) -> None:
    """Hand the notices to the registered handlers once the current transaction commits (notices of
    return parcels are dropped: they are not news for the customer)."""
    notices = [n for n in notices if n.direction == "outbound"]
    if notices and _notice_handlers:
        transaction.on_commit(lambda: [_call_all(_notice_handlers, n) for n in notices], robust=True)


def send_staff_alert(alert: StaffAlert) -> int:
    """Give an alert to every registered handler now; returns how many there are."""
    _call_all(_alert_handlers, alert)
    return len(_alert_handlers)
