"""`{% load notifications_tags %}{% order_notifications order %}`: the messages sent about one order,
for the order detail page (one query; shown only to roles that may see the notification log)."""

from django import template

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/_order_notifications.html", takes_context=True)
def order_notifications(context, order):
    request = context.get("request")
    user = getattr(request, "user", None)
    allowed = bool(user and user.has_perm("notifications.view_notification"))
    return {
        "allowed": allowed,
        "notifications": list(selectors.notifications_for_order(order_id=order.pk)) if allowed else [],
        "can_retry": allowed and user.has_perm("notifications.retry_notification"),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
