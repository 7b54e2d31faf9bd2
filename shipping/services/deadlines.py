"""Ship-by deadlines and the on-time figures, on the app's one business calendar (core.deadlines).

- The seller's cut-off rule: paid (or confirmed, for COD) before the cut-off on a working day ships
  that day; later, or on a weekend, holiday, cuti bersama or shop closure, the next working day;
  a channel's policy may add working days (Shopee: 2). The deadline is the close of that day.
- Late Dispatch Rate, as TikTok Shop defines it: of the orders whose dispatch deadline fell in the
  last 7 working days (weekends and public holidays excluded), the share not shipped by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q
from django.utils import timezone

from core.deadlines import business_calendar
from shipping.models import ChannelShippingPolicy, Shipment, ShipmentDirection, ShipmentStatus, ShippingSettings

LDR_WINDOW_WORKING_DAYS = 7


def cutoff_ship_by(counted_from: datetime, *, cfg: ShippingSettings, extra_days: int = 0) -> datetime:
    """The close of the working day an order paid at `counted_from` must leave by."""
    calendar = business_calendar()
    deadline = calendar.cutoff_deadline(counted_from, cfg.cutoff_time)
    if extra_days:
        deadline = calendar.end_of_day(calendar.add_working_days(timezone.localdate(deadline), extra_days))
    return deadline


def hours_left(ship_by: datetime | None, *, now: datetime | None = None) -> timedelta | None:
    """Working time left until the deadline (negative when it passed), or None without one."""
    if ship_by is None:
        return None
    now = now or timezone.now()
    calendar = business_calendar()
    if now <= ship_by:
        return calendar.between(now, ship_by)
    return -(now - ship_by)


@dataclass(frozen=True)
class LateDispatch:
    channel_id: int
    channel_name: str
    due: int
    late: int
    threshold_percent: Decimal
    window_start: date
    window_end: date

    @property
    def rate_percent(self) -> Decimal:
        if not self.due:
            return Decimal("0.0")
        return (Decimal(self.late) * 100 / Decimal(self.due)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def over_threshold(self) -> bool:
        return self.due > 0 and self.rate_percent >= self.threshold_percent


def ldr_window(*, today: date | None = None) -> tuple[date, date]:
    """[start, end) of the last 7 working days, today included when it is one."""
    calendar = business_calendar()
    today = today or timezone.localdate()
    end = today + timedelta(days=1)
    start = calendar.add_working_days(end, -LDR_WINDOW_WORKING_DAYS)
    return start, end


def late_dispatch_rates(*, now: datetime | None = None) -> list[LateDispatch]:
    """Late Dispatch Rate per channel over the last 7 working days, beside each channel's threshold.

    Counted per order, through its first outbound parcel (a return parcel is not a dispatch): an
    order is due when its ship-by fell in the window and has passed; it is late when that parcel
    left after the deadline or has not left.
    Deadlines on closed days (weekends, holidays) do not occur: they are made on working days.
    """
    from channels.models import Channel

    now = now or timezone.now()
    calendar = business_calendar()
    start, end = ldr_window(today=timezone.localdate(now))
    tz = calendar.tz
    window_from = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    window_to = min(datetime.combine(end, datetime.min.time(), tzinfo=tz), now)
    first = (
        Shipment.objects.filter(ship_by__gte=window_from, ship_by__lt=window_to,
                                direction=ShipmentDirection.OUTBOUND)
        .exclude(status=ShipmentStatus.CANCELLED)
        .order_by("order_id", "id").distinct("order_id")
        .values("id")
    )
    rows = (
        Shipment.objects.filter(pk__in=first)
        .values("order__channel_id")
        .annotate(
            due=Count("id"),
            late=Count("id", filter=Q(dispatched_at__isnull=True) | Q(dispatched_at__gt=F("ship_by"))),
        )
    )
    figures = {row["order__channel_id"]: (row["due"], row["late"]) for row in rows}
    thresholds = dict(ChannelShippingPolicy.objects.values_list("channel_id", "late_dispatch_threshold_percent"))
    result = []
    for channel in Channel.objects.filter(is_active=True).order_by("name"):
        due, late = figures.get(channel.pk, (0, 0))
        result.append(LateDispatch(
            channel_id=channel.pk, channel_name=channel.name, due=due, late=late,
            threshold_percent=Decimal(thresholds.get(channel.pk, Decimal("4"))), window_start=start,
            window_end=end - timedelta(days=1),
        ))
    return result
