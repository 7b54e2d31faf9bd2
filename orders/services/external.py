"""Marketplace orders: idempotent create-or-update from what an adapter fetched.

Provider status words map onto our lifecycle through PROVIDER_STATUS_MAP. An order only ever
walks forward along ALLOWED_TRANSITIONS (by STATUS_RANK); a late or backward status is kept as
`marketplace_status` with an event, never applied. Nothing received is dropped: a line whose SKU
is unknown, or stock that cannot be reserved, still records the order and flags it oversold.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from channels.models import Channel
from orders import hooks
from orders.inputs import ExternalOrder
from orders.models import (
    ALLOWED_TRANSITIONS,
    STATUS_RANK,
    Order,
    OrderSource,
    OrderStatus,
    PaymentMethod,
)
from orders.services.create import ResolvedLine, channel_get, estimate_fee, insert_order
from orders.services.customers import clean_phone, customer_for_contact
from orders.services.lifecycle import (
    EVENT_CREATED,
    EVENT_MARKETPLACE_STATUS,
    EVENT_OVERSOLD,
    EVENT_UPDATED,
    apply_transition,
    record_event,
)

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


def _create(
    channel: Channel,
    external: ExternalOrder,
    source: str,
    target,
) -> Order:
    """Insert the order as awaiting payment (its status is applied by the caller)."""
    lines, unmapped = _resolve_external_lines(channel, external)
    customer = customer_for_contact(
        name=external.buyer_name or external.shipping_name,
        phone=_safe_phone(external.buyer_phone) or _safe_phone(external.shipping_phone),
        email=external.buyer_email,
    )
    subtotal = sum(line.total_amount for line in lines)
    payment_method = PaymentMethod.COD if external.is_cod else (external.payment_method or PaymentMethod.MARKETPLACE)
    order, _order_lines, stock_error = insert_order(
        channel=channel,
        customer=customer,
        lines=lines,
        placed_at=external.placed_at,
        reserve=target != S.CANCELLED,
        strict_stock=False,
        source=source,
        external_id=external.external_id,
        status=S.AWAITING_PAYMENT,
        subtotal_amount=subtotal,
        shipping_amount=max(int(external.shipping_amount), 0),
        discount_amount=max(int(external.discount_amount), 0),
        marketplace_fee_amount=int(external.marketplace_fee_amount) or estimate_fee(channel, subtotal),
        total_amount=max(int(external.total_amount), 0),
        payment_method=payment_method[:32],
        ship_by=external.ship_by,
        shipping_name=(external.shipping_name or external.buyer_name)[:200],
        shipping_phone=_safe_phone(external.shipping_phone),
        shipping_address=external.shipping_address,
        shipping_city=external.shipping_city[:100],
        shipping_province=external.shipping_province[:100],
        shipping_postal_code=external.shipping_postal_code[:10],
        courier=external.courier[:60],
        tracking_number=external.tracking_number[:64],
        marketplace_status=external.status[:40],
        marketplace_updated_at=external.updated_at,
    )
    record_event(
        order,
        EVENT_CREATED,
        source=source,
        to_status=order.status,
        data={"number": order.number, "external_id": external.external_id, "marketplace_status": external.status},
    )
    if unmapped or stock_error is not None:
        order.is_oversold = True
        order.save(update_fields=["is_oversold"])
        reasons = []
        if unmapped:
            reasons.append(f"no product for SKU {', '.join(unmapped)}")
        if stock_error is not None:
            reasons.append(stock_error.message)
        record_event(
            order,
            EVENT_OVERSOLD,
            source=source,
            note="; ".join(reasons),
            data={"unmapped_skus": unmapped, "stock": stock_error.detail if stock_error is not None else {}},
        )
    hooks.run_order_created(order.id)
    return order


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


def _lock_external(channel_id: int, external_id: str) -> Order | None:
    return (
        Order.objects.select_for_update(of=("self",))
        .filter(channel_id=channel_id, external_id=external_id)
        .first()
    )


def _apply_status(order: Order, external: ExternalOrder, target, source: str) -> None:
    if target is _UNKNOWN or target is None:
        event = record_event(
            order,
            EVENT_MARKETPLACE_STATUS,
            source=source,
            note=f"{external.status}: " + ("unknown status, not applied" if target is _UNKNOWN else "recorded only"),
            data={"status": external.status, **({"record_only": True} if target is None else {})},
        )
        if target is None:
            hooks.run_marketplace_status_recorded([hooks.MarketplaceStatusRecorded(
                order_id=order.pk, channel_kind=order.channel.kind, status=external.status, event_id=event.pk,
                source=source,
            )])
        return
    if target == S.PAID and order.is_cod:
        record_event(
            order,
            EVENT_MARKETPLACE_STATUS,
            source=source,
            note=f"{external.status}: cash on delivery, waiting for confirmation",
            data={"status": external.status, "mapped": target},
        )
        return
    path = forward_path(order, target)
    if path is None:
        record_event(
            order,
            EVENT_MARKETPLACE_STATUS,
            source=source,
            note=f"{external.status}: would move {order.status} to {target}, not applied",
            data={"status": external.status, "mapped": target},
        )
        return
    for step in path:
        fields, at = step_fields(external, step)
        apply_transition(
            order,
            step,
            source=source,
            note=f"{order.channel.get_kind_display()}: {external.status}",
            fields=fields,
            at=at,
            data={"marketplace_status": external.status},
        )


def order_upsert_external(*, channel_id: int, external: ExternalOrder, source: str = OrderSource.MARKETPLACE) -> Order:
    """Create or update the local order for a marketplace order; safe to call any number of times.

    Concurrent calls for the same (channel, external_id) make one order and one reservation: the
    loser of the insert race waits on the unique constraint, then updates the winner's row.
    A payload older than the last one applied changes nothing but the timeline.
    """
    channel = channel_get(channel_id)
    if not external.external_id:
        from django.core.exceptions import ValidationError

        raise ValidationError({"external_id": [_("A marketplace order needs its id.")]})
    target = map_provider_status(channel.kind, external.status)
    with transaction.atomic():
        order = _lock_external(channel_id, external.external_id)
        if order is None:
            try:
                with transaction.atomic():
                    order = _create(channel, external, source, target)
            except IntegrityError:
                order = _lock_external(channel_id, external.external_id)
                if order is None:
                    raise
            else:
                order.channel = channel
                _apply_status(order, external, target, source)
                return order
        order.channel = channel
        _update(order, external, target, source)
        return order


def _update(order: Order, external: ExternalOrder, target, source: str) -> None:
    last = order.marketplace_updated_at
    if last is not None and external.updated_at == last and external.status == order.marketplace_status:
        return  # the same payload again
    if last is not None and external.updated_at < last:
        record_event(
            order,
            EVENT_MARKETPLACE_STATUS,
            source=source,
            note=f"{external.status}: older than the last update, not applied",
            data={"status": external.status, "updated_at": external.updated_at.isoformat(), "stale": True},
        )
        return
    changed = {"marketplace_status": external.status[:40], "marketplace_updated_at": external.updated_at}
    for field, value in (
        ("courier", external.courier[:60]),
        ("tracking_number", external.tracking_number[:64]),
        ("ship_by", external.ship_by),
    ):
        if value and getattr(order, field) != value:
            changed[field] = value
    if external.marketplace_fee_amount and external.marketplace_fee_amount != order.marketplace_fee_amount:
        changed["marketplace_fee_amount"] = int(external.marketplace_fee_amount)
    details = sorted(set(changed) - {"marketplace_status", "marketplace_updated_at"})
    for field, value in changed.items():
        setattr(order, field, value)
    order.save(update_fields=[*changed, "updated_at"])
    if details:
        record_event(order, EVENT_UPDATED, source=source, data={"fields": details})
    if target is not _UNKNOWN and target is not None and target == order.status:
        return
    _apply_status(order, external, target, source)
