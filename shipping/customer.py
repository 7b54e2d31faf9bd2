"""The customer's side: the shipping block on the order-status page (orders.track_views section)."""

from __future__ import annotations

from django.utils import timezone

from orders.track_views import TrackSection
from shipping.models import ShipmentDirection, ShipmentStatus
from shipping.selectors import order_shipments, tracking_url

S = ShipmentStatus


def _eta(shipment) -> tuple | None:
    """The delivery window promised by the quote, counted from the day the parcel left."""
    if (shipment.dispatched_at is None or shipment.etd_max_days is None or shipment.status == S.DELIVERED
            or shipment.direction == ShipmentDirection.RETURN):
        return None
    start = timezone.localdate(shipment.dispatched_at)
    from datetime import timedelta

    return start + timedelta(days=shipment.etd_min_days or 0), start + timedelta(days=shipment.etd_max_days)


def track_section(request, order) -> TrackSection | None:
    """Courier, resi with a copy button, the tracking timeline (newest first) and the ETA per parcel."""
    shipments = [s for s in order_shipments(order_id=order.pk) if s.status != S.CANCELLED]
    if not shipments:
        return None
    parcels = []
    for shipment in shipments:
        events = list(shipment.tracking_events.all())
        parcels.append({
            "shipment": shipment,
            "status_label": S(shipment.status).label,
            "tracking_url": tracking_url(shipment),
            "events": events,
            "eta": _eta(shipment),
        })
    return TrackSection(template="shipping/track/_shipments.html", context={"parcels": parcels}, position=80)
