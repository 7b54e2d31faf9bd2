"""Order transitions as plans: one rule for one order and for a batch.

`plan_transition` and `plan_mark_paid` are pure: from a locked order and a target they work out
the new field values (status, timestamps, extra fields, updated_at), the stock effect (commit on
shipping, release on cancelling) and the event row, and change nothing in the database.
`plan_change` plans what is no status step (field values, a timeline note) the same way, so a
marketplace upsert is one list of plans. `transitions_write` applies any number of plans
set-based: the stock effects through catalog's `stock_commit_many` / `stock_release_many`, one
bulk UPDATE of the changed order columns, one INSERT of the events, and the status-changed hooks
once for the batch (`hooks.run_status_changed_batch`: an app's batch hook once, other apps once
per change; a single plan goes through the per-change runner), each change carrying the order
row as written.

The per-order services in orders.services.lifecycle are a batch of one:
`transitions_write([plan_transition(order, target, ...)])`; `orders_mark_paid_many` is the batch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from core.errors import InvalidTransition
from orders import hooks
from orders.models import Order, OrderEvent, OrderLine, OrderStatus

S = OrderStatus

# Timestamp field stamped when an order enters a status.
_STAMPS = {
    S.PAID: "paid_at",
    S.SHIPPED: "shipped_at",
    S.DELIVERED: "delivered_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
}

EVENT_STATUS = "status_changed"
EVENT_PAYMENT_RECEIVED = "payment_received"
# Statuses past payment: a cash-on-delivery order gets there before anyone pays.
PAST_PAYMENT = frozenset({S.PROCESSING, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED})

STOCK_COMMIT = "commit"
STOCK_RELEASE = "release"


@dataclass
class TransitionPlan:
    """What one step of one order writes: new column values, stock effect, event."""

    order: Order
    fields: dict[str, Any]  # column -> new value (also set on `order`); the writer's update_fields
    event: OrderEvent | None
    stock: str = ""  # STOCK_COMMIT, STOCK_RELEASE or ""
    actor: Any = None

    @property
    def is_status_change(self) -> bool:
        return self.event is not None and self.event.kind == EVENT_STATUS


def user_or_none(actor):
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def plan_transition(
    order: Order,
    target: str,
    *,
    actor=None,
    source: str = "staff",
    note: str = "",
    fields: dict | None = None,
    at: datetime | None = None,
    data: dict | None = None,
    now: datetime | None = None,
) -> TransitionPlan:
    """Plan moving `order` one step to `target`; raises InvalidTransition when the table forbids it.

    The plan's field values are also set on `order` (the writer saves them), so several plans for
    one order in a row (a marketplace path awaiting_payment -> paid -> processing) build on each other.
    """
    current = order.status
    if not order.can_transition_to(target):
        raise InvalidTransition(entity="Order", current=current, target=target)
    now = now or timezone.now()
    changed: dict[str, Any] = dict(fields or {})
    stamp = _STAMPS.get(target)
    if stamp and getattr(order, stamp) is None:
        changed[stamp] = at or now
    changed["status"] = target
    changed["updated_at"] = now
    for name, value in changed.items():
        setattr(order, name, value)
    stock = STOCK_RELEASE if target == S.CANCELLED else STOCK_COMMIT if target == S.SHIPPED else ""
    event = _event(order, EVENT_STATUS, actor=actor, source=source, note=note, from_status=current,
                   to_status=target, data=data)
    return TransitionPlan(order=order, fields=changed, event=event, stock=stock, actor=user_or_none(actor))


def plan_mark_paid(
    order: Order,
    *,
    actor=None,
    source: str = "staff",
    note: str = "",
    paid_at: datetime | None = None,
    now: datetime | None = None,
) -> TransitionPlan | None:
    """The mark-paid rule for one locked order: None when there is nothing to do.

    awaiting_payment -> paid. An order already paid: None. An order past payment (cash on delivery
    ships first): its paid_at stamped once with a `payment_received` event, else None. Any other
    status (cancelled) raises InvalidTransition: the money has to be refunded, not booked.
    """
    now = now or timezone.now()
    if order.status in PAST_PAYMENT:
        if order.paid_at is not None:
            return None
        return plan_change(order, EVENT_PAYMENT_RECEIVED, fields={"paid_at": paid_at or now}, actor=actor,
                           source=source, note=note, data={"cod": order.is_cod}, now=now)
    if order.status == S.PAID:
        return None
    return plan_transition(order, S.PAID, actor=actor, source=source, note=note, at=paid_at, now=now)


def plan_change(
    order: Order,
    kind: str = "",
    *,
    fields: dict | None = None,
    actor=None,
    source: str = "staff",
    note: str = "",
    to_status: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> TransitionPlan:
    """Plan a change that is not a status step: field values (with updated_at, also set on `order`)
    and/or a timeline event of `kind` (none when kind is "")."""
    changed: dict[str, Any] = dict(fields or {})
    if changed:
        changed["updated_at"] = now or timezone.now()
    for name, value in changed.items():
        setattr(order, name, value)
    event = _event(order, kind, actor=actor, source=source, note=note, to_status=to_status, data=data) if kind else None
    return TransitionPlan(order=order, fields=changed, event=event, actor=user_or_none(actor))


def _event(order: Order, kind: str, *, actor, source: str, note: str, from_status: str = "", to_status: str = "",
           data: dict | None = None) -> OrderEvent:
    return OrderEvent(order=order, kind=kind, from_status=from_status, to_status=to_status,
                      actor=user_or_none(actor), source=source, note=note, data=data or {})


def lock_orders(order_ids) -> dict[int, Order]:
    """The orders' rows, locked in id order until the end of the surrounding transaction."""
    ids = sorted({int(pk) for pk in order_ids})
    if not ids:
        return {}
    rows = Order.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {order.pk: order for order in rows}


def transitions_write(plans: list[TransitionPlan]) -> list[OrderEvent]:
    """Apply the plans (orders locked by the caller, inside its transaction); returns their events.

    Stock first (the shipped orders' reservations committed, the cancelled ones' released, one
    catalog call per kind and actor), then the orders' changed columns in one bulk UPDATE, the
    events in one INSERT, and the status-changed hooks with every status change, in order.
    """
    if not plans:
        return []
    _write_stock(plans)
    orders: dict[int, Order] = {}
    columns: set[str] = set()
    for plan in plans:
        if plan.fields:
            orders[plan.order.pk] = plan.order
            columns.update(plan.fields)
    if orders:
        _update_orders(list(orders.values()), sorted(columns))
    events = OrderEvent.objects.bulk_create([plan.event for plan in plans if plan.event is not None])
    changes = [
        hooks.StatusChange(order_id=plan.order.pk, from_status=plan.event.from_status,
                           to_status=plan.event.to_status, event_id=plan.event.pk, source=plan.event.source,
                           order=plan.order)
        for plan in plans if plan.is_status_change
    ]
    if len(plans) == 1 and changes:
        hooks.run_status_changed(changes[0])  # one order, one step (a staff action, one callback)
    else:
        hooks.run_status_changed_batch(changes)
    return events


def _update_orders(orders: list[Order], columns: list[str]) -> None:
    """Write the orders' new column values: one plain UPDATE when every order gets the same values
    (a batch marked paid shares status, paid_at and updated_at), else one UPDATE ... FROM (VALUES ...).
    Measured on 500 orders marked paid: 566 -> 231 ms per batch (bulk_update builds about 3,000
    CASE expressions in Python), 100k-credit end to end 79 -> 64 s (docs/BENCHMARKS.md)."""
    values = [getattr(orders[0], name) for name in columns]
    if all([getattr(order, name) for name in columns] == values for order in orders[1:]):
        Order.objects.filter(pk__in=[order.pk for order in orders]).update(**dict(zip(columns, values, strict=True)))
    else:
        _update_orders_from_values(orders, columns)


def _update_orders_from_values(orders: list[Order], columns: list[str]) -> None:
    """Hand-written SQL, a hot path: the marketplace push drain writes each batch of orders (each
    with its own marketplace_updated_at) here. bulk_update's CASE per row and column cost about
    as much Python as the rest of the batch: a batch of 10 pushes 36 -> 29 ms of worker time, end to end p95 of
    bench/webhook_intake.py at 120/s see docs/BENCHMARKS.md (issue 9)."""
    fields = [Order._meta.pk, *(Order._meta.get_field(name) for name in columns)]
    qn = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    params = [field.get_db_prep_save(getattr(order, field.attname), connection) for order in orders for field in fields]
    pk = qn(fields[0].column)
    sql = (
        f"UPDATE {qn(Order._meta.db_table)} AS o "  # noqa: S608 (names from the model, values as parameters)
        f"SET {', '.join(f'{qn(f.column)} = v.{qn(f.column)}' for f in fields[1:])} "
        f"FROM (VALUES {', '.join([row] * len(orders))}) AS v({', '.join(qn(f.column) for f in fields)}) "
        f"WHERE o.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _write_stock(plans: list[TransitionPlan]) -> None:
    from catalog.services.stock_batch import stock_commit_many, stock_release_many
    from orders.services.stock import order_reference

    wanted = [plan for plan in plans if plan.stock]
    if not wanted:
        return
    lines: dict[int, list[int]] = defaultdict(list)
    for line_id, order_id in (OrderLine.objects.filter(order_id__in={p.order.pk for p in wanted}, stock_reserved=True)
                              .order_by("id").values_list("id", "order_id")):
        lines[order_id].append(line_id)
    groups: dict[tuple[str, int | None], tuple[Any, list[str]]] = {}
    settled: list[int] = []
    for plan in wanted:
        if plan.order.pk not in lines:
            continue
        key = (plan.stock, getattr(plan.actor, "pk", None))
        groups.setdefault(key, (plan.actor, []))[1].append(order_reference(plan.order.pk))
        settled.extend(lines.pop(plan.order.pk))
    for (kind, _actor_id), (actor, references) in groups.items():
        if kind == STOCK_COMMIT:
            stock_commit_many(references=references, actor=actor)
        else:
            stock_release_many(references=references, actor=actor, reason="")
    if settled:
        OrderLine.objects.filter(id__in=settled).update(stock_reserved=False)
