"""Customer segments: a saved filter (Segment.filters) turned into a queryset of customers.

Keys a filter may hold: tags (any of), min_spend / max_spend (lifetime, rupiah), min_orders,
inactive_days (no order for at least N days: win-back), active_days (an order within N days),
city, channel_kinds (bought on), list (a list registered by another app, e.g. the analytics app's
RFM or churn-risk customers: `register_segment_source("churn_risk", label, fn)` from its ready(),
where fn() returns a queryset or set of customer ids). Unknown keys are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.untrusted import parse_count
from orders.models import Customer, OrderStatus

SegmentSource = Callable[[], object]
_sources: dict[str, tuple[str, SegmentSource]] = {}
KEYS = {"tags", "min_spend", "max_spend", "min_orders", "inactive_days", "active_days", "city", "channel_kinds",
        "list"}


def register_segment_source(key: str, label: str, fn: SegmentSource) -> None:
    _sources[key] = (label, fn)


def segment_sources() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _fn) in sorted(_sources.items())]


def with_stats(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    live = ~Q(orders__status=OrderStatus.CANCELLED)
    return qs.annotate(
        lifetime_spend=Coalesce(Sum("orders__total_amount", filter=live), 0),
        order_count=Count("orders", filter=live),
        last_order_at=Max("orders__placed_at"),
    )


def _int(filters: dict, key: str) -> int | None:
    value = filters.get(key)
    if value in (None, ""):
        return None
    number = parse_count(value, maximum=10**12)
    if number is None:
        raise ValidationError({key: [_("Give a whole number.")]})
    return number


def clean_filters(filters: dict) -> dict:
    if not isinstance(filters, dict):
        raise ValidationError({"filters": [_("A segment is a set of filters.")]})
    unknown = set(filters) - KEYS
    if unknown:
        raise ValidationError({"filters": [_("Unknown filter(s): %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]})
    if filters.get("list") and filters["list"] not in _sources:
        raise ValidationError({"list": [_("No customer list named %(key)s.") % {"key": filters["list"]}]})
    for key in ("min_spend", "max_spend", "min_orders", "inactive_days", "active_days"):
        _int(filters, key)
    return filters


def segment_queryset(filters: dict, *, now=None) -> QuerySet[Customer]:
    filters = clean_filters(filters or {})
    now = now or timezone.now()
    needs_stats = any(filters.get(k) not in (None, "") for k in ("min_spend", "max_spend", "min_orders",
                                                                  "inactive_days", "active_days"))
    # the per-customer order figures cost a join and a GROUP BY over every order: only when filtered on
    qs = with_stats(Customer.objects.all()) if needs_stats else Customer.objects.all()
    if filters.get("tags"):
        qs = qs.filter(crm_tags__tag__in=[str(t).lower() for t in filters["tags"]])
    if (n := _int(filters, "min_spend")) is not None:
        qs = qs.filter(lifetime_spend__gte=n)
    if (n := _int(filters, "max_spend")) is not None:
        qs = qs.filter(lifetime_spend__lte=n)
    if (n := _int(filters, "min_orders")) is not None:
        qs = qs.filter(order_count__gte=n)
    if (n := _int(filters, "inactive_days")) is not None:
        qs = qs.filter(last_order_at__lt=now - timedelta(days=n))
    if (n := _int(filters, "active_days")) is not None:
        qs = qs.filter(last_order_at__gte=now - timedelta(days=n))
    if filters.get("city"):
        qs = qs.filter(city__iexact=str(filters["city"]).strip())
    if filters.get("channel_kinds"):
        qs = qs.filter(orders__channel__kind__in=list(filters["channel_kinds"]))
    if filters.get("list"):
        _label, fn = _sources[filters["list"]]
        qs = qs.filter(pk__in=fn())
    return qs.distinct() if filters.get("tags") or filters.get("channel_kinds") else qs
