"""Shipping's notices, registered in NotificationsConfig.ready() (shipping.hooks; shipping does not
import notifications).

Customers hear when their parcel gets its resi (before it ships; a resi that comes with the shipping
is in the "shipped" message) and when it is out for delivery (delivery itself is the order's own
"delivered" message), under the same consent and channel rules as every order message
(notification_queue_for_order: marketplace buyers are not messaged off-platform unless
NOTIFY_MARKETPLACE_ORDERS, opted-out channels are skipped, once per order and event). Only parcels
going to the customer count: a return parcel's resi and tracking are after-sales' business (the
return's case messages: approved, received, outcome). Staff alerts
(late or at-risk parcels, delivery exceptions) go to the addresses in the shipping settings: an
e-mail address by e-mail, a phone number by WhatsApp.
"""

from __future__ import annotations

import logging

from django.db import transaction

from notifications.models import NotificationChannel, NotificationEvent

logger = logging.getLogger(__name__)

CUSTOMER_EVENTS = {
    "resi_assigned": NotificationEvent.ORDER_RESI_ASSIGNED,
    "out_for_delivery": NotificationEvent.ORDER_OUT_FOR_DELIVERY,
}


def on_shipment_notice(notice) -> None:
    event = CUSTOMER_EVENTS.get(notice.kind)
    if event is None or getattr(notice, "direction", "outbound") != "outbound":
        return  # a return parcel's resi or tracking is not "your order is on its way" (after-sales tells them)
    from notifications.services import notification_queue_for_order
    from orders.models import Order

    if event == NotificationEvent.ORDER_RESI_ASSIGNED and Order.objects.filter(
        pk=notice.order_id, status__in=["shipped", "delivered", "completed", "cancelled"]
    ).exists():
        return  # the resi came with the shipping itself: the "shipped" message carries it

    with transaction.atomic():
        notification_queue_for_order(order_id=notice.order_id, event=event)


def on_staff_alert(alert) -> None:
    from core.phones import normalize_phone
    from notifications.services import notification_queue

    for recipient in alert.recipients:
        if "@" in recipient:
            channel, to = NotificationChannel.EMAIL, recipient
        else:
            try:
                channel, to = NotificationChannel.WHATSAPP, normalize_phone(recipient)
            except ValueError:
                logger.warning("shipping alert: %r is neither an e-mail address nor a phone number", recipient)
                continue
        with transaction.atomic():
            notification_queue(event=NotificationEvent.STAFF_ALERT, channel=channel, recipient=to,
                               subject=alert.title, body=f"{alert.title}\n\n{alert.body}")


PROVIDES = {"courier", "tracking_number", "courier_tracking_link"}


def shipping_context(order, language: str) -> dict:
    """The newest outbound parcel's courier and resi (the order's own fields fill in only once it
    shipped); a return parcel coming back to the shop is never named as the order's delivery."""
    from shipping.models import Shipment, ShipmentDirection
    from shipping.selectors import tracking_url

    shipment = (Shipment.objects.filter(order_id=order.pk, direction=ShipmentDirection.OUTBOUND)
                .exclude(status="cancelled").exclude(tracking_number="")
                .select_related("courier").order_by("-id").first())
    if shipment is None:
        return {}
    return {"courier": shipment.courier_name, "tracking_number": shipment.tracking_number,
            "courier_tracking_link": tracking_url(shipment)}
