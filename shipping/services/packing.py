"""The warehouse's day: pick waves, the pack bench's scans, and the packed parcel's evidence.

A scan is refused with a reason a packer understands at a glance (wrong item, one too many, an
order that is cancelled or not paid); an order is packed only when every unit was scanned or a
supervisor ticked the line with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotFound
from orders.models import Order, OrderStatus
from shipping.models import (
    DISPATCHED_STATUSES,
    PackagePreset,
    PickWave,
    PickWaveOrder,
    Shipment,
    ShipmentDirection,
    ShipmentLine,
    ShipmentStatus,
)
from shipping.services.rates import Parcel, service_chargeable_weight
from shipping.services.shipments import (
    _lock_orders,
    _user,
    ensure_order_shippable,
    lock_shipment,
    orders_sync,
    record_event,
    shipment_create,
)

OS = OrderStatus
S = ShipmentStatus
MAX_WAVE_ORDERS = 200
MAX_SCAN_LENGTH = 100

EVENT_PACK_STARTED = "pack_started"
EVENT_PACKED = "packed"
EVENT_TICKED = "line_ticked"
EVENT_SCAN_REFUSED = "scan_refused"


# --- waves ---------------------------------------------------------------------------------------

def _wave_number() -> str:
    today = timezone.localdate()
    prefix = f"W{today:%y%m%d}-"
    count = PickWave.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def wave_create(*, order_ids: Sequence[int], actor=None) -> PickWave:
    """A pick wave of confirmed orders (paid ones are confirmed on the way); an order already in an
    open wave, cancelled or unpaid is refused by number, and nothing is created."""
    from orders.services import order_confirm

    ids = list(dict.fromkeys(int(i) for i in order_ids))
    if not ids:
        raise ValidationError({"orders": [_("Select at least one order.")]})
    if len(ids) > MAX_WAVE_ORDERS:
        raise ValidationError({"orders": [_("A wave has at most %(n)s orders.") % {"n": MAX_WAVE_ORDERS}]})
    with transaction.atomic():
        orders = _lock_orders(ids)
        missing = [str(i) for i in ids if i not in orders]
        if missing:
            raise NotFound(_("Orders %(ids)s do not exist.") % {"ids": ", ".join(missing)})
        busy = dict(PickWaveOrder.objects.filter(order_id__in=ids, wave__status=PickWave.Status.OPEN)
                    .values_list("order__number", "wave__number"))
        problems = [_("%(order)s is already in wave %(wave)s") % {"order": o, "wave": w} for o, w in busy.items()]
        for order in orders.values():
            if order.status not in (OS.PAID, OS.PROCESSING) and not (order.status == OS.AWAITING_PAYMENT
                                                                     and order.is_cod):
                problems.append(_("%(order)s is %(status)s") % {"order": order.number,
                                                               "status": order.get_status_display().lower()})
        if problems:
            raise DomainError(_("These orders cannot be picked: %(list)s.") % {"list": "; ".join(problems)},
                              detail={"orders": problems})
        for order in orders.values():
            if order.status != OS.PROCESSING:
                order_confirm(order_id=order.pk, actor=actor, source="shipping")
        wave = PickWave.objects.create(number=_wave_number(), created_by=_user(actor))
        PickWaveOrder.objects.bulk_create(
            [PickWaveOrder(wave=wave, order_id=order_id, position=n) for n, order_id in enumerate(ids)])
        return wave


def wave_finish(*, wave_id: int, actor=None) -> PickWave:
    with transaction.atomic():
        wave = PickWave.objects.select_for_update().filter(pk=wave_id).first()
        if wave is None:
            raise NotFound(_("Wave %(id)s does not exist.") % {"id": wave_id})
        if wave.status == PickWave.Status.DONE:
            return wave
        if wave.status != PickWave.Status.OPEN:
            raise Conflict(_("Wave %(number)s is cancelled.") % {"number": wave.number})
        wave.status, wave.finished_at = PickWave.Status.DONE, timezone.now()
        wave.save(update_fields=["status", "finished_at"])
        return wave


def wave_orders(wave: PickWave) -> list[Order]:
    """The wave's orders in wave order, with lines, variants and channel loaded (pick list, labels)."""
    from django.db.models import Prefetch

    from orders.models import OrderLine

    ids = list(wave.entries.order_by("position", "id").values_list("order_id", flat=True))
    orders = {
        o.pk: o for o in Order.objects.filter(pk__in=ids).select_related("channel", "customer").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("variant__product").order_by("id")))
    }
    return [orders[i] for i in ids if i in orders]


# --- the pack bench -------------------------------------------------------------------------------

@dataclass
class ScanResult:
    ok: bool
    message: str
    shipment: Shipment | None = None
    line_id: int | None = None
    complete: bool = False


def _find_order(code: str) -> tuple[Order, Shipment | None]:
    text = (code or "").strip()
    if not text or len(text) > MAX_SCAN_LENGTH:
        raise NotFound(_("Scan an order number, a shipment number or a resi."))
    shipment = Shipment.objects.select_related("order").filter(
        Q(number__iexact=text) | Q(tracking_number=text)).exclude(status=S.CANCELLED).first()
    if shipment is not None:
        return shipment.order, shipment
    order = Order.objects.filter(Q(number__iexact=text) | Q(external_id=text)).first()
    if order is None:
        raise NotFound(_("%(code)s is not an order, shipment or resi we know.") % {"code": text})
    return order, None


def pack_start(*, code: str, actor=None) -> Shipment:
    """The parcel to pack for a scanned order (or shipment, or resi): the order's first unpacked
    parcel, made with every unit when it has none. Refused for cancelled, unpaid or packed orders."""
    order, shipment = _find_order(code)
    if shipment is not None and shipment.direction == ShipmentDirection.RETURN:
        raise Conflict(_("%(number)s is a return parcel coming back from the customer: it is received on its "
                         "return, not packed.") % {"number": shipment.number})
    ensure_order_shippable(order)
    if shipment is None:
        shipment = (
            Shipment.objects.filter(order=order, direction=ShipmentDirection.OUTBOUND, packed_at__isnull=True)
            .exclude(status=S.CANCELLED)
            .exclude(status__in=DISPATCHED_STATUSES).order_by("id").first()
        )
    if shipment is None:
        packed = Shipment.objects.filter(order=order, direction=ShipmentDirection.OUTBOUND,
                                         packed_at__isnull=False).exclude(status=S.CANCELLED).order_by("-packed_at").first()
        if packed is not None:
            raise Conflict(_("Order %(number)s is already packed (%(when)s).") % {
                "number": order.number, "when": timezone.localtime(packed.packed_at).strftime("%d-%m %H:%M")})
        shipment = shipment_create(order_id=order.pk, actor=actor)
    elif shipment.packed_at is not None:
        raise Conflict(_("Shipment %(number)s is already packed.") % {"number": shipment.number})
    if shipment.status in DISPATCHED_STATUSES:
        raise Conflict(_("Shipment %(number)s has already left the warehouse.") % {"number": shipment.number})
    return shipment


def _line_for_code(shipment: Shipment, code: str) -> ShipmentLine | None:
    text = (code or "").strip()
    lines = list(shipment.lines.select_related("order_line__variant"))
    for match in (
        lambda line: line.order_line.variant_id and line.order_line.variant.barcode and
        line.order_line.variant.barcode == text,
        lambda line: line.order_line.sku.lower() == text.lower(),
        lambda line: line.order_line.variant_id and line.order_line.variant.sku.lower() == text.lower(),
    ):
        found = [line for line in lines if match(line)]
        if found:
            return next((line for line in found if not line.is_complete), found[0])
    return None


def pack_scan_item(*, shipment_id: int, code: str, actor=None) -> ScanResult:
    """One item scanned at the pack bench: counted when it belongs to the parcel and is still
    missing; refused (nothing written but a refusal event) when it is another product or one too many."""
    text = (code or "").strip()
    if not text or len(text) > MAX_SCAN_LENGTH:
        return ScanResult(ok=False, message=_("Nothing readable was scanned; scan the item's barcode again."))
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.packed_at is not None or shipment.status in DISPATCHED_STATUSES or shipment.status == S.CANCELLED:
            return ScanResult(ok=False, shipment=shipment,
                              message=_("Shipment %(number)s is not open for packing.") % {"number": shipment.number})
        line = _line_for_code(shipment, text)
        if line is None:
            record_event(shipment, EVENT_SCAN_REFUSED, actor=actor, data={"code": text, "why": "not_in_parcel"})
            return ScanResult(ok=False, shipment=shipment,
                              message=_("Wrong item: %(code)s is not in order %(order)s.")
                              % {"code": text, "order": shipment.order.number})
        if line.is_complete:
            record_event(shipment, EVENT_SCAN_REFUSED, actor=actor, data={"code": text, "why": "extra"})
            return ScanResult(ok=False, shipment=shipment, line_id=line.pk,
                              message=_("One too many: all %(n)s × %(sku)s are already scanned.")
                              % {"n": line.quantity, "sku": line.order_line.sku})
        ShipmentLine.objects.filter(pk=line.pk, scanned_quantity__lt=F("quantity")).update(
            scanned_quantity=F("scanned_quantity") + 1)
        line.scanned_quantity += 1
        remaining = ShipmentLine.objects.filter(shipment=shipment, scanned_quantity__lt=F("quantity")).count()
        return ScanResult(ok=True, shipment=shipment, line_id=line.pk, complete=remaining == 0,
                          message=_("%(sku)s %(done)s/%(total)s") % {"sku": line.order_line.sku,
                                                                     "done": line.scanned_quantity,
                                                                     "total": line.quantity})


def pack_tick_line(*, shipment_line_id: int, actor, reason: str) -> ShipmentLine:
    """A supervisor counts a line as packed without scans (no barcode on the item, a damaged label)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the line is ticked without scanning.")]})
    line = ShipmentLine.objects.filter(pk=shipment_line_id).values_list("shipment_id", flat=True).first()
    if line is None:
        raise NotFound(_("That line does not exist."))
    with transaction.atomic():
        shipment = lock_shipment(line)
        if shipment.packed_at is not None:
            raise Conflict(_("Shipment %(number)s is already packed.") % {"number": shipment.number})
        row = ShipmentLine.objects.select_related("order_line").get(pk=shipment_line_id)
        row.scanned_quantity, row.ticked_by, row.tick_reason = row.quantity, _user(actor), reason[:255]
        row.save(update_fields=["scanned_quantity", "ticked_by", "tick_reason"])
        record_event(shipment, EVENT_TICKED, actor=actor, note=reason,
                     data={"sku": row.order_line.sku, "quantity": row.quantity})
        return row


MAX_PHOTO_BYTES = 8 * 1024 * 1024


def pack_finish(
    *,
    shipment_id: int,
    actor=None,
    preset_id: int | None = None,
    weight_grams: int = 0,
    length_cm: int = 0,
    width_cm: int = 0,
    height_cm: int = 0,
    photo=None,
) -> Shipment:
    """Close the parcel: every line scanned or ticked, the package and its packing cost, weight and
    size (the evidence for weight disputes), an optional photo. The order is packed when all its
    parcels are."""
    if weight_grams is None or weight_grams <= 0:
        raise ValidationError({"weight_grams": [_("Weigh the parcel: enter its weight in grams.")]})
    if weight_grams > 1_000_000 or max(length_cm, width_cm, height_cm) > 1000 or min(length_cm, width_cm,
                                                                                      height_cm) < 0:
        raise ValidationError({"weight_grams": [_("That weight or size is not possible for a parcel.")]})
    if photo is not None:
        from catalog.services import photo_validate

        if getattr(photo, "size", 0) > MAX_PHOTO_BYTES:
            raise ValidationError({"photo": [_("The photo is larger than 8 MB.")]})
        photo_validate(photo)
    preset = None
    if preset_id:
        preset = PackagePreset.objects.filter(pk=preset_id, is_active=True).first()
        if preset is None:
            raise ValidationError({"preset": [_("That package does not exist.")]})
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.packed_at is not None:
            return shipment
        if shipment.status == S.CANCELLED or shipment.status in DISPATCHED_STATUSES:
            raise Conflict(_("Shipment %(number)s is not open for packing.") % {"number": shipment.number})
        missing = [f"{line.order_line.sku} ({line.scanned_quantity}/{line.quantity})"
                   for line in shipment.lines.select_related("order_line") if not line.is_complete]
        if missing:
            raise Conflict(_("Not every item is scanned yet: %(list)s.") % {"list": ", ".join(missing)},
                           detail={"missing": missing})
        if preset is not None:
            length_cm, width_cm, height_cm = (length_cm or preset.length_cm, width_cm or preset.width_cm,
                                              height_cm or preset.height_cm)
            shipment.package_preset = preset
            shipment.packing_cost_amount = preset.packing_cost_amount
        shipment.weight_grams, shipment.length_cm, shipment.width_cm, shipment.height_cm = (
            weight_grams, length_cm, width_cm, height_cm)
        if shipment.service_id:
            shipment.chargeable_weight_grams = service_chargeable_weight(
                shipment.service, Parcel(weight_grams=weight_grams, length_cm=length_cm, width_cm=width_cm,
                                         height_cm=height_cm))
        shipment.packed_at, shipment.packed_by = timezone.now(), _user(actor)
        fields = ["package_preset", "packing_cost_amount", "weight_grams", "length_cm", "width_cm", "height_cm",
                  "chargeable_weight_grams", "packed_at", "packed_by", "updated_at"]
        if photo is not None:
            shipment.photo.save(f"{shipment.number}.jpg", photo, save=False)
            fields.append("photo")
        shipment.save(update_fields=fields)
        record_event(shipment, EVENT_PACKED, actor=actor, data={
            "weight_grams": weight_grams, "size_cm": [length_cm, width_cm, height_cm],
            "preset": preset.name if preset else "", "photo": bool(photo)})
        orders_sync(order_ids=[shipment.order_id], actor=actor)
        return shipment
