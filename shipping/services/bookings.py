"""Booking a parcel with an aggregator: the network call happens with no lock held and no
transaction open; only its answer is written (under the shipment's lock). A provider that answers
500, garbage or nothing leaves the shipment as it was, with a message saying what happened."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotFound
from shipping.models import CourierService, Shipment, ShipmentProvider, ShipmentStatus, ShippingAccount
from shipping.providers import BookingItem, BookingRequest, Contact, ProviderError, provider_for
from shipping.services.rates import Parcel
from shipping.services.shipments import (
    courier_for_name,
    courier_key,
    lock_shipment,
    plan_transition,
    record_event,
    resi_owner,
    resi_taken_error,
    write_transitions,
)


class ProviderUnavailable(DomainError):
    code = "provider_error"
    http_status = 502


def _request(shipment: Shipment, account: ShippingAccount, service: CourierService, *, area_id: str = "",
             kecamatan_id: str = "") -> BookingRequest:
    from shipping.selectors import shipping_settings

    cfg = shipping_settings()
    order = shipment.order
    if not order.shipping_address.strip():
        raise DomainError(_("Order %(number)s has no shipping address.") % {"number": order.number})
    if not (cfg.sender_phone.strip() and cfg.origin_address.strip()):
        raise DomainError(_("Fill in the sender's phone and address in the shipping settings first."))
    items = [
        BookingItem(name=line.order_line.name[:100], quantity=line.quantity,
                    value_amount=line.order_line.unit_price_amount,
                    weight_grams=line.order_line.variant.product.weight_grams if line.order_line.variant_id else 0)
        for line in shipment.lines.select_related("order_line__variant__product")
    ]
    weight = shipment.weight_grams or sum(i.weight_grams * i.quantity for i in items) or 1000
    return BookingRequest(
        reference=shipment.number[-20:],
        origin=Contact(name=cfg.sender_name, phone=cfg.sender_phone, address=cfg.origin_address,
                       city=cfg.origin_city, province=cfg.origin_province, postal_code=cfg.origin_postal_code,
                       area_id=account.origin_area_id, kecamatan_id=account.origin_kecamatan_id,
                       kelurahan_id=account.origin_kelurahan_id),
        destination=Contact(name=order.shipping_name, phone=order.shipping_phone, address=order.shipping_address,
                            city=order.shipping_city, province=order.shipping_province,
                            postal_code=order.shipping_postal_code, area_id=area_id, kecamatan_id=kecamatan_id),
        courier_code=service.courier.code, service_code=service.code,
        parcel=Parcel(weight_grams=weight, length_cm=shipment.length_cm, width_cm=shipment.width_cm,
                      height_cm=shipment.height_cm, value_amount=order.subtotal_amount),
        items=items, cod_amount=shipment.cod_amount, shipping_cost_amount=shipment.quoted_cost_amount,
        note=order.notes[:200],
    )


def shipment_book(*, shipment_id: int, account_id: int, service_id: int, quoted_amount: int = 0,
                  destination_area_id: str = "", destination_kecamatan_id: str = "", actor=None) -> Shipment:
    """Book the parcel with an aggregator account and service: created -> booked, with its
    provider order id, resi (when the provider gives one at once) and price. Biteship may take the
    destination's area id, KiriminAja needs its kecamatan id (the order's address has neither)."""
    shipment = Shipment.objects.select_related("order", "order__channel").filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(_("Shipment %(id)s does not exist.") % {"id": shipment_id})
    account = ShippingAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        raise NotFound(_("That shipping account does not exist or is switched off."))
    service = CourierService.objects.select_related("courier").filter(pk=service_id, is_active=True).first()
    if service is None:
        raise NotFound(_("That courier service does not exist or is switched off."))
    if shipment.status != ShipmentStatus.CREATED or shipment.provider_order_id:
        raise Conflict(_("Shipment %(number)s is already booked.") % {"number": shipment.number})
    if shipment.order.status == "cancelled":
        raise Conflict(_("Order %(number)s is cancelled.") % {"number": shipment.order.number})
    if quoted_amount:
        shipment.quoted_cost_amount = quoted_amount
    request = _request(shipment, account, service, area_id=destination_area_id.strip(),
                       kecamatan_id=destination_kecamatan_id.strip())
    try:
        booking = provider_for(account).book(request)
    except ProviderError as exc:
        raise ProviderUnavailable(_("%(provider)s could not book the parcel: %(reason)s")
                                  % {"provider": account.name, "reason": exc.message}) from None
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        if shipment.status != ShipmentStatus.CREATED or shipment.provider_order_id:
            raise Conflict(_("Shipment %(number)s was booked meanwhile.") % {"number": shipment.number})
        courier = courier_for_name(booking.courier_code) or service.courier
        key = courier_key(courier)
        if booking.tracking_number:
            owner = resi_owner(courier_key_value=key, tracking_number=booking.tracking_number,
                               exclude_shipment_id=shipment.pk)
            if owner is not None:
                raise resi_taken_error(owner, booking.tracking_number)
        fields = {
            "provider": ShipmentProvider(account.provider), "account": account, "courier": courier, "service": service,
            "courier_name": courier.name, "courier_key": key, "provider_order_id": booking.provider_order_id,
            "tracking_number": booking.tracking_number or shipment.tracking_number,
            "sort_code": booking.sort_code or shipment.sort_code,
            "cost_amount": booking.price_amount or quoted_amount or shipment.quoted_cost_amount,
            "quoted_cost_amount": quoted_amount or shipment.quoted_cost_amount or booking.price_amount,
            "etd_min_days": service.etd_min_days, "etd_max_days": service.etd_max_days,
        }
        plan = plan_transition(shipment, ShipmentStatus.BOOKED, at=timezone.now(), source=account.provider,
                               actor=actor, fields=fields, data={"provider_order_id": booking.provider_order_id})
        write_transitions([plan])
        if booking.tracking_number:
            record_event(shipment, "resi_assigned", actor=actor, source=account.provider,
                         data={"courier": courier.name, "resi": booking.tracking_number})
            from shipping import hooks
            from shipping.services.shipments import notice_for

            hooks.notify_after_commit([notice_for(shipment, hooks.RESI_ASSIGNED)])
        return shipment


def shipment_cancel_booking(*, shipment_id: int, reason: str) -> bool:
    """Tell the aggregator a cancelled parcel will not come (no lock held during the call)."""
    shipment = Shipment.objects.select_related("account").filter(pk=shipment_id).first()
    if shipment is None or shipment.account is None or not shipment.provider_order_id:
        return False
    provider_for(shipment.account).cancel(provider_order_id=shipment.provider_order_id, reason=reason)
    with transaction.atomic():
        record_event(lock_shipment(shipment_id), "booking_cancelled", source=shipment.account.provider, note=reason)
    return True
