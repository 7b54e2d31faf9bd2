"""Order lifecycle: one service per transition, plus notes, tags and the oversold flag.

Every transition service: opens a transaction, re-reads the order with SELECT ... FOR UPDATE,
returns it unchanged when it is already in the target state (safe to call twice), checks the
allowed-transitions table (orders.models.ALLOWED_TRANSITIONS + TRANSITION_GUARDS) or raises
InvalidTransition, saves only the changed fields, writes an OrderEvent (who, when, from, to, why,
source) and runs the status-changed hooks inside the transaction.

The rule lives in orders.services.transitions: a pure planner and one set-based writer. Each
service here is a batch of one; `orders_mark_paid_many` moves many orders with the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import insert_instance
from core.errors import DomainError, InvalidTransition, NotFound
from orders import hooks
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services.transitions import (  # noqa: F401 (EVENT_*: the event kinds, importable from here too)
    EVENT_PAYMENT_RECEIVED,
    EVENT_STATUS,
    lock_orders,
    plan_mark_paid,
    plan_transition,
    transitions_write,
)
from orders.services.transitions import user_or_none as _user_or_none

S = OrderStatus

# Event kinds written by this module.
EVENT_CREATED = "created"
EVENT_NOTE = "note"
EVENT_TAGS = "tags_changed"
EVENT_OVERSOLD = "oversold"
EVENT_OVERSOLD_RESOLVED = "oversold_resolved"
EVENT_MARKETPLACE_STATUS = "marketplace_status"
EVENT_UPDATED = "updated"


def lock_order(order_id: int) -> Order:
    """The order row, locked until the end of the surrounding transaction."""
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order %(id)s does not exist.") % {"id": order_id})
    return order


def record_event(
    order: Order,
    kind: str,
    *,
    actor=None,
    source: str = "staff",
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
) -> OrderEvent:
    # Every order writes events: one INSERT built once (core.db), not compiled per event.
    return insert_instance(OrderEvent(
        order=order,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=_user_or_none(actor),
        source=source,
        note=note,
        data=data or {},
    ))


def apply_transition(
    order: Order,
    target: str,
    *,
    actor=None,
    source: str = "staff",
    note: str = "",
    fields: dict | None = None,
    at: datetime | None = None,
    data: dict | None = None,
) -> OrderEvent:
    """Move a locked order one step to `target`: stock effects, save, event, hooks.

    The caller holds the row lock (lock_order) inside a transaction. Raises InvalidTransition when
    the table does not allow the step. A batch of one of the transitions writer.
    """
    plan = plan_transition(order, target, actor=actor, source=source, note=note, fields=fields, at=at, data=data)
    return transitions_write([plan])[0]


def _move(
    order_id: int,
    target: str,
    *,
    allowed_from: set[str] | None = None,
    actor=None,
    source: str = "staff",
    note: str = "",
    fields: dict | None = None,
    at: datetime | None = None,
) -> Order:
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status == target:
            return order
        if allowed_from is not None and order.status not in allowed_from:
            raise InvalidTransition(entity="Order", current=order.status, target=target)
        apply_transition(order, target, actor=actor, source=source, note=note, fields=fields, at=at)
        return order


def order_mark_paid(
    *, order_id: int, actor=None, source: str = "staff", note: str = "", paid_at: datetime | None = None
) -> Order:
    """awaiting_payment -> paid (a gateway callback, a checked bank transfer).

    An order already past payment is returned unchanged, except that a cash-on-delivery order
    (which ships before it is paid) gets its paid_at stamped and a `payment_received` event once.
    A cancelled order raises InvalidTransition: the money has to be refunded, not booked.
    """
    with transaction.atomic():
        order = lock_order(order_id)
        plan = plan_mark_paid(order, actor=actor, source=source, note=note, paid_at=paid_at)
        transitions_write([plan] if plan is not None else [])
        return order


def orders_mark_paid_many(
    *,
    order_ids: Iterable[int],
    actor=None,
    source: str = "staff",
    note: str = "",
    notes: Mapping[int, str] | None = None,
    paid_at: datetime | None = None,
) -> list[Order]:
    """order_mark_paid for many orders in one transaction, set-based; returns the orders it changed.

    The same rule and the same rows as order_mark_paid per order (plan_mark_paid): awaiting payment
    moves to paid with its event and hooks; a cash-on-delivery order past payment gets its paid_at
    and a `payment_received` event once. Orders already paid, orders that may not be paid (cancelled)
    and ids that do not exist are skipped, so a repeat changes nothing and returns []. Rows are
    locked in id order; the changed orders are returned in id order. `notes` gives an order its
    own event note instead of `note` (payments: the amount received).
    """
    now = timezone.now()
    with transaction.atomic():
        plans = []
        for order in lock_orders(order_ids).values():
            try:
                plan = plan_mark_paid(order, actor=actor, source=source, paid_at=paid_at, now=now,
                                      note=notes.get(order.pk, note) if notes else note)
            except InvalidTransition:
                continue
            if plan is not None:
                plans.append(plan)
        transitions_write(plans)
    return [plan.order for plan in plans]


def order_confirm(*, order_id: int, actor=None, source: str = "staff", note: str = "") -> Order:
    """Accept the order for fulfilment: paid -> processing, or awaiting_payment -> processing for COD."""
    return _move(order_id, S.PROCESSING, allowed_from={S.PAID, S.AWAITING_PAYMENT}, actor=actor, source=source,
                 note=note)


def order_mark_packed(*, order_id: int, actor=None, source: str = "staff", note: str = "") -> Order:
    """processing -> packed."""
    return _move(order_id, S.PACKED, allowed_from={S.PROCESSING}, actor=actor, source=source, note=note)


def order_mark_shipped(
    *,
    order_id: int,
    actor=None,
    source: str = "staff",
    note: str = "",
    courier: str = "",
    tracking_number: str = "",
) -> Order:
    """packed -> shipped; commits the stock reservation (the goods left the warehouse)."""
    fields = {}
    if courier:
        fields["courier"] = courier.strip()[:60]
    if tracking_number:
        fields["tracking_number"] = tracking_number.strip()[:64]
    return _move(order_id, S.SHIPPED, actor=actor, source=source, note=note, fields=fields)


def order_mark_delivered(*, order_id: int, actor=None, source: str = "staff", note: str = "") -> Order:
    """shipped -> delivered."""
    return _move(order_id, S.DELIVERED, actor=actor, source=source, note=note)


def order_complete(*, order_id: int, actor=None, source: str = "staff", note: str = "") -> Order:
    """delivered -> completed (the buyer confirmed, or the return window closed)."""
    return _move(order_id, S.COMPLETED, actor=actor, source=source, note=note)


def order_cancel(*, order_id: int, actor=None, source: str = "staff", note: str = "", reason: str) -> Order:
    """Cancel an order that has not shipped, releasing its stock reservation.

    Safe to call twice: a cancelled order is returned unchanged.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the order is cancelled.")]})
    return _move(
        order_id,
        S.CANCELLED,
        actor=actor,
        source=source,
        note=note or reason,
        fields={"cancel_reason": reason[:255]},
    )


def order_expire(*, order_id: int, actor=None, source: str = "system", note: str = "") -> Order:
    """Cancel an unpaid order whose payment deadline has passed, releasing its stock.

    Idempotent and race-safe: an order that is paid meanwhile, has no deadline (COD, marketplace),
    is not yet due, or that an expiry guard keeps (orders.hooks.register_expiry_guard, e.g. the
    payments app when money was received) is returned unchanged.
    """
    with transaction.atomic():
        order = lock_order(order_id)
        if (
            order.status != S.AWAITING_PAYMENT
            or order.payment_due_at is None
            or order.payment_due_at > timezone.now()
            or hooks.expiry_blocked(order.id)
        ):
            return order
        apply_transition(
            order,
            S.CANCELLED,
            actor=actor,
            source=source,
            note=note or "Payment deadline passed.",
            fields={"cancel_reason": "payment_expired"},
        )
        return order


def order_add_note(*, order_id: int, actor=None, source: str = "staff", note: str) -> OrderEvent:
    """Add an internal note to the order's timeline."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("The note is empty.")]})
    with transaction.atomic():
        order = lock_order(order_id)
        return record_event(order, EVENT_NOTE, actor=actor, source=source, note=note)


def clean_tags(tags) -> list[str]:
    cleaned: list[str] = []
    for tag in tags or []:
        if not isinstance(tag, str):
            raise ValidationError({"tags": [_("Tags must be text.")]})
        tag = " ".join(tag.split()).lower()[:40]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > 20:
        raise ValidationError({"tags": [_("At most 20 tags per order.")]})
    return cleaned


def order_set_tags(*, order_id: int, actor=None, source: str = "staff", note: str = "", tags: list[str]) -> Order:
    """Replace the order's tags (lower-case, de-duplicated)."""
    cleaned = clean_tags(tags)
    with transaction.atomic():
        order = lock_order(order_id)
        if order.tags == cleaned:
            return order
        old = list(order.tags)
        order.tags = cleaned
        order.save(update_fields=["tags", "updated_at"])
        record_event(order, EVENT_TAGS, actor=actor, source=source, note=note, data={"from": old, "to": cleaned})
        return order


def order_resolve_oversold(
    *,
    order_id: int,
    actor=None,
    source: str = "staff",
    note: str = "",
    line_variants: dict[int, int] | None = None,
    force: bool = False,
) -> Order:
    """Clear the oversold flag once the order's lines have products and stock.

    `line_variants` maps unmapped line ids to the variant they are; lines still unmapped are
    looked up again (a listing may have been added). Lines without a reservation are reserved now;
    when that fails (OutOfStock) or a line is still unmapped, the order stays flagged and the error
    is raised, unless `force=True` (staff accept it, e.g. goods bought in outside the system,
    with a note). An order that has already shipped or was cancelled needs no stock.
    """
    from catalog.errors import OutOfStock
    from catalog.models import ProductVariant
    from catalog.selectors import variant_resolve
    from orders.services.stock import reserve_lines

    with transaction.atomic():
        order = lock_order(order_id)
        if not order.is_oversold:
            return order
        if force and not (note or "").strip():
            raise ValidationError({"note": [_("Say why the order is accepted without stock.")]})
        lines = list(order.lines.all())
        by_id = {line.id: line for line in lines}
        mapped: list[dict] = []
        for line_id, variant_id in (line_variants or {}).items():
            line = by_id.get(int(line_id))
            if line is None:
                msg = _("Line %(line)s is not part of order %(number)s.") % {"line": line_id, "number": order.number}
                raise ValidationError({"line_variants": [msg]})
            if line.variant_id and line.variant_id != variant_id and line.stock_reserved:
                msg = _("Line %(line)s already holds stock of its product.") % {"line": line_id}
                raise ValidationError({"line_variants": [msg]})
            if not ProductVariant.objects.filter(pk=variant_id).exists():
                raise ValidationError({"line_variants": [_("Variant %(id)s does not exist.") % {"id": variant_id}]})
            line.variant_id = variant_id
            line.save(update_fields=["variant"])
            mapped.append({"line": line.id, "variant": variant_id})
        for line in lines:
            if line.variant_id is None:
                variant = variant_resolve(channel_id=order.channel_id, sku=line.sku)
                if variant is not None:
                    line.variant_id = variant.id
                    line.save(update_fields=["variant"])
                    mapped.append({"line": line.id, "variant": variant.id})
        unmapped = [line.sku for line in lines if line.variant_id is None]
        needs_stock = order.status not in (S.CANCELLED, S.SHIPPED, S.DELIVERED, S.COMPLETED)
        shortage = None
        if needs_stock:
            try:
                with transaction.atomic():
                    reserve_lines(order, lines, actor=_user_or_none(actor))
                    reserved = [line.id for line in lines if line.stock_reserved]
                    OrderLine.objects.filter(id__in=reserved).update(stock_reserved=True)
            except OutOfStock as exc:
                for line in lines:
                    line.refresh_from_db(fields=["stock_reserved"])
                if not force:
                    raise
                shortage = exc.detail
        if unmapped and not force:
            raise DomainError(
                _("Lines without a product: %(skus)s. Map them to a variant first.") % {"skus": ", ".join(unmapped)},
                detail={"unmapped_skus": unmapped},
            )
        order.is_oversold = False
        order.save(update_fields=["is_oversold", "updated_at"])
        record_event(
            order,
            EVENT_OVERSOLD_RESOLVED,
            actor=actor,
            source=source,
            note=note,
            data={"mapped": mapped, "forced": force, "unmapped_skus": unmapped, "shortage": shortage or {}},
        )
        return order
