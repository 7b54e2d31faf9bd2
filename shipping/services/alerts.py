"""Alerts to warehouse staff: late and at-risk parcels and exceptions, once per condition and day,
handed to the notification providers through shipping.hooks.register_staff_alert."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from shipping import hooks
from shipping.selectors import queue_queryset, shipping_settings

ALERT_QUEUES = {
    "late": (lambda n: _("%(n)s parcels are past their ship-by deadline") % {"n": n}),
    "at_risk": (lambda n: _("%(n)s parcels must leave within hours") % {"n": n}),
    "failed_delivery": (lambda n: _("%(n)s parcels failed delivery or are on hold") % {"n": n}),
    "stale_tracking": (lambda n: _("%(n)s parcels have had no tracking update for days") % {"n": n}),
}


def alerts_send(*, now=None) -> int:
    """Send one alert per queue that has parcels and whose count changed since the last alert today."""
    now = now or timezone.now()
    cfg = shipping_settings()
    recipients = tuple(r.strip() for r in cfg.alert_recipients.split(",") if r.strip())
    sent = 0
    for queue, title in ALERT_QUEUES.items():
        rows = list(queue_queryset(queue, now=now).select_related("order").order_by("ship_by", "id")[:20])
        count = queue_queryset(queue, now=now).count()
        marker = f"shipping:alert:{queue}:{timezone.localdate(now)}"
        if not count or cache.get(marker) == count:
            continue
        body = "\n".join(f"{s.order.number} {s.courier_name} {s.tracking_number}".strip() for s in rows)
        hooks.send_staff_alert(hooks.StaffAlert(key=f"{queue}:{timezone.localdate(now)}:{count}", title=title(count),
                                                body=body, count=count, recipients=recipients))
        cache.set(marker, count, timeout=36 * 3600)
        sent += 1
    return sent
