"""Shipping reads: settings, deadlines, the warehouse's queues, lists and the customer's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from orders.models import Order, OrderLine, OrderStatus
from shipping.models import (
    DISPATCHED_STATUSES,
    FINAL_STATUSES,
    ChannelShippingPolicy,
    PickWaveOrder,
    Shipment,
    ShipmentDirection,
    ShipmentStatus,
    ShippingSettings,
    TrackingEvent,
    WeightDispute,
)

S = ShipmentStatus
OS = OrderStatus


def shipping_settings() -> ShippingSettings:
    """The shop's shipping settings (created with the defaults on first use)."""
    settings_row, _created = ShippingSettings.objects.get_or_create(pk=1)
    return settings_row


def tracking_url(shipment: Shipment) -> str:
    courier = shipment.courier
    if courier is None or not courier.tracking_url or not shipment.tracking_number:
        return ""
    return courier.tracking_url.replace("{resi}", shipment.tracking_number)


def channel_policy(channel_id: int) -> ChannelShippingPolicy | None:
    return ChannelShippingPolicy.objects.filter(channel_id=channel_id).first()


def ship_by_for_order(order: Order, *, cfg: ShippingSettings | None = None,
                      policy: ChannelShippingPolicy | None = None) -> datetime | None:
    """The order's dispatch deadline: the marketplace's own ship-by date when it sent one (and the
    channel's policy uses it), else the shop's cut-off rule on the business calendar."""
    from shipping.services.deadlines import cutoff_ship_by

    policy = policy if policy is not None else channel_policy(order.channel_id)
    if order.ship_by and (policy is None or policy.use_marketplace_deadline):
        return order.ship_by
    counted_from = order.paid_at or (order.placed_at if order.is_cod or order.status != OS.AWAITING_PAYMENT else None)
    if counted_from is None:
        return None
    return cutoff_ship_by(counted_from, cfg=cfg or shipping_settings(),
                          extra_days=policy.dispatch_working_days if policy else 0)


# --- lists ---------------------------------------------------------------------------------------

def shipment_list(*, status: str = "", courier: str = "", search: str = "", order_id: int | None = None,
                  queue: str = "", direction: str = "") -> QuerySet[Shipment]:
    qs = Shipment.objects.select_related("order", "order__channel", "courier", "service")
    if direction:
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status=status)
    if courier:
        qs = qs.filter(Q(courier__code=courier) | Q(courier_key=courier))
    if order_id:
        qs = qs.filter(order_id=order_id)
    if search:
        text = search.strip()
        qs = qs.filter(Q(tracking_number__iexact=text) | Q(number__iexact=text) | Q(order__number__iexact=text)
                       | Q(order__external_id__iexact=text))
    if queue:
        qs = qs & queue_queryset(queue)
    return qs.order_by("ship_by", "-id") if queue in ("to_hand_over", "at_risk", "late") else qs


def shipment_detail(*, shipment_id: int) -> Shipment:
    return (
        Shipment.objects.select_related("order", "order__channel", "courier", "service", "package_preset")
        .prefetch_related("lines__order_line", "events__actor", "tracking_events", "disputes")
        .get(pk=shipment_id)
    )


def order_shipments(*, order_id: int) -> list[Shipment]:
    return list(
        Shipment.objects.filter(order_id=order_id).select_related("courier", "service")
        .prefetch_related(Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")))
        .order_by("id")
    )


# --- queues --------------------------------------------------------------------------------------

PICKABLE_ORDER_STATUSES = (OS.PAID, OS.PROCESSING)


def orders_to_pick() -> QuerySet[Order]:
    """Confirmed orders not yet in an open pick wave nor packed: the wave builder's list."""
    in_wave = PickWaveOrder.objects.filter(order=OuterRef("pk"), wave__status="open")
    return (
        Order.objects.filter(status=OS.PROCESSING).exclude(Exists(in_wave))
        .exclude(Exists(_outbound_packed()))
    )


def _outbound_packed() -> QuerySet[Shipment]:
    """The order's (OuterRef) outbound parcels already packed: a return parcel is never packed here."""
    return (Shipment.objects.filter(order=OuterRef("pk"), direction=ShipmentDirection.OUTBOUND,
                                    packed_at__isnull=False).exclude(status=S.CANCELLED))


def orders_to_pack() -> QuerySet[Order]:
    """Orders in an open wave that are not packed yet."""
    in_wave = PickWaveOrder.objects.filter(order=OuterRef("pk"), wave__status__in=["open", "done"])
    return Order.objects.filter(status=OS.PROCESSING).filter(Exists(in_wave)).exclude(Exists(_outbound_packed()))


def _end_of_today() -> datetime:
    now = timezone.localtime()
    return now.replace(hour=23, minute=59, second=59, microsecond=0)


def queue_queryset(queue: str, *, now: datetime | None = None) -> QuerySet[Shipment]:
    """The shipments of one work queue (see QUEUES).

    The dispatch queues (to hand over, at risk, late) and returns to sender are about parcels going
    to the customer: outbound only. The exception queues (no tracking, failed delivery, disputes)
    hold both directions; their lists mark return parcels."""
    now = now or timezone.now()
    cfg = shipping_settings()
    waiting = Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND).exclude(
        status__in=[*DISPATCHED_STATUSES, S.CANCELLED]).exclude(order__status=OS.CANCELLED)
    if queue == "to_hand_over":
        return waiting.filter(packed_at__isnull=False).filter(Q(ship_by__lte=_end_of_today()) | Q(ship_by__isnull=True))
    if queue == "at_risk":
        return waiting.filter(ship_by__gt=now, ship_by__lte=now + timedelta(hours=cfg.at_risk_hours))
    if queue == "late":
        return waiting.filter(ship_by__lte=now)
    if queue == "stale_tracking":
        return Shipment.objects.filter(status__in=[S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.ON_HOLD]).filter(
            Q(last_tracking_at__lt=now - timedelta(days=cfg.stale_tracking_days))
            | Q(last_tracking_at__isnull=True, dispatched_at__lt=now - timedelta(days=cfg.stale_tracking_days))
        )
    if queue == "failed_delivery":
        return Shipment.objects.filter(status__in=[S.FAILED_DELIVERY, S.ON_HOLD])
    if queue == "rts":
        return Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND).filter(
            Q(status=S.RETURNING_TO_SENDER) | Q(status=S.RETURNED, return_received_at__isnull=True))
    if queue == "disputes":
        return Shipment.objects.filter(disputes__status=WeightDispute.Status.OPEN).distinct()
    raise ValueError(f"unknown queue {queue!r}")


QUEUES = ("to_hand_over", "at_risk", "late", "stale_tracking", "failed_delivery", "rts", "disputes")


def queue_counts(*, now: datetime | None = None) -> dict[str, int]:
    counts = {key: queue_queryset(key, now=now).count() for key in QUEUES}
    counts["to_pick"] = orders_to_pick().count()
    counts["to_pack"] = orders_to_pack().count()
    return counts


def shipments_to_poll(*, account_id: int, older_than: datetime, limit: int) -> list[Shipment]:
    """Shipments of an aggregator account still on the road whose tracking is older than `older_than`."""
    return list(
        Shipment.objects.filter(account_id=account_id).exclude(status__in=FINAL_STATUSES)
        .exclude(status=S.CREATED).exclude(tracking_number="", provider_order_id="")
        .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=older_than))
        .select_related("courier").order_by("last_polled_at", "id")[:limit]
    )


def on_time_recent(*, limit: int = 100) -> QuerySet[Shipment]:
    """The latest outbound parcels with a ship-by deadline (a return parcel has none to meet)."""
    return (Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND).exclude(ship_by__isnull=True)
            .exclude(status=S.CANCELLED).select_related("order", "order__channel").order_by("-ship_by")[:limit])


def open_disputes() -> QuerySet[WeightDispute]:
    return WeightDispute.objects.filter(status=WeightDispute.Status.OPEN).select_related("shipment__order")


def order_lines_for_packing(order_id: int) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order_id=order_id).select_related("variant__product").order_by("id"))
