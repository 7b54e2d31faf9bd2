"""Reads for channels: lookups for webhook intake, lists with health for the dashboard and API."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels.models import Channel
from core.models import InboundDelivery
from core.untrusted import parse_id

# Pushes arrive hundreds per second for a handful of shops: each web process keeps the lookup for
# a few seconds. Saving or deleting a channel clears it in that process (see ChannelsConfig.ready);
# other processes see a change within PUSH_LOOKUP_TTL.
PUSH_LOOKUP_TTL = 5.0
_push_lookup: dict[tuple[str, str], tuple[float, Channel | None]] = {}
_push_lookup_lock = threading.Lock()


def channel_push_lookup_clear(**_kwargs) -> None:
    with _push_lookup_lock:
        _push_lookup.clear()
        _order_lookup.clear()


# The web store names its channel on every order: the same short-lived per-process lookup.
_order_lookup: dict[str, tuple[float, Channel | None]] = {}


def channel_for_order(*, code_or_id: str) -> Channel | None:
    """The channel an API order names by code (any case) or id, active or not; None if unknown.

    Kept per process for PUSH_LOOKUP_TTL seconds (cleared in this process when a channel is saved),
    so a channel switched off elsewhere may still take orders for a few seconds. The row is shared:
    callers read it and never change it.
    """
    value = (code_or_id or "").strip()
    if not value:
        return None
    channel_id = parse_id(value)
    key = str(channel_id) if channel_id else value.upper()
    now = time.monotonic()
    cached = _order_lookup.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    lookup = {"pk": channel_id} if channel_id else {"code__iexact": value}
    channel = Channel.objects.filter(**lookup).first()
    with _push_lookup_lock:
        if len(_order_lookup) > 10_000:
            _order_lookup.clear()
        _order_lookup[key] = (now + PUSH_LOOKUP_TTL, channel)
    return channel


def channel_for_push(*, kind: str, shop_id: str) -> Channel | None:
    """The active channel a push belongs to, by platform and the shop id the push carries."""
    if not shop_id:
        return None
    key = (kind, shop_id)
    now = time.monotonic()
    cached = _push_lookup.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    channel = Channel.objects.filter(kind=kind, shop_id=shop_id, is_active=True).order_by().first()
    with _push_lookup_lock:
        if len(_push_lookup) > 10_000:  # unknown shop ids must not grow it without bound
            _push_lookup.clear()
        _push_lookup[key] = (now + PUSH_LOOKUP_TTL, channel)
    return channel


def channel_list() -> QuerySet[Channel]:
    """Channels with their webhook health over the last day (total and failed deliveries).

    Subqueries bounded by received_at, so a large inbox does not slow the list down.
    """
    since = timezone.now() - timedelta(days=1)
    recent = InboundDelivery.objects.filter(channel_id=OuterRef("pk"), received_at__gte=since)

    def count(qs) -> Subquery:
        return Coalesce(
            Subquery(qs.order_by().values("channel_id").annotate(n=Count("pk")).values("n")[:1],
                     output_field=IntegerField()),
            0,
        )

    return Channel.objects.annotate(
        deliveries_day=count(recent),
        deliveries_failed_day=count(recent.filter(status=InboundDelivery.Status.FAILED)),
        last_delivery_at=Subquery(
            InboundDelivery.objects.filter(channel_id=OuterRef("pk")).order_by("-received_at").values("received_at")[:1]
        ),
    ).order_by("name")


def channel_syncable_ids() -> list[int]:
    """Active marketplace channels that have an adapter, for the periodic pull sync."""
    from channels.adapters import ADAPTERS

    return list(
        Channel.objects.filter(is_active=True, kind__in=list(ADAPTERS)).exclude(credentials_token="")
        .order_by("pk").values_list("pk", flat=True)
    )


def channel_failing_count() -> int:
    """Active channels whose last sync failed or whose deliveries failed in the last day."""
    since = timezone.now() - timedelta(days=1)
    return (
        Channel.objects.filter(is_active=True)
        .filter(
            Q(sync_failures__gt=0)
            | Q(deliveries__status=InboundDelivery.Status.FAILED, deliveries__received_at__gte=since)
        )
        .distinct()
        .count()
    )


def delivery_list(*, channel_id: int | None = None, status: str = "") -> QuerySet[InboundDelivery]:
    qs = InboundDelivery.objects.select_related("channel").defer("body", "headers")
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "-id")
