"""Hand-over: resi scanned into a manifest per courier pickup; each scan marks the parcel picked up.

A resi scanned twice, an unknown resi, another courier's parcel, a cancelled order or a parcel
without its label is refused with a message naming the problem; nothing is written then.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import insert_instance
from core.errors import Conflict, NotFound
from orders.models import Order, OrderStatus
from shipping.models import Courier, Manifest, ManifestItem, Shipment, ShipmentDirection, ShipmentStatus
from shipping.services.shipments import (
    _user,
    courier_key,
    plan_transition,
    write_transitions,
)

S = ShipmentStatus
MAX_SCAN_LENGTH = 100


def _manifest_number() -> str:
    today = timezone.localdate()
    prefix = f"M{today:%y%m%d}-"
    return f"{prefix}{Manifest.objects.filter(number__startswith=prefix).count() + 1:03d}"


def manifest_open(*, courier_id: int | None, actor=None) -> Manifest:
    """A new pickup manifest; one open manifest per courier is reused rather than doubled."""
    courier = None
    if courier_id:
        courier = Courier.objects.filter(pk=courier_id).first()
        if courier is None:
            raise NotFound(_("Courier %(id)s does not exist.") % {"id": courier_id})
    with transaction.atomic():
        existing = Manifest.objects.select_for_update().filter(
            status=Manifest.Status.OPEN, courier=courier).order_by("-id").first()
        if existing is not None:
            return existing
        return Manifest.objects.create(number=_manifest_number(), courier=courier,
                                       courier_key=courier_key(courier), created_by=_user(actor))


@dataclass
class HandoverScan:
    ok: bool
    message: str
    shipment: Shipment | None = None
    count: int = 0


def manifest_scan(*, manifest_id: int, code: str, actor=None) -> HandoverScan:
    """A resi scanned at the door: added to the manifest and the parcel marked picked up.

    The happy path is the hot one (8 desks at once at a pickup): the manifest read, the order
    locked straight from the resi, the parcel locked with its manifest line, the four writes (line,
    tracking event, shipment, its event) and the orders app's shipped step; the refusals re-read
    what their message needs.
    """
    text = (code or "").strip()
    if not text or len(text) > MAX_SCAN_LENGTH:
        return HandoverScan(ok=False, message=_("Nothing readable was scanned; scan the resi barcode again."))
    manifest = Manifest.objects.filter(pk=manifest_id).select_related("courier").first()
    if manifest is None:
        raise NotFound(_("Manifest %(id)s does not exist.") % {"id": manifest_id})
    if manifest.status != Manifest.Status.OPEN:
        return HandoverScan(ok=False, message=_("Manifest %(number)s is closed; open a new one for this pickup.")
                            % {"number": manifest.number})
    with transaction.atomic():
        locked = _lock_for_scan(manifest, text)
        result = _scan_into(manifest, *locked, text, actor) if locked is not None else None
    if result is None:
        return _not_found(manifest, text)
    if result.ok:  # read after commit, the locks released
        result.count = ManifestItem.objects.filter(manifest=manifest).count()
        result.message = _("%(resi)s: order %(order)s handed over (%(count)s in this pickup).") % {
            "resi": text, "order": result.shipment.order.number, "count": result.count}
    return result


def _parcels(manifest: Manifest, text: str):
    """The outbound or return parcels carrying this resi that this manifest may take (its courier's)."""
    parcels = Shipment.objects.filter(tracking_number=text)
    if manifest.courier_key:
        parcels = parcels.filter(courier_key=manifest.courier_key)
    return parcels


def _lock_for_scan(manifest: Manifest, text: str) -> tuple[Shipment, ManifestItem | None] | None:
    """The order, then the parcel (the module's lock order), in two statements and no read before:
    the order is locked by a subquery on the resi, the parcel read with its manifest line, if any,
    so a repeat scan needs no third read. None when the manifest's courier has no parcel with it."""
    first = _parcels(manifest, text).order_by(*Shipment._meta.ordering).values("order_id")[:1]
    order = Order.objects.select_for_update(of=("self",)).filter(pk=Subquery(first)).first()
    if order is None:
        return None
    shipment = (_parcels(manifest, text).filter(order_id=order.pk).select_for_update(of=("self",))
                .select_related("manifest_item__manifest").order_by(*Shipment._meta.ordering).first())
    if shipment is None:  # its resi changed between the two statements
        return None
    shipment.order = order  # the row just locked, not a lazy re-read
    try:
        previous = shipment.manifest_item
    except ManifestItem.DoesNotExist:
        previous = None
    return shipment, previous


def _not_found(manifest: Manifest, text: str) -> HandoverScan:
    other = Shipment.objects.filter(tracking_number=text).order_by(*Shipment._meta.ordering).first()
    if other is None:
        return HandoverScan(ok=False, message=_("Resi %(resi)s is unknown: print its label or enter the resi on the "
                                                "order first.") % {"resi": text})
    return HandoverScan(ok=False, shipment=other, message=_(
        "Resi %(resi)s is a %(other)s parcel; this pickup is for %(courier)s.")
        % {"resi": text, "other": other.courier_name or other.courier_key,
           "courier": manifest.courier.name if manifest.courier else manifest.courier_key})


def _scan_into(manifest: Manifest, shipment: Shipment, previous: ManifestItem | None, text: str,
               actor) -> HandoverScan:
    """Inside the transaction that holds the order's and the parcel's locks."""
    order = shipment.order
    if previous is not None:
        return HandoverScan(ok=False, shipment=shipment, message=_(
            "Resi %(resi)s was already scanned at %(time)s into %(manifest)s.")
            % {"resi": text, "time": timezone.localtime(previous.scanned_at).strftime("%H:%M"),
               "manifest": previous.manifest.number})
    if shipment.direction == ShipmentDirection.RETURN:
        return HandoverScan(ok=False, shipment=shipment, message=_(
            "Resi %(resi)s is a return parcel coming back from the customer of order %(order)s: receive it "
            "on the return, do not hand it to the courier.") % {"resi": text, "order": order.number})
    if order.status == OrderStatus.CANCELLED or shipment.status == S.CANCELLED:
        return HandoverScan(ok=False, shipment=shipment, message=_(
            "Order %(order)s is cancelled: keep this parcel (resi %(resi)s) out of the pickup.")
            % {"order": order.number, "resi": text})
    if order.status == OrderStatus.AWAITING_PAYMENT and not order.is_cod:
        return HandoverScan(ok=False, shipment=shipment, message=_(
            "Order %(order)s is not paid: keep this parcel out of the pickup.") % {"order": order.number})
    now = timezone.now()
    plan = plan_transition(shipment, S.PICKED_UP, at=now, source="staff", actor=actor, note=manifest.number,
                           data={"manifest": manifest.number}, fields={"last_tracking_at": now}, strict=False)
    if plan is None and shipment.status != S.PICKED_UP:
        return HandoverScan(ok=False, shipment=shipment, message=_(
            "Resi %(resi)s is already %(status)s; it is not waiting for pickup.")
            % {"resi": text, "status": S(shipment.status).label.lower()})
    # No savepoint: every manifest line is written here, under the shipment's row lock, and
    # the line was just read as absent; the one-to-one constraint stays the backstop.
    try:
        insert_instance(ManifestItem(manifest=manifest, shipment=shipment, scanned_by=_user(actor)))
    except IntegrityError:
        transaction.set_rollback(True)
        return HandoverScan(ok=False, shipment=shipment,
                            message=_("Resi %(resi)s was already scanned.") % {"resi": text})
    _record_handover(shipment, manifest, now)
    # The order row locked above goes to the orders app's writer as it is (no second lock).
    write_transitions([plan] if plan else [], locked_orders={order.pk: order})
    return HandoverScan(ok=True, shipment=shipment, message="")  # message and count: after commit


def _record_handover(shipment: Shipment, manifest: Manifest, now) -> None:
    """The hand-over on the parcel's tracking timeline (what the customer sees first)."""
    from shipping.models import TrackingEvent
    from shipping.providers.base import TrackingEntry
    from shipping.services.tracking import tracking_key

    entry = TrackingEntry(status_word=S.PICKED_UP, occurred_at=now,
                          description=_("Handed to the courier (%(manifest)s)") % {"manifest": manifest.number})
    insert_instance(TrackingEvent(shipment=shipment, source="staff", status_word=entry.status_word,
                                  status=S.PICKED_UP, description=entry.description, occurred_at=entry.occurred_at,
                                  key=tracking_key("staff", entry), applied=True))


def manifest_close(*, manifest_id: int, driver_name: str = "", actor=None) -> Manifest:
    with transaction.atomic():
        manifest = Manifest.objects.select_for_update().filter(pk=manifest_id).first()
        if manifest is None:
            raise NotFound(_("Manifest %(id)s does not exist.") % {"id": manifest_id})
        if manifest.status == Manifest.Status.CLOSED:
            return manifest
        if not manifest.items.exists():
            raise Conflict(_("Manifest %(number)s is empty; scan at least one resi.") % {"number": manifest.number})
        manifest.status, manifest.closed_at = Manifest.Status.CLOSED, timezone.now()
        manifest.driver_name = (driver_name or "").strip()[:120]
        manifest.save(update_fields=["status", "closed_at", "driver_name"])
        return manifest


def manifest_summary(manifest: Manifest) -> dict:
    return manifest.items.aggregate(count=Count("id"))
