"""Marketplace orders in batches: the webhook drain's set-based twin of order_upsert_external.

A drain answers up to a few hundred pushes at once; doing each order in its own transaction with
its own statements (lock, update, event, hooks: 7-20 statements per status change) is what
limited the worker. Here one transaction per batch:

1. locks the batch's existing orders with one `SELECT ... FOR UPDATE` in id order;
2. plans each order's changes in Python with the rules of order_upsert_external (never
   backwards, stale payloads only recorded, COD rules, record-only statuses, one event per step);
3. inserts the new orders (ids from the sequence, so final numbers at once) with one INSERT and
   their lines with another, and runs their order-created hooks for the batch;
4. writes the existing orders' changes with one `UPDATE ... FROM (VALUES ...)` and their events
   with one INSERT;
5. locks the stock rows the batch may touch (new orders' variants, the reserved lines of orders
   that ship or cancel) in the catalog's lock order, reserves every new order's stock with one
   catalog call (stock_reserve_many, each order all or nothing) and commits or releases the
   shipped and cancelled orders' stock with one call each (stock_commit_many, stock_release_many);
6. writes the new orders' statuses and events the same way, and runs the status-changed hooks
   once for the batch (run_status_changed_batch).

The stock locks come last because they serialise batches that sell the same products (two
drains of a channel, the web store): only the catalog's batch calls run while they are held.

Same results as calling order_upsert_external per order: same rows, events and hooks, the same
idempotency (a payload seen before changes nothing). The differences are only of timing: a new
order's stock is reserved after its order-created hooks ran (they do not read stock), and all
steps of the batch are written before the status-changed hooks run, so a hook that reads an
order sees its final state of the batch. When anything fails, the batch is rolled back and every order is upserted on
its own with order_upsert_external, so one bad order costs only itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel
from orders import hooks
from orders.inputs import ExternalOrder
from orders.models import Order, OrderEvent, OrderLine, OrderSource, OrderStatus, PaymentMethod
from orders.services.create import channel_get, estimate_fee, order_in_creation_scope, order_number
from orders.services.customers import customer_for_contact
from orders.services.external import (
    _UNKNOWN,
    _resolve_external_lines,
    _safe_phone,
    forward_path,
    map_provider_status,
    order_upsert_external,
    step_fields,
)
from orders.services.lifecycle import (
    EVENT_CREATED,
    EVENT_MARKETPLACE_STATUS,
    EVENT_OVERSOLD,
    EVENT_STATUS,
    EVENT_UPDATED,
)
from orders.services.stock import _requests, order_reference
from orders.services.transitions import plan_transition

logger = logging.getLogger(__name__)
S = OrderStatus

# Order columns a batch writes back: what a marketplace update and a transition may change.
WRITTEN_FIELDS = (
    "status", "marketplace_status", "marketplace_updated_at", "courier", "tracking_number", "ship_by",
    "marketplace_fee_amount", "paid_at", "shipped_at", "delivered_at", "completed_at", "cancelled_at",
    "cancel_reason", "is_oversold", "updated_at",
)


@dataclass
class BatchResult:
    """Order id per external id written, the error per external id that failed, and whether the
    batch had to fall back to one transaction per order."""

    order_ids: dict[str, int] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    fell_back: bool = False


@dataclass
class _Plan:
    order: Order
    source: str
    now: datetime
    events: list[OrderEvent] = field(default_factory=list)
    dirty: bool = False
    stock: str = ""  # "commit" (shipped) or "release" (cancelled)

    def event(self, kind: str, *, note: str = "", from_status: str = "", to_status: str = "",
              data: dict | None = None) -> None:
        self.events.append(OrderEvent(
            order=self.order, kind=kind, from_status=from_status, to_status=to_status, actor=None,
            source=self.source, note=note, data=data or {},
        ))


def orders_upsert_external_batch(
    *,
    channel_id: int,
    externals: list[ExternalOrder],
    source: str = OrderSource.MARKETPLACE,
    flushed_by_caller: bool = False,
) -> BatchResult:
    """Create or update the local orders for many marketplace orders of one channel; see the module doc.

    Several payloads of one order in the batch count once (the latest by updated_at; a fetch
    returns one per order anyway). Errors are returned per external id, never raised, except that
    a channel that does not exist raises ValidationError.

    `flushed_by_caller=True` (outside a caller's transaction): the batch commits without
    waiting for its WAL flush, so it releases its row locks (stock rows other batches and the web
    store wait for) a flush earlier. Only for a caller whose next step is a synchronous commit that
    decides whether the work counts as done, as the webhook drain's delivery_finish_many does: WAL
    is flushed in order, so that commit makes this one durable too, and a crash before it loses
    both, leaving the pushes claimed for the sweep to process again (idempotently).
    """
    channel = channel_get(channel_id)
    result = BatchResult()
    latest: dict[str, ExternalOrder] = {}
    for external in externals:
        if not external.external_id:
            result.errors[""] = ValidationError({"external_id": [_("A marketplace order needs its id.")]})
            continue
        seen = latest.get(external.external_id)
        if seen is None or external.updated_at >= seen.updated_at:
            latest[external.external_id] = external
    if not latest:
        return result
    try:
        async_commit = flushed_by_caller and not connection.in_atomic_block
        with transaction.atomic():
            if async_commit:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            result.order_ids.update(_upsert_batch(channel, list(latest.values()), source))
    except Exception:
        logger.warning("batch upsert of %s %s orders failed; upserting them one by one",
                       len(latest), channel.kind, exc_info=True)
        result.fell_back = True
        for external_id, external in latest.items():
            try:
                result.order_ids[external_id] = order_upsert_external(
                    channel_id=channel.pk, external=external, source=source
                ).pk
            except Exception as exc:
                logger.exception("upsert of %s order %s failed", channel.kind, external_id)
                result.errors[external_id] = exc
    return result


def _upsert_batch(channel: Channel, externals: list[ExternalOrder], source: str) -> dict[str, int]:
    now = timezone.now()
    by_id = {external.external_id: external for external in externals}
    locked = list(
        Order.objects.select_for_update(of=("self",))
        .filter(channel_id=channel.pk, external_id__in=list(by_id))
        .order_by("pk")
    )
    plans: list[_Plan] = []
    for order in locked:
        order.channel = channel
        plans.append(_plan_update(order, by_id[order.external_id], channel, source, now))
    known = {order.external_id for order in locked}
    new = sorted((e for e in externals if e.external_id not in known), key=lambda e: e.external_id)
    resolved = _resolve_batch_lines(channel, new)
    # buyers before the stock locks: a customer row another worker is inserting is waited for
    # while this batch holds no stock row
    customers = {e.external_id: _customer(e) for e in new}

    # The orders, their lines, their created hooks (payments: 3 statements each) before the stock
    # locks, which serialise batches that share products: only the reservations and shipments
    # run while this batch holds them. A duplicate of a new order another worker's batch is
    # inserting right now (two pushes of one order claimed by two drains) waits for it and fails
    # this batch with an IntegrityError; it is then done order by order.
    from catalog.services.push import listed_variant_ids

    pending = _insert_new(channel, new, resolved, source, now, customers)
    inserted = {item.plan.order.pk: item.plan.order for item in pending}
    # the hooks get the rows just written, as from order_create (payments then skips reading them)
    hooks.run_orders_created(list(inserted), around=lambda order_id: order_in_creation_scope(inserted[order_id]))
    new_variants = {line.variant_id for lines, _unmapped in resolved.values() for line in lines if line.variant_id}
    listed = set(listed_variant_ids(new_variants)) if new_variants else set()  # read before the locks

    reserved = _reserved_lines([plan.order.pk for plan in plans if plan.stock])
    # The existing orders' rows and events too (their stock is settled below, in this transaction).
    events = _write_plans(plans, now)

    _lock_stock_rows({variant_id for lines in reserved.values() for _line_id, variant_id in lines} | new_variants)
    created = _reserve_new(channel, pending, listed)
    reserved.update(_reserved_lines([plan.order.pk for plan in created if plan.stock]))
    _settle_stock([*plans, *created], reserved)
    events += _write_plans(created, now)
    hooks.run_marketplace_status_recorded([
        hooks.MarketplaceStatusRecorded(order_id=event.order_id, channel_kind=channel.kind,
                                        status=event.data["status"], event_id=event.pk, source=event.source)
        for event in events if event.kind == EVENT_MARKETPLACE_STATUS and event.data.get("record_only")
    ])
    # the status-changed hooks once the stock moved, as lifecycle.apply_transition runs them
    hooks.run_status_changed_batch([
        hooks.StatusChange(order_id=event.order_id, from_status=event.from_status, to_status=event.to_status,
                           event_id=event.pk, source=event.source)
        for event in events if event.kind == EVENT_STATUS
    ])
    return {plan.order.external_id: plan.order.pk for plan in [*plans, *created]}


def _write_plans(plans: list[_Plan], now: datetime) -> list[OrderEvent]:
    """The planned order changes (one UPDATE) and events (one INSERT); returns the events written."""
    _write_orders([plan.order for plan in plans if plan.dirty], now)
    events = [event for plan in plans for event in plan.events]
    if events:
        OrderEvent.objects.bulk_create(events)
    return events


# --- planning (pure: mirrors orders.services.external._update / _apply_status) ---------------
def _plan_update(order: Order, external: ExternalOrder, channel: Channel, source: str, now: datetime) -> _Plan:
    plan = _Plan(order=order, source=source, now=now)
    target = map_provider_status(channel.kind, external.status)
    last = order.marketplace_updated_at
    if last is not None and external.updated_at == last and external.status == order.marketplace_status:
        return plan  # the same payload again
    if last is not None and external.updated_at < last:
        plan.event(
            EVENT_MARKETPLACE_STATUS,
            note=f"{external.status}: older than the last update, not applied",
            data={"status": external.status, "updated_at": external.updated_at.isoformat(), "stale": True},
        )
        return plan
    changed = {"marketplace_status": external.status[:40], "marketplace_updated_at": external.updated_at}
    for name, value in (
        ("courier", external.courier[:60]),
        ("tracking_number", external.tracking_number[:64]),
        ("ship_by", external.ship_by),
    ):
        if value and getattr(order, name) != value:
            changed[name] = value
    if external.marketplace_fee_amount and external.marketplace_fee_amount != order.marketplace_fee_amount:
        changed["marketplace_fee_amount"] = int(external.marketplace_fee_amount)
    details = sorted(set(changed) - {"marketplace_status", "marketplace_updated_at"})
    for name, value in changed.items():
        setattr(order, name, value)
    plan.dirty = True
    if details:
        plan.event(EVENT_UPDATED, data={"fields": details})
    if target is not _UNKNOWN and target is not None and target == order.status:
        return plan
    _plan_status(plan, external, target, channel)
    return plan


def _plan_status(plan: _Plan, external: ExternalOrder, target, channel: Channel) -> None:
    order = plan.order
    if target is _UNKNOWN or target is None:
        plan.event(
            EVENT_MARKETPLACE_STATUS,
            note=f"{external.status}: " + ("unknown status, not applied" if target is _UNKNOWN else "recorded only"),
            data={"status": external.status, **({"record_only": True} if target is None else {})},
        )
        return
    if target == S.PAID and order.is_cod:
        plan.event(
            EVENT_MARKETPLACE_STATUS,
            note=f"{external.status}: cash on delivery, waiting for confirmation",
            data={"status": external.status, "mapped": target},
        )
        return
    path = forward_path(order, target)
    if path is None:
        plan.event(
            EVENT_MARKETPLACE_STATUS,
            note=f"{external.status}: would move {order.status} to {target}, not applied",
            data={"status": external.status, "mapped": target},
        )
        return
    for step in path:
        # the per-order rule (orders.services.transitions.plan_transition, as apply_transition uses it),
        # written by this batch's UPDATE, INSERT and stock calls
        fields, at = step_fields(external, step)
        step_plan = plan_transition(
            order, step, source=plan.source, note=f"{channel.get_kind_display()}: {external.status}", fields=fields,
            at=at, data={"marketplace_status": external.status}, now=plan.now,
        )
        plan.stock = step_plan.stock or plan.stock
        plan.dirty = True
        plan.events.append(step_plan.event)


def _customer(external: ExternalOrder):
    return customer_for_contact(
        name=external.buyer_name or external.shipping_name,
        phone=_safe_phone(external.buyer_phone) or _safe_phone(external.shipping_phone),
        email=external.buyer_email,
    )


@dataclass
class _New:
    plan: _Plan
    external: ExternalOrder
    lines: list[OrderLine]
    unmapped: list[str]
    reserve: bool


def _insert_new(
    channel: Channel, externals: list[ExternalOrder], resolved: dict[str, tuple], source: str, now: datetime,
    customers: dict,
) -> list[_New]:
    """Insert the new orders awaiting payment, as external._create does, with one INSERT for the
    orders and one for their lines; the stock is reserved later by _reserve_new.

    The ids come from the orders sequence, so the orders get their final numbers at once and the
    reservations their "order:<id>" references. The lines are written as holding stock when they
    will (a mapped line of an order that is not cancelled); a reservation that fails is undone in
    _reserve_new.
    """
    if not externals:
        return []
    items: list[_New] = []
    for external, order_id in zip(externals, _take_order_ids(len(externals)), strict=True):
        target = map_provider_status(channel.kind, external.status)
        lines, unmapped = resolved[external.external_id]
        subtotal = sum(line.total_amount for line in lines)
        payment_method = (
            PaymentMethod.COD if external.is_cod else (external.payment_method or PaymentMethod.MARKETPLACE)
        )
        order = Order(
            id=order_id, channel=channel, customer=customers[external.external_id], placed_at=external.placed_at,
            number=order_number(channel, order_id, external.placed_at), source=source,
            external_id=external.external_id, status=S.AWAITING_PAYMENT, subtotal_amount=subtotal,
            shipping_amount=max(int(external.shipping_amount), 0),
            discount_amount=max(int(external.discount_amount), 0),
            marketplace_fee_amount=int(external.marketplace_fee_amount) or estimate_fee(channel, subtotal),
            total_amount=max(int(external.total_amount), 0), payment_method=payment_method[:32],
            ship_by=external.ship_by, shipping_name=(external.shipping_name or external.buyer_name)[:200],
            shipping_phone=_safe_phone(external.shipping_phone), shipping_address=external.shipping_address,
            shipping_city=external.shipping_city[:100], shipping_province=external.shipping_province[:100],
            shipping_postal_code=external.shipping_postal_code[:10], courier=external.courier[:60],
            tracking_number=external.tracking_number[:64], marketplace_status=external.status[:40],
            marketplace_updated_at=external.updated_at, is_oversold=bool(unmapped),
        )
        reserve = target != S.CANCELLED
        order_lines = [
            OrderLine(
                order=order, variant_id=line.variant_id, sku=line.sku[:64], name=line.name[:255],
                quantity=line.quantity, unit_price_amount=line.unit_price_amount,
                discount_amount=line.discount_amount, external_line_id=line.external_line_id[:128],
                stock_reserved=reserve and line.variant_id is not None,
            )
            for line in lines
        ]
        plan = _Plan(order=order, source=source, now=now)
        plan.event(EVENT_CREATED, to_status=S.AWAITING_PAYMENT, data={
            "number": order.number, "external_id": external.external_id, "marketplace_status": external.status})
        items.append(_New(plan=plan, external=external, lines=order_lines, unmapped=unmapped, reserve=reserve))
    Order.objects.bulk_create([item.plan.order for item in items])
    OrderLine.objects.bulk_create([line for item in items for line in item.lines])
    return items


def _reserve_new(channel: Channel, items: list[_New], listed: set[int]) -> list[_Plan]:
    """Reserve the new orders' stock (the caller holds the stock rows), flag the ones that could
    not be reserved oversold, and plan their statuses (written by the batch's UPDATE).

    All the batch's reservations are one call of catalog's stock_reserve_many (each order all or
    nothing, in the batch's order, in a fixed number of statements while the rows are held);
    `listed` (the batch's variants listed on a channel, read once) spares its lookup.
    """
    from catalog.errors import OutOfStock
    from catalog.services.stock_batch import ReserveRequest, stock_reserve_many

    wanted: dict[int, list[OrderLine]] = {}
    for item in items:
        mapped = [line for line in item.lines if line.variant_id]
        if item.reserve and mapped:
            wanted[item.plan.order.pk] = mapped
    results = stock_reserve_many(
        requests=[ReserveRequest(order_reference(order_id), _requests(lines)) for order_id, lines in wanted.items()],
        actor=None, listed=listed,
    ) if wanted else {}
    short: list[int] = []
    for item in items:
        order = item.plan.order
        stock_error = results.get(order_reference(order.pk))
        if stock_error is not None and not isinstance(stock_error, OutOfStock):
            raise stock_error  # an unknown variant: as the per-order path, the batch is redone order by order
        for line in wanted.get(order.pk, ()):
            line.stock_reserved = stock_error is None
        if stock_error is not None:
            short.append(order.pk)
        if item.unmapped or stock_error is not None:
            order.is_oversold = True
            item.plan.dirty = True
            reasons = []
            if item.unmapped:
                reasons.append(f"no product for SKU {', '.join(item.unmapped)}")
            if stock_error is not None:
                reasons.append(stock_error.message)
            item.plan.event(EVENT_OVERSOLD, note="; ".join(reasons), data={
                "unmapped_skus": item.unmapped, "stock": stock_error.detail if stock_error is not None else {}})
        _plan_status(item.plan, item.external, map_provider_status(channel.kind, item.external.status), channel)
    if short:
        OrderLine.objects.filter(order_id__in=short).update(stock_reserved=False)
    return [item.plan for item in items]


def _resolve_batch_lines(channel: Channel, externals: list[ExternalOrder]) -> dict[str, tuple]:
    """The new orders' lines with their variants: one query by exact SKU for the whole batch,
    catalog's variant_resolve only for lines it does not find (case, marketplace ids)."""
    from catalog.models import ProductVariant

    skus = {(item.sku or "").strip() for e in externals for item in e.lines if int(item.quantity) > 0} - {""}
    by_sku = {v.sku: v for v in ProductVariant.objects.select_related("product").filter(sku__in=skus)} if skus else {}
    return {e.external_id: _resolve_external_lines(channel, e, by_sku) for e in externals}


# --- writing -------------------------------------------------------------------------------------
def _take_order_ids(count: int) -> list[int]:
    """Ids for the new orders from the orders sequence (one statement), so each is inserted with its
    final number instead of being renumbered by an UPDATE."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Order._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _reserved_lines(order_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """(line id, variant id) of each order's lines that hold stock, in one statement."""
    lines: dict[int, list[tuple[int, int]]] = {}
    if not order_ids:
        return lines
    for line_id, order_id, variant_id in (
        OrderLine.objects.filter(order_id__in=order_ids, stock_reserved=True)
        .order_by("id").values_list("id", "order_id", "variant_id")
    ):
        lines.setdefault(order_id, []).append((line_id, variant_id))
    return lines


def _lock_stock_rows(variant_ids: set[int]) -> None:
    """Lock the stock rows the batch may reserve, commit or release, before any of it.

    The catalog services lock the rows of one call in (variant, warehouse) order; a transaction
    doing many orders' calls would take rows out of that order across calls and could deadlock
    with another worker's batch. Taking the whole set first, in that same order, makes every later
    lock one this transaction already holds.
    """
    from catalog.models import StockLevel

    if variant_ids:
        list(
            StockLevel.objects.select_for_update(of=("self",))
            .filter(variant_id__in=variant_ids)
            .order_by("variant_id", "warehouse_id")
            .values_list("pk", flat=True)
        )


def _settle_stock(plans: list[_Plan], reserved: dict[int, list[tuple[int, int]]]) -> None:
    """What apply_transition does on shipping (commit) and cancelling (release), for the batch:
    one catalog call for all the shipped orders and one for all the cancelled ones."""
    from catalog.services.stock_batch import stock_commit_many, stock_release_many

    settled: list[int] = []
    references: dict[str, list[str]] = {"commit": [], "release": []}
    for plan in plans:
        lines = reserved.get(plan.order.pk)
        if not plan.stock or not lines:
            continue
        references["commit" if plan.stock == "commit" else "release"].append(order_reference(plan.order.pk))
        settled.extend(line_id for line_id, _variant_id in lines)
    if references["commit"]:
        stock_commit_many(references=references["commit"], actor=None)
    if references["release"]:
        stock_release_many(references=references["release"], actor=None, reason="")
    if settled:
        OrderLine.objects.filter(id__in=settled).update(stock_reserved=False)


def _write_orders(orders: list[Order], now: datetime) -> None:
    """Write the changed columns of every order with one statement."""
    if not orders:
        return
    for order in orders:
        order.updated_at = now
    fields = [Order._meta.pk, *(Order._meta.get_field(name) for name in WRITTEN_FIELDS)]
    qn = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    params: list = []
    names = [f.attname for f in fields]  # ids, text, integers, booleans, aware datetimes: psycopg adapts them
    for order in orders:
        params.extend(getattr(order, name) for name in names)
    columns = ", ".join(qn(f.column) for f in fields)
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields[1:])
    sql = (
        f"UPDATE {qn(Order._meta.db_table)} AS o SET {assignments} "  # noqa: S608 (names from the model)
        f"FROM (VALUES {', '.join([row] * len(orders))}) AS v({columns}) "
        f"WHERE o.{qn(Order._meta.pk.column)} = v.{qn(Order._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


__all__ = ["WRITTEN_FIELDS", "BatchResult", "orders_upsert_external_batch"]
