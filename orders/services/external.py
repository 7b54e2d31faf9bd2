"""Marketplace orders: idempotent create-or-update from what an adapter fetched, one or a batch.

Provider status words map onto our lifecycle through PROVIDER_STATUS_MAP. An order only ever
walks forward along ALLOWED_TRANSITIONS (by STATUS_RANK); a late or backward status is kept as
`marketplace_status` with an event, never applied. Nothing received is dropped: a line whose SKU
is unknown, or stock that cannot be reserved, still records the order and flags it oversold.

One planner, one writer. `_plan_update` and `_plan_status` work out each order's changes as
orders.services.transitions plans (status steps through plan_transition, field changes and
timeline notes through plan_change) and `_upsert` writes a batch of them in one transaction:

1. locks the batch's existing orders with one `SELECT ... FOR UPDATE` in id order and plans them;
2. inserts the new orders (ids from the sequence, so final numbers at once) with one INSERT and
   their lines with another, and runs their order-created hooks for the batch;
3. locks the stock rows the batch may touch (new orders' variants, the reserved lines of orders
   that ship or cancel) in the catalog's lock order, so its several catalog calls cannot deadlock
   with another batch, and reserves every new order's stock with one stock_reserve_many call
   (each order all or nothing; a shortage flags the order oversold);
4. writes every plan with transitions_write: stock commits and releases, one UPDATE of the
   changed order columns, one INSERT of the events, the status-changed hooks once for the batch.

`order_upsert_external` is a batch of one. `orders_upsert_external_batch` (the webhook drain and
the sync) counts several payloads of one order once; when the batch fails it is rolled back and
every order is upserted as a batch of one, so one bad order costs only itself.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel
from orders import hooks
from orders.inputs import ExternalOrder
from orders.models import (
    ALLOWED_TRANSITIONS,
    STATUS_RANK,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    PaymentMethod,
)
from orders.services.create import ResolvedLine, build_order, channel_get, estimate_fee, order_in_creation_scope
from orders.services.customers import clean_phone, customer_for_contact
from orders.services.lifecycle import EVENT_CREATED, EVENT_MARKETPLACE_STATUS, EVENT_OVERSOLD, EVENT_UPDATED
from orders.services.stock import _requests, order_reference
from orders.services.transitions import TransitionPlan, plan_change, plan_transition, transitions_write

logger = logging.getLogger(__name__)

S = OrderStatus
K = Channel.Kind

# Provider status word -> our status. None: recorded only (returns, disputes, in-cancel requests
# arrive with the after-sales work and never move the order by themselves).
PROVIDER_STATUS_MAP: dict[str, dict[str, str | None]] = {
    K.SHOPEE: {
        "UNPAID": S.AWAITING_PAYMENT,
        "READY_TO_SHIP": S.PAID,
        "PROCESSED": S.PACKED,
        "RETRY_SHIP": S.PACKED,
        "SHIPPED": S.SHIPPED,
        "TO_CONFIRM_RECEIVE": S.DELIVERED,
        "COMPLETED": S.COMPLETED,
        "IN_CANCEL": None,
        "CANCELLED": S.CANCELLED,
        "TO_RETURN": None,
    },
    K.TIKTOK_SHOP: {
        "UNPAID": S.AWAITING_PAYMENT,
        "ON_HOLD": S.PAID,
        "AWAITING_SHIPMENT": S.PAID,
        "AWAITING_COLLECTION": S.PACKED,
        "PARTIALLY_SHIPPING": S.PACKED,
        "IN_TRANSIT": S.SHIPPED,
        "DELIVERED": S.DELIVERED,
        "COMPLETED": S.COMPLETED,
        "CANCELLED": S.CANCELLED,
        "CANCEL": S.CANCELLED,
    },
    K.LAZADA: {
        "unpaid": S.AWAITING_PAYMENT,
        "pending": S.PAID,
        "packed": S.PACKED,
        "repacked": S.PACKED,
        "ready_to_ship": S.PACKED,
        "shipped": S.SHIPPED,
        "delivered": S.DELIVERED,
        "confirmed": S.COMPLETED,
        "canceled": S.CANCELLED,
        "failed_delivery": None,
        "returned": None,
        "shipped_back": None,
        "lost_by_3pl": None,
        "damaged_by_3pl": None,
    },
    K.TOKOPEDIA: {
        **{str(code): S.CANCELLED for code in range(0, 16)},
        "100": S.AWAITING_PAYMENT,
        "220": S.PAID,
        "400": S.PROCESSING,
        "450": S.PACKED,
        "500": S.SHIPPED,
        "550": None,
        "600": S.DELIVERED,
        "700": S.COMPLETED,
    },
}

_UNKNOWN = object()


def map_provider_status(kind: str, status: str):
    """Our status for a provider's word; None for record-only words; _UNKNOWN when unheard of.

    Channels without a table (Bukalapak, a generic fake) may send our own status values.
    """
    word = (status or "").strip()
    table = PROVIDER_STATUS_MAP.get(kind, {})
    if word in table:
        return table[word]
    for key, value in table.items():
        if key.lower() == word.lower():
            return value
    if word.lower() in S.values:
        return word.lower()
    return _UNKNOWN


def forward_path(order: Order, target: str) -> list[str] | None:
    """Statuses to walk through from the order's status to `target`, each step allowed and forward.

    [] when already there; None when `target` is behind the order or cannot be reached.
    """
    start = order.status
    if start == target:
        return []
    if STATUS_RANK[target] <= STATUS_RANK[start]:
        return None
    queue = deque([(start, [])])
    seen = {start}
    while queue:
        status, path = queue.popleft()
        for nxt in sorted(ALLOWED_TRANSITIONS.get(status, ()), key=lambda s: STATUS_RANK[s]):
            if nxt in seen or STATUS_RANK[nxt] <= STATUS_RANK[status] or STATUS_RANK[nxt] > STATUS_RANK[target]:
                continue
            if (status, nxt) == (S.AWAITING_PAYMENT, S.PROCESSING) and not order.is_cod:
                continue
            if nxt == S.PAID and order.is_cod and target != S.PAID:
                continue  # a COD order is paid on delivery, not before shipping
            if nxt == target:
                return [*path, nxt]
            seen.add(nxt)
            queue.append((nxt, [*path, nxt]))
    return None


def _resolve_external_lines(
    channel: Channel, external: ExternalOrder, by_sku: dict | None = None
) -> tuple[list[ResolvedLine], list[str]]:
    """Each line's variant; `by_sku` holds variants already read by their exact SKU (the batch
    path reads them in one query), the others are looked up with catalog's variant_resolve."""
    from catalog.selectors import variant_resolve

    lines, unmapped = [], []
    for item in external.lines:
        if int(item.quantity) <= 0:
            continue  # an item the buyer removed before paying: nothing to ship or reserve
        sku = (item.sku or "").strip()
        if by_sku and sku in by_sku:
            variant = by_sku[sku]
        else:
            variant = variant_resolve(
                channel_id=channel.id, sku=item.sku, item_id=item.item_id, model_id=item.model_id
            )
        if variant is None:
            unmapped.append(item.sku or f"{item.item_id}/{item.model_id}")
        lines.append(
            ResolvedLine(
                variant_id=variant.id if variant is not None else None,
                sku=(item.sku or (variant.sku if variant is not None else "") or f"{item.item_id}/{item.model_id}"),
                name=item.name or (str(variant) if variant is not None else item.sku),
                quantity=int(item.quantity),
                unit_price_amount=int(item.unit_price_amount),
                discount_amount=int(item.discount_amount),
                external_line_id=item.external_line_id,
            )
        )
    return lines, unmapped


def _safe_phone(raw: str) -> str:
    try:
        return clean_phone(raw)
    except Exception:  # masked marketplace numbers ("******89") are normal
        return ""


def step_fields(external: ExternalOrder, step: str) -> tuple[dict, datetime | None]:
    """The fields and the time a marketplace payload gives one step of its order's path."""
    fields, at = {}, None
    if step == S.PAID:
        at = external.paid_at
    if step == S.SHIPPED:
        at = external.updated_at
        if external.courier:
            fields["courier"] = external.courier[:60]
        if external.tracking_number:
            fields["tracking_number"] = external.tracking_number[:64]
    if step == S.CANCELLED:
        fields["cancel_reason"] = (external.cancel_reason or "Cancelled on the marketplace")[:255]
    return fields, at


@dataclass
class BatchResult:
    """Order id per external id written, the error per external id that failed, and whether the
    batch had to fall back to one transaction per order."""

    order_ids: dict[str, int] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    fell_back: bool = False


def order_upsert_external(*, channel_id: int, external: ExternalOrder, source: str = OrderSource.MARKETPLACE) -> Order:
    """Create or update the local order for a marketplace order; safe to call any number of times.

    Concurrent calls for the same (channel, external_id) make one order and one reservation: the
    loser of the insert race waits on the unique constraint, then updates the winner's row.
    A payload older than the last one applied changes nothing but the timeline.
    """
    channel = channel_get(channel_id)
    if not external.external_id:
        raise ValidationError({"external_id": [_("A marketplace order needs its id.")]})
    return _upsert_one(channel, external, source)


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
            written = _upsert(channel, list(latest.values()), source)
        result.order_ids.update({external_id: order.pk for external_id, order in written.items()})
    except Exception:
        logger.warning("batch upsert of %s %s orders failed; upserting them one by one",
                       len(latest), channel.kind, exc_info=True)
        result.fell_back = True
        for external_id, external in latest.items():
            try:
                result.order_ids[external_id] = _upsert_one(channel, external, source).pk
            except Exception as exc:
                logger.exception("upsert of %s order %s failed", channel.kind, external_id)
                result.errors[external_id] = exc
    return result


def _upsert_one(channel: Channel, external: ExternalOrder, source: str) -> Order:
    """A batch of one in its own transaction. An insert that lost the race to a concurrent upsert of
    the same order waited on the unique constraint and failed: done again, it updates the winner's row."""
    try:
        with transaction.atomic():
            return _upsert(channel, [external], source)[external.external_id]
    except IntegrityError:
        with transaction.atomic():
            return _upsert(channel, [external], source)[external.external_id]


def _upsert(channel: Channel, externals: list[ExternalOrder], source: str) -> dict[str, Order]:
    """Plan and write one batch (one payload per order) inside the caller's transaction."""
    from catalog.services.push import listed_variant_ids

    now = timezone.now()
    by_id = {external.external_id: external for external in externals}
    locked = list(
        Order.objects.select_for_update(of=("self",))
        .filter(channel_id=channel.pk, external_id__in=list(by_id))
        .order_by("pk")
    )
    plans: list[TransitionPlan] = []
    for order in locked:
        order.channel = channel
        plans += _plan_update(order, by_id[order.external_id], source, now)
    known = {order.external_id for order in locked}
    new = _insert_new(channel, sorted((e for e in externals if e.external_id not in known),
                                      key=lambda e: e.external_id), source)
    inserted = {item.order.pk: item.order for item in new}
    # the hooks get the rows just written (payments then skips reading them); they do not read stock
    hooks.run_orders_created(list(inserted), around=lambda order_id: order_in_creation_scope(inserted[order_id]))
    new_variants = {line.variant_id for item in new for line in item.lines if line.variant_id}
    listed = set(listed_variant_ids(new_variants)) if new_variants else set()  # read before the locks
    settling = [plan.order.pk for plan in plans if plan.stock]
    held = set(OrderLine.objects.filter(order_id__in=settling, stock_reserved=True)
               .values_list("variant_id", flat=True)) if settling else set()
    _lock_stock_rows(held | new_variants)
    plans += _reserve_new(new, listed, source, now)
    transitions_write(plans)
    hooks.run_marketplace_status_recorded([
        hooks.MarketplaceStatusRecorded(order_id=plan.order.pk, channel_kind=channel.kind,
                                        status=plan.event.data["status"], event_id=plan.event.pk, source=source)
        for plan in plans
        if plan.event is not None and plan.event.kind == EVENT_MARKETPLACE_STATUS and plan.event.data.get("record_only")
    ])
    return {order.external_id: order for order in [*locked, *inserted.values()]}


# --- planning (pure) -----------------------------------------------------------------------------
def _plan_update(order: Order, external: ExternalOrder, source: str, now: datetime) -> list[TransitionPlan]:
    """An existing order's changes for a payload: its marketplace fields, then its status."""
    last = order.marketplace_updated_at
    if last is not None and external.updated_at == last and external.status == order.marketplace_status:
        return []  # the same payload again
    if last is not None and external.updated_at < last:
        return [plan_change(order, EVENT_MARKETPLACE_STATUS, source=source,
                            note=f"{external.status}: older than the last update, not applied",
                            data={"status": external.status, "updated_at": external.updated_at.isoformat(),
                                  "stale": True})]
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
    plans = [plan_change(order, EVENT_UPDATED if details else "", fields=changed, source=source,
                         data={"fields": details}, now=now)]
    target = map_provider_status(order.channel.kind, external.status)
    if target is not _UNKNOWN and target is not None and target == order.status:
        return plans
    return plans + _plan_status(order, external, target, source, now)


def _plan_status(order: Order, external: ExternalOrder, target, source: str, now: datetime) -> list[TransitionPlan]:
    """The steps from the order's status to the payload's, or a timeline note of why there are none."""

    def noted(why: str, **data) -> list[TransitionPlan]:
        return [plan_change(order, EVENT_MARKETPLACE_STATUS, source=source, note=f"{external.status}: {why}",
                            data={"status": external.status, **data})]

    if target is _UNKNOWN:
        return noted("unknown status, not applied")
    if target is None:
        return noted("recorded only", record_only=True)
    if target == S.PAID and order.is_cod:
        return noted("cash on delivery, waiting for confirmation", mapped=target)
    path = forward_path(order, target)
    if path is None:
        return noted(f"would move {order.status} to {target}, not applied", mapped=target)
    plans = []
    for step in path:
        fields, at = step_fields(external, step)
        plans.append(plan_transition(
            order, step, source=source, note=f"{order.channel.get_kind_display()}: {external.status}",
            fields=fields, at=at, data={"marketplace_status": external.status}, now=now,
        ))
    return plans


# --- new orders ----------------------------------------------------------------------------------
@dataclass
class _New:
    order: Order
    external: ExternalOrder
    lines: list[OrderLine]
    unmapped: list[str]


def _insert_new(channel: Channel, externals: list[ExternalOrder], source: str) -> list[_New]:
    """Insert the new orders awaiting payment with one INSERT and their lines with another.

    The ids come from the orders sequence, so the orders get their final numbers at once and the
    reservations their "order:<id>" references. The lines are written as holding stock when they
    will (a mapped line of an order that is not cancelled); a reservation that fails is undone in
    _reserve_new.
    """
    if not externals:
        return []
    from catalog.models import ProductVariant

    # one query by exact SKU for the batch; catalog's variant_resolve only for the lines it misses
    skus = {(item.sku or "").strip() for e in externals for item in e.lines if int(item.quantity) > 0} - {""}
    by_sku = {v.sku: v for v in ProductVariant.objects.select_related("product").filter(sku__in=skus)} if skus else {}
    items: list[_New] = []
    for external, order_id in zip(externals, _take_order_ids(len(externals)), strict=True):
        lines, unmapped = _resolve_external_lines(channel, external, by_sku)
        subtotal = sum(line.total_amount for line in lines)
        payment_method = external.payment_method or PaymentMethod.MARKETPLACE
        order, order_lines = build_order(
            order_id=order_id, channel=channel, placed_at=external.placed_at, source=source, lines=lines,
            customer=customer_for_contact(
                name=external.buyer_name or external.shipping_name,
                phone=_safe_phone(external.buyer_phone) or _safe_phone(external.shipping_phone),
                email=external.buyer_email,
            ),
            external_id=external.external_id, status=S.AWAITING_PAYMENT, subtotal_amount=subtotal,
            shipping_amount=max(int(external.shipping_amount), 0),
            discount_amount=max(int(external.discount_amount), 0),
            marketplace_fee_amount=int(external.marketplace_fee_amount) or estimate_fee(channel, subtotal),
            total_amount=max(int(external.total_amount), 0),
            payment_method=PaymentMethod.COD if external.is_cod else payment_method[:32],
            ship_by=external.ship_by, shipping_name=(external.shipping_name or external.buyer_name)[:200],
            shipping_phone=_safe_phone(external.shipping_phone), shipping_address=external.shipping_address,
            shipping_city=external.shipping_city[:100], shipping_province=external.shipping_province[:100],
            shipping_postal_code=external.shipping_postal_code[:10], courier=external.courier[:60],
            tracking_number=external.tracking_number[:64], marketplace_status=external.status[:40],
            marketplace_updated_at=external.updated_at, is_oversold=bool(unmapped),
        )
        reserve = map_provider_status(channel.kind, external.status) != S.CANCELLED
        for line in order_lines:
            line.stock_reserved = reserve and line.variant_id is not None
        items.append(_New(order=order, external=external, lines=order_lines, unmapped=unmapped))
    Order.objects.bulk_create([item.order for item in items])
    OrderLine.objects.bulk_create([line for item in items for line in item.lines])
    return items


def _reserve_new(items: list[_New], listed: set[int], source: str, now: datetime) -> list[TransitionPlan]:
    """Reserve the new orders' stock (the caller holds the stock rows) and plan their created
    events, the oversold flag of the ones short of a product or stock, and their statuses.

    All the batch's reservations are one call of catalog's stock_reserve_many (each order all or
    nothing, in the batch's order); `listed` (the batch's variants listed on a channel) spares its lookup.
    """
    from catalog.errors import OutOfStock
    from catalog.services.stock_batch import ReserveRequest, stock_reserve_many

    wanted = {item.order.pk: [line for line in item.lines if line.stock_reserved] for item in items}
    wanted = {order_id: lines for order_id, lines in wanted.items() if lines}
    results = stock_reserve_many(
        requests=[ReserveRequest(order_reference(order_id), _requests(lines)) for order_id, lines in wanted.items()],
        actor=None, listed=listed,
    ) if wanted else {}
    plans: list[TransitionPlan] = []
    short: list[int] = []
    for item in items:
        order, external = item.order, item.external
        stock_error = results.get(order_reference(order.pk))
        if stock_error is not None and not isinstance(stock_error, OutOfStock):
            raise stock_error  # an unknown variant: the batch is redone order by order
        plans.append(plan_change(order, EVENT_CREATED, source=source, to_status=S.AWAITING_PAYMENT, data={
            "number": order.number, "external_id": external.external_id, "marketplace_status": external.status}))
        if stock_error is not None:
            short.append(order.pk)
            for line in item.lines:
                line.stock_reserved = False
        if item.unmapped or stock_error is not None:
            reasons = [f"no product for SKU {', '.join(item.unmapped)}"] if item.unmapped else []
            if stock_error is not None:
                reasons.append(stock_error.message)
            plans.append(plan_change(
                order, EVENT_OVERSOLD, fields={"is_oversold": True}, source=source, note="; ".join(reasons),
                data={"unmapped_skus": item.unmapped, "stock": stock_error.detail if stock_error is not None else {}},
                now=now,
            ))
        plans += _plan_status(order, external, map_provider_status(order.channel.kind, external.status), source, now)
    if short:
        OrderLine.objects.filter(order_id__in=short).update(stock_reserved=False)
    return plans


def _take_order_ids(count: int) -> list[int]:
    """Ids for the new orders from the orders sequence (one statement), so each is inserted with its
    final number instead of being renumbered by an UPDATE."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Order._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _lock_stock_rows(variant_ids: set[int]) -> None:
    """Lock the stock rows the batch may reserve, commit or release, before any of it.

    The catalog services lock the rows of one call in (variant, warehouse) order; a transaction
    doing several calls would take rows out of that order across calls and could deadlock with
    another worker's batch. Taking the whole set first, in that same order, makes every later
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


__all__ = ["PROVIDER_STATUS_MAP", "BatchResult", "map_provider_status", "order_upsert_external",
           "orders_upsert_external_batch"]
