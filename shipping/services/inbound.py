"""Processing stored aggregator webhooks (core.inbox rows): Biteship and KiriminAja.

A delivery is claimed, parsed, applied through the tracking, resi and dispute services and
finished; a body that names no shipment we know is finished with the reason (staff see it in the
failed-work page and the raw body stays). Duplicate deliveries never reach here (the inbox stores
them as duplicates); a repeated event with a new delivery id is recorded once by the tracking key.
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.utils import timezone

from core import inbox
from core.errors import DomainError
from shipping.models import Shipment, ShipmentStatus
from shipping.providers.base import TrackingEntry
from shipping.providers.http import parse_time
from shipping.services.disputes import dispute_open_for_charge
from shipping.services.shipments import shipment_cancel, shipment_set_resi
from shipping.services.tracking import tracking_record

logger = logging.getLogger(__name__)

BITESHIP = "biteship"
KIRIMINAJA = "kiriminaja"
PROVIDERS = (BITESHIP, KIRIMINAJA)


class Unusable(Exception):
    """The delivery cannot be applied (no such shipment, a body without the fields it needs)."""


def _find_shipment(*, provider_order_id: str = "", resi: str = "", reference: str = "") -> Shipment:
    qs = Shipment.objects.all()
    shipment = None
    if provider_order_id:
        shipment = qs.filter(provider_order_id=provider_order_id).order_by("-id").first()
    if shipment is None and reference:
        shipment = qs.filter(number=reference).first()
    if shipment is None and resi:
        shipment = qs.filter(tracking_number=resi).order_by("-id").first()
    if shipment is None:
        raise Unusable(f"no shipment for order id {provider_order_id!r} / resi {resi!r} / reference {reference!r}")
    return shipment


def biteship_apply(payload: dict, *, received_at) -> str:
    """Apply one Biteship webhook body; returns what was done, in words."""
    event = str(payload.get("event") or "")
    if not event:
        return "installation test"
    shipment = _find_shipment(provider_order_id=str(payload.get("order_id") or ""),
                              resi=str(payload.get("courier_waybill_id") or ""))
    at = parse_time(payload.get("updated_at")) or received_at
    if event == "order.status":
        word = str(payload.get("status") or "")
        if not word:
            raise Unusable("order.status without a status")
        result = tracking_record(shipment_id=shipment.pk, source=BITESHIP, entries=[
            TrackingEntry(status_word=word, occurred_at=at,
                          description=str(payload.get("courier_driver_name") or "")[:200])])
        _maybe_resi(shipment, payload)
        return f"status {word}: {result.recorded} recorded, {result.moved} moved"
    if event == "order.waybill_id":
        _maybe_resi(shipment, payload, required=True)
        return "resi"
    if event == "order.price":
        price = payload.get("order_price", payload.get("price"))
        dispute = dispute_open_for_charge(shipment_id=shipment.pk, charged_amount=price,
                                          charged_weight_grams=payload.get("weight"), source=BITESHIP)
        return f"price {price}: dispute {dispute.pk}" if dispute else f"price {price}: no dispute"
    return f"ignored event {event}"


def _maybe_resi(shipment: Shipment, payload: dict, *, required: bool = False) -> None:
    resi = str(payload.get("courier_waybill_id") or "").strip()
    if not resi:
        if required:
            raise Unusable("order.waybill_id without courier_waybill_id")
        return
    if shipment.tracking_number == resi:
        return
    shipment_set_resi(shipment_id=shipment.pk, tracking_number=resi,
                      courier_name=str(payload.get("courier_company") or ""), source=BITESHIP)


_KA_STATUS = {
    "processed_packages": None,  # resi and sort code: booked
    "shipped_packages": ShipmentStatus.PICKED_UP,
    "finished_packages": ShipmentStatus.DELIVERED,
    "returned_packages": ShipmentStatus.RETURNED,
}


def kiriminaja_apply(payload: dict, *, received_at) -> str:
    method = str(payload.get("method") or "")
    items = payload.get("data")
    if not method or not isinstance(items, list):
        raise Unusable("a KiriminAja push has a method and a data list")
    done = []
    for item in items:
        if not isinstance(item, dict) or not item.get("order_id"):
            raise Unusable("a data item without order_id")
        shipment = _find_shipment(reference=str(item["order_id"]), provider_order_id=str(item["order_id"]),
                                  resi=str(item.get("awb") or ""))
        awb = str(item.get("awb") or "").strip()
        if awb and shipment.tracking_number != awb:
            shipment = shipment_set_resi(shipment_id=shipment.pk, tracking_number=awb,
                                         courier_name=shipment.courier_name, source=KIRIMINAJA,
                                         sort_code=str(item.get("sorting_code") or ""))
        if method == "canceled_packages":
            if shipment.status not in (ShipmentStatus.CANCELLED,):
                shipment_cancel(shipment_id=shipment.pk, source=KIRIMINAJA,
                                reason=str(item.get("reason") or "cancelled by KiriminAja"))
            done.append(f"{shipment.number} cancelled")
            continue
        at = parse_time(item.get("updated_at") or item.get("date")) or received_at
        tracking_record(shipment_id=shipment.pk, source=KIRIMINAJA, entries=[
            TrackingEntry(status_word=method, occurred_at=at, description=str(item.get("sorting_code") or ""))])
        done.append(f"{shipment.number} {method}")
    return "; ".join(done)


def delivery_process(*, delivery_id: int) -> str:
    """Claim and apply one stored delivery; safe to call twice (a finished one is not claimed)."""
    delivery = inbox.delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "not claimed"
    try:
        payload = json.loads(bytes(delivery.body))
        apply = biteship_apply if delivery.provider == BITESHIP else kiriminaja_apply
        with transaction.atomic():
            outcome = apply(payload, received_at=delivery.received_at or timezone.now())
    except (Unusable, DomainError, ValueError) as exc:
        inbox.delivery_finish(delivery_id=delivery_id, error=f"{type(exc).__name__}: {exc}")
        return f"failed: {exc}"
    except Exception as exc:
        inbox.delivery_release(delivery_id=delivery_id, error=f"{type(exc).__name__}: {exc}")
        raise
    inbox.delivery_finish(delivery_id=delivery_id)
    return outcome
