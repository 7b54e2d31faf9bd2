"""Shipments: creation, the state machine, and the order's delivery state derived from them.

Every transition goes through one planner (`plan_transition`, pure: which status, which stamps,
or nothing for a repeat or an out-of-order step) and one writer (`write_transitions`, set-based:
the shipments' UPDATEs, their events, the order moves, the notices), so a staff click, a webhook
and a poll of 200 shipments apply the same rule. The single services below are a batch of one.

Locks are always taken orders first, then shipments, each in id order, the same order the orders
app's hooks use (order locked, then its shipments), so the two never deadlock.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, InvalidTransition, NotFound
from orders.models import Order, OrderStatus
from shipping import hooks
from shipping.models import (
    ALLOWED_TRANSITIONS,
    DISPATCHED_STATUSES,
    STATUS_RANK,
    Courier,
    Shipment,
    ShipmentDirection,
    ShipmentEvent,
    ShipmentLine,
    ShipmentProvider,
    ShipmentStatus,
)

logger = logging.getLogger(__name__)
S = ShipmentStatus
OS = OrderStatus

SOURCE = "shipping"  # the `source` of the order events shipping causes

EVENT_CREATED = "created"
EVENT_STATUS = "status_changed"
EVENT_RESI = "resi_assigned"
EVENT_NOTE = "note"
EVENT_IGNORED = "status_ignored"
EVENT_RETURN_RECEIVED = "return_received"

# Timestamp set when a shipment first reaches a status (dispatched_at: any status past the door).
_STAMPS = {
    S.BOOKED: "booked_at",
    S.DELIVERED: "delivered_at",
    S.RETURNED: "returned_at",
    S.CANCELLED: "cancelled_at",
}

# The notices (shipping.hooks) a status sends.
_NOTICES = {
    S.OUT_FOR_DELIVERY: hooks.OUT_FOR_DELIVERY,
    S.DELIVERED: hooks.DELIVERED,
    S.FAILED_DELIVERY: hooks.FAILED_DELIVERY,
    S.RETURNING_TO_SENDER: hooks.RETURNING,
    S.RETURNED: hooks.RETURNED,
}


# --- couriers -----------------------------------------------------------------------------------

def courier_for_name(name: str, couriers: Iterable[Courier] | None = None) -> Courier | None:
    """The courier a channel or aggregator means by `name` ("J&T Express", "jnt", "SPX Standard")."""
    wanted = " ".join((name or "").lower().split())
    if not wanted:
        return None
    pool = list(couriers) if couriers is not None else list(Courier.objects.all())
    for courier in pool:
        if wanted == courier.code or wanted == courier.name.lower():
            return courier
    for courier in pool:
        if wanted in {" ".join(str(a).lower().split()) for a in courier.aliases}:
            return courier
    for courier in pool:  # "JNE Reguler", "SiCepat HALU": the courier's name or an alias starts it
        names = [courier.name.lower(), *(str(a).lower() for a in courier.aliases)]
        if any(wanted.startswith(n + " ") for n in names if n):
            return courier
    return None


def courier_key(courier: Courier | None, name: str = "") -> str:
    """What a resi is unique within: the courier's code, else the name as given (lower case)."""
    if courier is not None:
        return courier.code
    return " ".join((name or "").lower().split())[:60]


# --- reading and locking ------------------------------------------------------------------------

def _lock_orders(order_ids: Iterable[int]) -> dict[int, Order]:
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = Order.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {order.pk: order for order in rows}


def _lock_shipments(shipment_ids: Iterable[int]) -> dict[int, Shipment]:
    ids = sorted(set(shipment_ids))
    rows = Shipment.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {s.pk: s for s in rows}


def lock_shipment(shipment_id: int) -> Shipment:
    """The shipment, locked after its order (the lock order of this module)."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("Shipment %(id)s does not exist.") % {"id": shipment_id})
    _lock_orders([order_id])
    return _lock_shipments([shipment_id])[shipment_id]


def record_event(shipment: Shipment, kind: str, *, actor=None, source: str = "staff", note: str = "",
                 from_status: str = "", to_status: str = "", data: dict | None = None) -> ShipmentEvent:
    return ShipmentEvent.objects.create(
        shipment=shipment, kind=kind, actor=_user(actor), source=source, note=note[:2000], from_status=from_status,
        to_status=to_status, data=data or {},
    )


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# --- the planner and the writer -------------------------------------------------------------------

@dataclass
class TransitionPlan:
    shipment: Shipment
    target: str
    at: datetime
    source: str
    actor: object = None
    note: str = ""
    data: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    from_status: str = ""


def plan_transition(
    shipment: Shipment,
    target: str,
    *,
    at: datetime,
    source: str,
    actor=None,
    note: str = "",
    data: dict | None = None,
    fields: dict | None = None,
    strict: bool = True,
) -> TransitionPlan | None:
    """What moving `shipment` to `target` writes; None when there is nothing to do.

    A repeat (already there) is None. With `strict` (a person asked for it) a step the table does
    not allow raises InvalidTransition; tracking (`strict=False`) skips it, and also skips any
    status ranked behind the shipment's (a late "in transit" after "delivered").
    """
    if shipment.status == target:
        return None
    if target not in ALLOWED_TRANSITIONS.get(shipment.status, set()):
        if strict:
            raise InvalidTransition(
                entity="Shipment", current=shipment.status, target=target,
                message=_("Shipment %(number)s cannot go from %(current)s to %(target)s.")
                % {"number": shipment.number, "current": S(shipment.status).label, "target": S(target).label},
            )
        return None
    if not strict and STATUS_RANK[target] < STATUS_RANK[shipment.status]:
        return None
    return TransitionPlan(shipment=shipment, target=target, at=at, source=source, actor=actor, note=note,
                          data=dict(data or {}), fields=dict(fields or {}), from_status=shipment.status)


def _stamp(plan: TransitionPlan) -> set[str]:
    shipment, changed = plan.shipment, {"status", "updated_at"}
    for name, value in plan.fields.items():
        setattr(shipment, name, value)
        changed.add(name)
    stamp = _STAMPS.get(plan.target)
    if stamp and getattr(shipment, stamp) is None:
        setattr(shipment, stamp, plan.at)
        changed.add(stamp)
    if plan.target in DISPATCHED_STATUSES and shipment.dispatched_at is None:
        shipment.dispatched_at = plan.at
        changed.add("dispatched_at")
    return changed


def write_transitions(
    plans: Sequence[TransitionPlan], *, locked_orders: Mapping[int, Order] | None = None
) -> list[ShipmentEvent]:
    """Apply plans to locked shipments: one UPDATE per changed field set, one INSERT of events, the
    orders moved to their derived state, and the notices after commit. Inside a transaction.

    `locked_orders`: order rows the caller locked in this transaction (see orders_sync)."""
    plans = [p for p in plans if p is not None]
    if not plans:
        return []
    by_fields: dict[frozenset, list[Shipment]] = defaultdict(list)
    events = []
    notices = []
    for plan in plans:
        shipment = plan.shipment
        previous = plan.from_status or shipment.status
        changed = _stamp(plan)
        shipment.status = plan.target
        shipment.updated_at = timezone.now()
        by_fields[frozenset(changed)].append(shipment)
        events.append(ShipmentEvent(
            shipment=shipment, kind=EVENT_STATUS, from_status=previous, to_status=plan.target,
            actor=_user(plan.actor), source=plan.source, note=plan.note[:2000], data=plan.data,
        ))
        kind = _NOTICES.get(plan.target)
        if kind:
            notices.append(notice_for(shipment, kind))
    for names, rows in by_fields.items():
        if len(rows) == 1:
            rows[0].save(update_fields=sorted(names))
        else:
            Shipment.objects.bulk_update(rows, sorted(names))
    created = ShipmentEvent.objects.bulk_create(events)
    orders_sync(order_ids={p.shipment.order_id for p in plans if p.shipment.direction == ShipmentDirection.OUTBOUND},
                actor=plans[0].actor, locked_orders=locked_orders)
    hooks.run_status_changed([
        hooks.StatusChange(shipment_id=p.shipment.pk, order_id=p.shipment.order_id, direction=p.shipment.direction,
                           from_status=event.from_status, to_status=p.target, at=p.at, source=p.source)
        for p, event in zip(plans, events, strict=True)
    ])
    hooks.notify_after_commit(notices)
    return created


def notice_for(shipment: Shipment, kind: str) -> hooks.ShipmentNotice:
    from shipping.selectors import tracking_url

    return hooks.ShipmentNotice(kind=kind, shipment_id=shipment.pk, order_id=shipment.order_id,
                                courier_name=shipment.courier_name, tracking_number=shipment.tracking_number,
                                tracking_url=tracking_url(shipment), direction=shipment.direction)


# --- the order's delivery state, derived ----------------------------------------------------------

DELIVERY_NONE = "none"
DELIVERY_WAITING = "waiting"
DELIVERY_PARTIAL = "partially_shipped"
DELIVERY_SHIPPED = "shipped"
DELIVERY_PARTIALLY_DELIVERED = "partially_delivered"
DELIVERY_DELIVERED = "delivered"
DELIVERY_RETURNED = "returned"
DELIVERY_PROBLEM = "problem"


def derive_delivery_state(statuses: Sequence[str]) -> str:
    """The order's delivery state from its shipments' statuses (cancelled shipments do not count).

    none: no shipment; waiting: none has left; partially_shipped: some have; shipped: all have;
    partially_delivered / delivered; returned: every parcel came back; problem: a parcel that left
    is lost, or came back while others were delivered.
    """
    active = [s for s in statuses if s != S.CANCELLED]
    if not active:
        return DELIVERY_NONE
    left = [s for s in active if s in DISPATCHED_STATUSES]
    if not left:
        return DELIVERY_WAITING
    if len(left) < len(active):
        return DELIVERY_PARTIAL
    delivered = [s for s in active if s == S.DELIVERED]
    if len(delivered) == len(active):
        return DELIVERY_DELIVERED
    if all(s == S.RETURNED for s in active):
        return DELIVERY_RETURNED
    if any(s in (S.LOST, S.RETURNED) for s in active):
        return DELIVERY_PROBLEM
    return DELIVERY_PARTIALLY_DELIVERED if delivered else DELIVERY_SHIPPED


# Order status the delivery state asks for (the order only ever moves forward to it).
_ORDER_TARGET = {
    DELIVERY_SHIPPED: OS.SHIPPED,
    DELIVERY_PARTIALLY_DELIVERED: OS.SHIPPED,
    DELIVERY_RETURNED: OS.SHIPPED,
    DELIVERY_PROBLEM: OS.SHIPPED,
    DELIVERY_DELIVERED: OS.DELIVERED,
}
_ORDER_RANK = {OS.AWAITING_PAYMENT: 0, OS.PAID: 1, OS.PROCESSING: 2, OS.PACKED: 3, OS.SHIPPED: 4,
               OS.DELIVERED: 5, OS.COMPLETED: 6, OS.CANCELLED: 9}


def order_steps(*, order_status: str, is_cod: bool, delivery_state: str, all_packed: bool = False) -> list[str]:
    """The order transitions (in order) that bring it to what its shipments say; pure.

    [] when the order is already there or past it, or cancelled; an unpaid order that is not cash
    on delivery is never moved (shipping does not ship unpaid orders, and says so elsewhere).
    """
    target = _ORDER_TARGET.get(delivery_state)
    if target is None and all_packed and delivery_state == DELIVERY_WAITING:
        target = OS.PACKED
    if target is None or order_status == OS.CANCELLED or _ORDER_RANK[order_status] >= _ORDER_RANK[target]:
        return []
    if order_status == OS.AWAITING_PAYMENT and not is_cod:
        return []
    path = [OS.PROCESSING, OS.PACKED, OS.SHIPPED, OS.DELIVERED]
    return [s for s in path if _ORDER_RANK[order_status] < _ORDER_RANK[s] <= _ORDER_RANK[target]]


_ORDER_SERVICES = {
    OS.PROCESSING: "order_confirm",
    OS.PACKED: "order_mark_packed",
    OS.SHIPPED: "order_mark_shipped",
    OS.DELIVERED: "order_mark_delivered",
}


def orders_sync(
    *, order_ids: Iterable[int], actor=None, locked_orders: Mapping[int, Order] | None = None
) -> dict[int, list[str]]:
    """Move each order to the state its (outbound) shipments say, through the orders app's services.

    One query for any number of orders when none has to move (the poll's usual case); the
    orders that do move go through order_confirm / order_mark_packed / order_mark_shipped /
    order_mark_delivered one step at a time, in the caller's transaction. An order in
    `locked_orders` (its row, locked by the caller in this transaction: the hand-over scan) takes
    the same steps through the orders app's planner and writer directly, which is what those
    services do once they hold the lock, without their savepoint and second lock (3 statements).
    """
    from orders import services as order_services

    ids = sorted(set(order_ids))
    if not ids:
        return {}
    statuses: dict[int, list[str]] = defaultdict(list)
    packed: dict[int, bool] = defaultdict(lambda: True)
    resi: dict[int, tuple[str, str]] = {}
    orders: dict[int, tuple[str, str]] = {}
    # One statement: the outbound parcels with their order's status (an order without one never moves).
    for order_id, status, packed_at, courier, number, order_status, payment_method in Shipment.objects.filter(
        order_id__in=ids, direction=ShipmentDirection.OUTBOUND,
    ).values_list(
        "order_id", "status", "packed_at", "courier_name", "tracking_number", "order__status", "order__payment_method"
    ).order_by("id"):
        orders[order_id] = (order_status, payment_method)
        statuses[order_id].append(status)
        if status != S.CANCELLED:
            packed[order_id] = packed[order_id] and packed_at is not None
            if number and order_id not in resi:
                resi[order_id] = (courier, number)
    moved: dict[int, list[str]] = {}
    for order_id, (status, payment_method) in sorted(orders.items()):
        steps = order_steps(order_status=status, is_cod=payment_method == "cod",
                            delivery_state=derive_delivery_state(statuses[order_id]), all_packed=packed[order_id])
        for step in steps:
            if locked_orders and order_id in locked_orders:
                _order_step_locked(locked_orders[order_id], step, actor=actor, resi=resi.get(order_id))
                continue
            call = getattr(order_services, _ORDER_SERVICES[step])
            kwargs = {"order_id": order_id, "actor": actor, "source": SOURCE}
            if step == OS.SHIPPED and order_id in resi:
                kwargs.update(courier=resi[order_id][0], tracking_number=resi[order_id][1])
            call(**kwargs)
        if steps:
            moved[order_id] = steps
    return moved


def _order_step_locked(order: Order, step: str, *, actor, resi: tuple[str, str] | None) -> None:
    """One order step on a row the caller holds locked: orders' `_move` after its lock, i.e.
    `transitions_write([plan_transition(...)])` (the stock commit on shipped, event, hooks); the
    shipped step's courier and resi fields as order_mark_shipped sets them."""
    from orders.services.transitions import plan_transition as plan_order_step
    from orders.services.transitions import transitions_write

    if order.status == step:
        return
    fields = {}
    if step == OS.SHIPPED and resi:
        courier, number = resi
        if courier:
            fields["courier"] = courier.strip()[:60]
        if number:
            fields["tracking_number"] = number.strip()[:64]
    transitions_write([plan_order_step(order, step, actor=actor, source=SOURCE, fields=fields)])


# --- creating shipments ---------------------------------------------------------------------------

def _next_number(order: Order) -> str:
    count = Shipment.objects.filter(order=order).count()
    return f"{order.number}-{count + 1}"


def _unshipped_quantities(order: Order) -> dict[int, int]:
    """Per order line, the units not yet in a (non-cancelled, outbound) shipment."""
    taken = dict(
        ShipmentLine.objects.filter(order_line__order=order, shipment__direction=ShipmentDirection.OUTBOUND)
        .exclude(shipment__status=S.CANCELLED)
        .values("order_line_id").annotate(q=Sum("quantity")).values_list("order_line_id", "q")
    )
    return {line.pk: line.quantity - taken.get(line.pk, 0) for line in order.lines.all()}


def shipment_create(
    *,
    order_id: int,
    lines: dict[int, int] | None = None,
    courier_id: int | None = None,
    service_id: int | None = None,
    courier_name: str = "",
    tracking_number: str = "",
    provider: str = ShipmentProvider.MANUAL,
    actor=None,
    source: str = "staff",
) -> Shipment:
    """A new parcel for an order: `lines` maps order line id -> units (default: every unit not yet
    in a parcel). A cancelled order, an empty parcel or more units than the order has are refused."""
    from shipping.selectors import ship_by_for_order

    with transaction.atomic():
        order = _lock_orders([order_id]).get(order_id)
        if order is None:
            raise NotFound(_("Order %(id)s does not exist.") % {"id": order_id})
        if order.status == OS.CANCELLED:
            raise Conflict(_("Order %(number)s is cancelled; it gets no shipment.") % {"number": order.number})
        left = _unshipped_quantities(order)
        wanted = {int(k): int(v) for k, v in (lines or {k: v for k, v in left.items() if v > 0}).items() if int(v)}
        for line_id, quantity in wanted.items():
            if line_id not in left:
                raise ValidationError({"lines": [_("Line %(id)s is not part of order %(number)s.")
                                                 % {"id": line_id, "number": order.number}]})
            if quantity < 0 or quantity > left[line_id]:
                raise ValidationError({"lines": [_("Only %(n)s units of line %(id)s are left to ship.")
                                                 % {"n": left[line_id], "id": line_id}]})
        if not wanted:
            raise ValidationError({"lines": [_("Every item of order %(number)s is already in a parcel.")
                                             % {"number": order.number}]})
        courier = Courier.objects.filter(pk=courier_id).first() if courier_id else courier_for_name(
            courier_name or order.courier)
        shipment = Shipment(
            order=order, number=_next_number(order), provider=provider, courier=courier, service_id=service_id,
            courier_name=(courier_name or (courier.name if courier else "") or order.courier)[:60],
            courier_key=courier_key(courier, courier_name or order.courier),
            tracking_number=(tracking_number or "").strip()[:64], ship_by=ship_by_for_order(order),
            cod_amount=order.total_amount if order.is_cod else 0,
        )
        _save_new_with_resi(shipment)
        ShipmentLine.objects.bulk_create(
            [ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=q) for line_id, q in wanted.items()]
        )
        record_event(shipment, EVENT_CREATED, actor=actor, source=source, to_status=shipment.status,
                     data={"lines": wanted})
        if shipment.tracking_number:
            record_event(shipment, EVENT_RESI, actor=actor, source=source,
                         data={"courier": shipment.courier_name, "resi": shipment.tracking_number})
            hooks.notify_after_commit([notice_for(shipment, hooks.RESI_ASSIGNED)])
        return shipment


def return_shipment_create(
    *,
    order_id: int,
    lines: dict[int, int],
    courier_name: str = "",
    tracking_number: str = "",
    actor=None,
    source: str = "aftersales",
    note: str = "",
) -> Shipment:
    """A return parcel: `lines` (order line id -> units) come back from the customer to the warehouse.

    It is a shipment in the "return" direction, numbered <order>-R<n>; the order's outbound
    shipments and their resi are not touched. With a resi, the parcel is with the courier (picked
    up); without, it waits for one (shipment_set_resi + return_shipment_mark_sent). Its tracking,
    webhooks and polls work as for any shipment; reaching "delivered" means it is at the warehouse.
    """
    with transaction.atomic():
        order = _lock_orders([order_id]).get(order_id)
        if order is None:
            raise NotFound(_("Order %(id)s does not exist.") % {"id": order_id})
        quantities = dict(order.lines.values_list("pk", "quantity"))
        wanted = {int(k): int(v) for k, v in lines.items() if int(v)}
        if not wanted:
            raise ValidationError({"lines": [_("Choose at least one item to return.")]})
        for line_id, quantity in wanted.items():
            if line_id not in quantities:
                raise ValidationError({"lines": [_("Line %(id)s is not part of order %(number)s.")
                                                 % {"id": line_id, "number": order.number}]})
            if not 0 < quantity <= quantities[line_id]:
                raise ValidationError({"lines": [_("Line %(id)s: at most %(n)s units can still be returned.")
                                                 % {"id": line_id, "n": quantities[line_id]}]})
        courier = courier_for_name(courier_name) if courier_name else None
        count = Shipment.objects.filter(order=order, direction=ShipmentDirection.RETURN).count()
        shipment = Shipment(
            order=order, number=f"{order.number}-R{count + 1}", direction=ShipmentDirection.RETURN, courier=courier,
            courier_name=(courier_name or (courier.name if courier else ""))[:60],
            courier_key=courier_key(courier, courier_name), tracking_number=(tracking_number or "").strip()[:64],
        )
        _save_new_with_resi(shipment)
        ShipmentLine.objects.bulk_create(
            [ShipmentLine(shipment=shipment, order_line_id=k, quantity=q) for k, q in sorted(wanted.items())]
        )
        record_event(shipment, EVENT_CREATED, actor=actor, source=source, to_status=shipment.status, note=note,
                     data={"lines": wanted, "direction": ShipmentDirection.RETURN})
        if shipment.tracking_number:
            record_event(shipment, EVENT_RESI, actor=actor, source=source,
                         data={"courier": shipment.courier_name, "resi": shipment.tracking_number})
            write_transitions([plan_transition(shipment, S.PICKED_UP, at=timezone.now(), source=source, actor=actor,
                                               note=note)])
        return shipment


def _return_only(shipment: Shipment) -> None:
    if shipment.direction != ShipmentDirection.RETURN:
        raise Conflict(_("Shipment %(number)s is not a return parcel.") % {"number": shipment.number})


def return_shipment_mark_sent(*, shipment_id: int, actor=None, source: str = "aftersales",
                              at: datetime | None = None) -> Shipment:
    """The customer handed the return parcel to the courier (it has its resi): -> picked_up."""
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        _return_only(shipment)
        _needs_resi(shipment)
        if shipment.status in DISPATCHED_STATUSES:
            return shipment  # already on the road (tracking got there first)
        return _move(shipment_id, S.PICKED_UP, actor=actor, source=source, at=at)


def return_shipment_mark_received(*, shipment_id: int, actor=None, source: str = "aftersales",
                                  at: datetime | None = None, note: str = "") -> Shipment:
    """The return parcel is at the warehouse: -> delivered, when the parcel can still get there.

    Safe to call twice; a parcel the courier reported lost or sent elsewhere keeps its status (the
    warehouse's word is recorded as an event instead)."""
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        _return_only(shipment)
        if shipment.status == S.DELIVERED:
            return shipment
        if not shipment.can_transition_to(S.DELIVERED):
            record_event(shipment, EVENT_NOTE, actor=actor, source=source, note=note or _("Received at the warehouse."),
                         data={"received": True, "status": shipment.status})
            return shipment
        return _move(shipment_id, S.DELIVERED, actor=actor, source=source, at=at, note=note)


def resi_owner(*, courier_key_value: str, tracking_number: str, exclude_shipment_id: int | None = None):
    """The shipment already holding this resi for this courier, or None."""
    qs = Shipment.objects.filter(courier_key=courier_key_value, tracking_number=tracking_number.strip())
    if exclude_shipment_id:
        qs = qs.exclude(pk=exclude_shipment_id)
    return qs.select_related("order").first()


def resi_taken_error(owner: Shipment, tracking_number: str) -> Conflict:
    return Conflict(
        _("Resi %(resi)s of %(courier)s is already used by order %(order)s.")
        % {"resi": tracking_number, "courier": owner.courier_name or owner.courier_key, "order": owner.order.number},
        detail={"field": "tracking_number", "order": owner.order.number},
    )


def _save_new_with_resi(shipment: Shipment) -> None:
    if shipment.tracking_number:
        owner = resi_owner(courier_key_value=shipment.courier_key, tracking_number=shipment.tracking_number)
        if owner is not None:
            raise resi_taken_error(owner, shipment.tracking_number)
    try:
        with transaction.atomic():
            shipment.save(force_insert=True)
    except IntegrityError:
        owner = resi_owner(courier_key_value=shipment.courier_key, tracking_number=shipment.tracking_number)
        if owner is None:
            raise
        raise resi_taken_error(owner, shipment.tracking_number) from None


def shipment_set_resi(
    *,
    shipment_id: int,
    tracking_number: str,
    courier_id: int | None = None,
    courier_name: str = "",
    actor=None,
    source: str = "staff",
    sort_code: str = "",
) -> Shipment:
    """Give a parcel its resi (typed, scanned, or from a marketplace or aggregator).

    The resi is stored exactly as given, whatever its shape, but only once per courier: the same
    resi on another parcel of the same courier is refused with the order that has it. Setting the
    resi it already has is a no-op; a parcel that left keeps its resi.
    """
    number = (tracking_number or "").strip()
    if not number:
        raise ValidationError({"tracking_number": [_("Scan or type the resi.")]})
    if len(number) > 64:
        raise ValidationError({"tracking_number": [_("A resi has at most 64 characters.")]})
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        courier = Courier.objects.filter(pk=courier_id).first() if courier_id else (
            courier_for_name(courier_name) if courier_name else shipment.courier)
        name = (courier_name or (courier.name if courier else "") or shipment.courier_name)[:60]
        key = courier_key(courier, name)
        if shipment.tracking_number == number and shipment.courier_key == key:
            return shipment
        if shipment.status in FINAL_OR_LEFT and shipment.tracking_number:
            raise Conflict(_("Shipment %(number)s has left with resi %(resi)s; it keeps it.")
                           % {"number": shipment.number, "resi": shipment.tracking_number})
        if shipment.status == S.CANCELLED:
            raise Conflict(_("Shipment %(number)s is cancelled.") % {"number": shipment.number})
        owner = resi_owner(courier_key_value=key, tracking_number=number, exclude_shipment_id=shipment.pk)
        if owner is not None:
            raise resi_taken_error(owner, number)
        old = shipment.tracking_number
        shipment.tracking_number, shipment.courier, shipment.courier_name, shipment.courier_key = (
            number, courier, name, key)
        fields = ["tracking_number", "courier", "courier_name", "courier_key", "updated_at"]
        if sort_code:
            shipment.sort_code = sort_code[:60]
            fields.append("sort_code")
        try:
            with transaction.atomic():
                shipment.save(update_fields=fields)
        except IntegrityError:
            owner = resi_owner(courier_key_value=key, tracking_number=number, exclude_shipment_id=shipment.pk)
            if owner is None:
                raise
            raise resi_taken_error(owner, number) from None
        record_event(shipment, EVENT_RESI, actor=actor, source=source,
                     data={"courier": name, "resi": number, "previous": old})
        hooks.notify_after_commit([notice_for(shipment, hooks.RESI_ASSIGNED)])
        return shipment


FINAL_OR_LEFT = DISPATCHED_STATUSES


# --- the transitions, one service each -----------------------------------------------------------

def _move(shipment_id: int, target: str, *, actor=None, source: str = "staff", note: str = "",
          at: datetime | None = None, fields: dict | None = None, data: dict | None = None,
          check=None) -> Shipment:
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        if check is not None:
            check(shipment)
        plan = plan_transition(shipment, target, at=at or timezone.now(), source=source, actor=actor, note=note,
                               data=data, fields=fields)
        write_transitions([plan] if plan else [])
        return shipment


def shipment_mark_booked(*, shipment_id: int, actor=None, source: str = "staff", note: str = "",
                         fields: dict | None = None) -> Shipment:
    """created -> booked: an aggregator or the marketplace took the parcel (a pickup is coming)."""
    return _move(shipment_id, S.BOOKED, actor=actor, source=source, note=note, fields=fields)


def _needs_resi(shipment: Shipment) -> None:
    if not shipment.tracking_number:
        raise Conflict(_("Shipment %(number)s has no resi yet; print or book its label first.")
                       % {"number": shipment.number})


def shipment_mark_picked_up(*, shipment_id: int, actor=None, source: str = "staff", note: str = "",
                            at: datetime | None = None) -> Shipment:
    """created/booked -> picked_up: the courier took the parcel (hand-over scan). Moves the order
    to shipped when all its parcels have left (its stock is committed then)."""
    return _move(shipment_id, S.PICKED_UP, actor=actor, source=source, note=note, at=at, check=_needs_resi)


def shipment_mark_in_transit(*, shipment_id: int, actor=None, source: str = "staff", note: str = "") -> Shipment:
    return _move(shipment_id, S.IN_TRANSIT, actor=actor, source=source, note=note)


def shipment_mark_out_for_delivery(*, shipment_id: int, actor=None, source: str = "staff", note: str = "") -> Shipment:
    return _move(shipment_id, S.OUT_FOR_DELIVERY, actor=actor, source=source, note=note)


def shipment_mark_delivered(*, shipment_id: int, actor=None, source: str = "staff", note: str = "",
                            at: datetime | None = None) -> Shipment:
    """-> delivered; the order is delivered when every parcel is."""
    return _move(shipment_id, S.DELIVERED, actor=actor, source=source, note=note, at=at)


def shipment_put_on_hold(*, shipment_id: int, actor=None, source: str = "staff", note: str = "") -> Shipment:
    return _move(shipment_id, S.ON_HOLD, actor=actor, source=source, note=note)


def shipment_mark_failed_delivery(*, shipment_id: int, actor=None, source: str = "staff", note: str = "") -> Shipment:
    return _move(shipment_id, S.FAILED_DELIVERY, actor=actor, source=source, note=note)


def shipment_mark_returning(*, shipment_id: int, actor=None, source: str = "staff", note: str = "") -> Shipment:
    """-> returning_to_sender (RTS): the courier is bringing the parcel back."""
    return _move(shipment_id, S.RETURNING_TO_SENDER, actor=actor, source=source, note=note)


def shipment_mark_returned(*, shipment_id: int, actor=None, source: str = "staff", note: str = "") -> Shipment:
    """returning_to_sender -> returned: the courier says the parcel is back (not yet counted in)."""
    return _move(shipment_id, S.RETURNED, actor=actor, source=source, note=note)


def shipment_mark_lost(*, shipment_id: int, actor=None, source: str = "staff", note: str = "") -> Shipment:
    if not (note or "").strip() and source == "staff":
        raise ValidationError({"note": [_("Say what the courier reported.")]})
    return _move(shipment_id, S.LOST, actor=actor, source=source, note=note)


def _cancellable(shipment: Shipment) -> None:
    if shipment.status in DISPATCHED_STATUSES:
        raise InvalidTransition(
            entity="Shipment", current=shipment.status, target=S.CANCELLED,
            message=_("Shipment %(number)s has left the warehouse; it cannot be cancelled, only returned.")
            % {"number": shipment.number},
        )


def shipment_cancel(*, shipment_id: int, actor=None, source: str = "staff", reason: str) -> Shipment:
    """created/booked -> cancelled; an aggregator booking is cancelled with the provider after commit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the shipment is cancelled.")]})
    shipment = _move(shipment_id, S.CANCELLED, actor=actor, source=source, note=reason, check=_cancellable)
    if shipment.account_id and shipment.provider_order_id:
        from shipping.tasks import shipment_cancel_booking_task

        shipment_cancel_booking_task.delay_on_commit(shipment.pk, reason)
    return shipment


def shipment_receive_return(*, shipment_id: int, actor=None, note: str = "",
                            restock: bool = True) -> Shipment:
    """The RTS parcel is back in the warehouse: a returning/returned shipment becomes returned, its
    goods go back on the shelf through the stock ledger (reference rts:<shipment>, once), and an
    unpaid cash-on-delivery payment is closed as not collected. Safe to call twice."""
    from catalog.services import stock_return_restock

    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.return_received_at is not None:
            return shipment
        if shipment.status not in (S.RETURNING_TO_SENDER, S.RETURNED, S.FAILED_DELIVERY, S.ON_HOLD):
            raise Conflict(_("Shipment %(number)s is not on its way back (status: %(status)s).")
                           % {"number": shipment.number, "status": S(shipment.status).label})
        if shipment.status != S.RETURNED:
            if shipment.status != S.RETURNING_TO_SENDER:
                write_transitions([plan_transition(shipment, S.RETURNING_TO_SENDER, at=timezone.now(),
                                                   source="staff", actor=actor, note=note)])
            write_transitions([plan_transition(shipment, S.RETURNED, at=timezone.now(), source="staff",
                                               actor=actor, note=note)])
        restocked = []
        if restock:
            for line in shipment.lines.select_related("order_line"):
                variant_id = line.order_line.variant_id
                if variant_id is None:
                    continue
                stock_return_restock(variant_id=variant_id, quantity=line.quantity, reference=f"rts:{shipment.pk}",
                                     actor=_user(actor), reason=_("Returned to sender: %(number)s")
                                     % {"number": shipment.number})
                restocked.append({"sku": line.order_line.sku, "quantity": line.quantity})
        shipment.return_received_at = timezone.now()
        shipment.save(update_fields=["return_received_at", "updated_at"])
        record_event(shipment, EVENT_RETURN_RECEIVED, actor=actor, source="staff", note=note,
                     data={"restocked": restocked})
        _close_uncollected_cod(shipment)
        return shipment


def _close_uncollected_cod(shipment: Shipment) -> None:
    """A COD parcel that came back was never paid for: its open payment fails as not collected."""
    if not shipment.cod_amount:
        return
    from payments.models import Payment, PaymentStatus
    from payments.services.transitions import payment_mark_failed

    for payment_id in Payment.objects.filter(order_id=shipment.order_id, status=PaymentStatus.PENDING,
                                             received_amount=0).values_list("pk", flat=True):
        payment_mark_failed(payment_id=payment_id, reason=_("Returned to sender: COD not collected"),
                            source="shipping")


def shipment_add_note(*, shipment_id: int, actor=None, note: str) -> ShipmentEvent:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("The note is empty.")]})
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        return record_event(shipment, EVENT_NOTE, actor=actor, note=note)


def shipments_cancel_for_order(*, order_id: int, reason: str) -> int:
    """The order was cancelled: its parcels that have not left are cancelled too (same transaction
    as the order's cancellation, order row already locked). Returns how many."""
    ids = list(Shipment.objects.filter(order_id=order_id, status__in=[S.CREATED, S.BOOKED])
               .values_list("pk", flat=True))
    plans = []
    for shipment in _lock_shipments(ids).values():
        plans.append(plan_transition(shipment, S.CANCELLED, at=timezone.now(), source=SOURCE, note=reason,
                                     strict=False))
    write_transitions(plans)
    from shipping.tasks import shipment_cancel_booking_task

    for shipment in [p.shipment for p in plans if p]:
        if shipment.account_id and shipment.provider_order_id:
            shipment_cancel_booking_task.delay_on_commit(shipment.pk, reason)
    return len([p for p in plans if p])


def ensure_order_shippable(order: Order) -> None:
    if order.status == OS.CANCELLED:
        raise Conflict(_("Order %(number)s is cancelled.") % {"number": order.number})
    if order.status == OS.AWAITING_PAYMENT and not order.is_cod:
        raise DomainError(_("Order %(number)s is not paid yet.") % {"number": order.number})

