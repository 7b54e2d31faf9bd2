"""The loyalty block of the customer's order status page (orders.track_views registry)."""

from __future__ import annotations

from customers.services import loyalty
from orders.track_views import TrackSection


def points_section(request, order) -> TrackSection | None:
    settings_row = loyalty.loyalty_settings_get()
    if order.customer_id is None or not settings_row.is_enabled or not loyalty.channel_earns(order.channel,
                                                                                                 settings_row):
        return None
    balance = loyalty.points_balance(customer_id=order.customer_id)
    tier = loyalty.tier_for(customer_id=order.customer_id)
    return TrackSection(template="customers/track/_points.html", position=110, context={
        "points": balance, "points_value": balance * settings_row.point_value_amount, "tier": tier,
    })
