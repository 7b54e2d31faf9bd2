"""The orders app's status changes, as shipping sees them (hooks registered in ShippingConfig.ready).

Inside the order's transaction, only what an invariant needs:
- a cancelled order's parcels that have not left are cancelled with it;
- a resi typed by staff or sent through the API when marking an order shipped is unique per
  courier: a resi another order holds is refused (Conflict), so the order is not marked shipped.
After commit, the rebuildable part: marketplace orders' resi and logistics status are mirrored into
shipments (a task, batched, with a sweep that catches any the hooks missed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from orders.models import Order, OrderStatus
from shipping.models import Shipment, ShipmentDirection, ShipmentProvider, ShipmentStatus
from shipping.services.shipments import (
    SOURCE,
    courier_for_name,
    courier_key,
    resi_owner,
    resi_taken_error,
    shipment_create,
    shipment_set_resi,
    shipments_cancel_for_order,
)

logger = logging.getLogger(__name__)
OS = OrderStatus
S = ShipmentStatus

MIRRORED_ORDER_STATUSES = {OS.PACKED, OS.SHIPPED, OS.DELIVERED, OS.COMPLETED}
TYPED_SOURCES = {"staff", "api"}


def on_orders_status_changed(changes) -> None:
    """orders status-changed hook, batch only (inside the transaction); per change, in order, it
    uses only order_id / from / to / source."""
    later: list[int] = []
    for change in changes:
        if change.source == SOURCE:
            continue
        if change.to_status == OS.CANCELLED:
            shipments_cancel_for_order(order_id=change.order_id, reason="order cancelled")
        elif change.to_status == OS.SHIPPED and change.source in TYPED_SOURCES:
            _mirror_typed_resi(change.order_id)
        elif change.to_status in MIRRORED_ORDER_STATUSES:
            later.append(change.order_id)
    if later:
        ids = sorted(set(later))
        transaction.on_commit(lambda: _queue_mirror(ids), robust=True)


def _queue_mirror(order_ids: list[int]) -> None:
    from shipping.tasks import shipments_mirror_task

    shipments_mirror_task.delay(order_ids)


def _mirror_typed_resi(order_id: int) -> None:
    """The resi staff typed with "mark shipped": refused when another order holds it, else it
    becomes (or joins) the order's parcel, which has left with the order."""
    order = Order.objects.only("id", "number", "courier", "tracking_number").get(pk=order_id)
    number = order.tracking_number.strip()
    if not number:
        return
    courier = courier_for_name(order.courier)
    key = courier_key(courier, order.courier)
    owner = resi_owner(courier_key_value=key, tracking_number=number)
    if owner is not None and owner.order_id != order.pk:
        raise resi_taken_error(owner, number)
    _mirror_one(order, courier=courier, source="staff")


def _mirror_one(order: Order, *, courier=None, source: str = "marketplace") -> Shipment | None:
    """Make sure the order's resi and marketplace status are on one of its shipments."""
    from shipping.providers.base import TrackingEntry
    from shipping.services.tracking import tracking_record
    from shipping.status_map import CHANNEL_SOURCES

    number = (order.tracking_number or "").strip()
    shipments = list(Shipment.objects.filter(order=order, direction=ShipmentDirection.OUTBOUND)
                     .exclude(status=S.CANCELLED).order_by("id"))
    target = next((s for s in shipments if number and s.tracking_number == number), None)
    if target is None and number:
        courier = courier or courier_for_name(order.courier)
        key = courier_key(courier, order.courier)
        owner = resi_owner(courier_key_value=key, tracking_number=number)
        if owner is not None:
            logger.warning("order %s: resi %s is already used by order %s", order.number, number, owner.order_id)
            return None
        bare = next((s for s in shipments if not s.tracking_number), None)
        if bare is not None:
            target = shipment_set_resi(shipment_id=bare.pk, tracking_number=number, courier_name=order.courier,
                                       source=source)
        else:
            target = shipment_create(order_id=order.pk, courier_name=order.courier, tracking_number=number,
                                     provider=ShipmentProvider.MARKETPLACE if source == "marketplace"
                                     else ShipmentProvider.MANUAL, source=source)
    if target is None:
        return None
    word = order.marketplace_status
    kind_source = CHANNEL_SOURCES.get(order.channel.kind)
    if kind_source and word:
        tracking_record(shipment_id=target.pk, source=kind_source, entries=[
            TrackingEntry(status_word=word, occurred_at=order.marketplace_updated_at or timezone.now(),
                          description=f"{order.channel.get_kind_display()}: {word}")])
    elif order.status in (OS.SHIPPED, OS.DELIVERED, OS.COMPLETED):
        # Staff marked the order shipped or delivered by hand: the parcel follows the order.
        entries = [TrackingEntry(status_word=S.PICKED_UP, occurred_at=order.shipped_at or timezone.now(),
                                 description="marked shipped on the order")]
        if order.status != OS.SHIPPED:
            entries.append(TrackingEntry(status_word=S.DELIVERED, occurred_at=order.delivered_at or timezone.now(),
                                         description="marked delivered on the order"))
        tracking_record(shipment_id=target.pk, source="staff", entries=entries)
    return target


def shipments_mirror_orders(*, order_ids: Iterable[int]) -> int:
    """Mirror marketplace orders' resi and status into shipments; each order on its own, so one bad
    order cannot stop the others. Returns how many orders have a shipment with their resi after."""
    done = 0
    for order in Order.objects.filter(pk__in=list(order_ids)).select_related("channel").order_by("pk"):
        try:
            with transaction.atomic():
                if _mirror_one(order) is not None:
                    done += 1
        except Exception:
            logger.exception("could not mirror the resi of order %s", order.number)
    return done


def orders_missing_shipment(*, limit: int = 500) -> list[int]:
    """Orders with a resi no shipment holds (a hook missed, a resi that came without a status change)."""
    from django.db.models import Exists, OuterRef

    holder = Shipment.objects.filter(order=OuterRef("pk"), tracking_number=OuterRef("tracking_number"))
    return list(
        Order.objects.exclude(tracking_number="").filter(status__in=MIRRORED_ORDER_STATUSES)
        .exclude(Exists(holder)).order_by("-updated_at").values_list("pk", flat=True)[:limit]
    )
