"""Reads for channels: lookups for webhook intake, lists with health for the dashboard and API."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels.models import Channel
from core.models import InboundDelivery
from core.ttl import TTLCache
from core.untrusted import parse_id

# Pushes arrive hundreds per second for a handful of shops, and the web store names its channel on
# every order: each web process keeps these lookups for a few seconds. Saving or deleting a channel
# clears them in that process (see ChannelsConfig.ready); other processes see a change within
# PUSH_LOOKUP_TTL.
PUSH_LOOKUP_TTL = 5.0
_push_lookup: TTLCache[Channel | None] = TTLCache(ttl=PUSH_LOOKUP_TTL)
_order_lookup: TTLCache[Channel | None] = TTLCache(ttl=PUSH_LOOKUP_TTL)


def channel_push_lookup_clear(**_kwargs) -> None:
    _push_lookup.clear()
    _order_lookup.clear()


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
    lookup = {"pk": channel_id} if channel_id else {"code__iexact": value}
    return _order_lookup.get_or_set(
        str(channel_id) if channel_id else value.upper(), lambda: Channel.objects.filter(**lookup).first()
    )


def channel_for_push(*, kind: str, shop_id: str) -> Channel | None:
    """The active channel a push belongs to, by platform and the shop id the push carries."""
    if not shop_id:
        return None
    return _push_lookup.get_or_set(
        (kind, shop_id),
        lambda: Channel.objects.filter(kind=kind, shop_id=shop_id, is_active=True).order_by().first(),
    )


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
