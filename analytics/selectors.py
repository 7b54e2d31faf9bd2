"""Analytics reads outside the reports: filter choices, recent inputs, the home page's KPI panels."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from analytics.filters import today
from analytics.models import ChangeLogEntry, ChannelVisits, MarketingSpend, SalesDaily


def filter_choices() -> dict:
    from catalog.models import Product, Warehouse
    from channels.models import Channel

    return {
        "channels": list(Channel.objects.order_by("name").values_list("pk", "name")),
        "warehouses": list(Warehouse.objects.order_by("name").values_list("pk", "name")),
        "categories": list(Product.objects.exclude(category="").order_by("category")
                           .values_list("category", flat=True).distinct()[:200]),
        "products": list(Product.objects.order_by("name").values_list("pk", "name")[:1000]),
    }


def visits_recent():
    return ChannelVisits.objects.select_related("channel", "product")[:30]


def spend_recent():
    return MarketingSpend.objects.select_related("channel")[:30]


def changes_recent():
    return ChangeLogEntry.objects.select_related("channel", "product")[:30]


def sales_headline() -> dict:
    """Today's and this month's kept orders and net revenue, and the last 30 days per day (the home page)."""
    now = today()
    month_start = now.replace(day=1)
    start = min(month_start, now - timedelta(days=29))
    rows = {
        r["day"]: r
        for r in SalesDaily.objects.filter(day__gte=start, day__lte=now).values("day")
        .annotate(orders=Coalesce(Sum("orders"), 0), net=Coalesce(Sum("net_amount"), 0),
                  margin=Coalesce(Sum("margin_amount"), 0), new=Coalesce(Sum("new_customers"), 0))
    }
    month = [r for d, r in rows.items() if d >= month_start]
    series = [(now - timedelta(days=i)) for i in range(29, -1, -1)]
    return {
        "today": {"orders": rows.get(now, {}).get("orders", 0), "net": rows.get(now, {}).get("net", 0),
                  "margin": rows.get(now, {}).get("margin", 0)},
        "month": {"orders": sum(r["orders"] for r in month), "net": sum(r["net"] for r in month),
                  "margin": sum(r["margin"] for r in month), "new": sum(r["new"] for r in month)},
        "series": [{"day": d.isoformat(), "orders": rows.get(d, {}).get("orders", 0),
                    "net": rows.get(d, {}).get("net", 0)} for d in series],
    }


def operations_headline() -> dict:
    """Today's dispatch work for the warehouse: shipped today, due today and not shipped, late, on-time this month.

    Each count reads its own index (orders_order: shipped_at, the open orders' ship_by, ship_by with
    shipped_at and status included) instead of one pass over every order.
    """
    from django.db.models import Count, Q
    from django.utils import timezone as tz

    from core.money import ratio_percent
    from orders.models import Order

    now = tz.now()
    start_today = tz.make_aware(datetime.combine(today(), time.min))
    start_month = tz.make_aware(datetime.combine(today().replace(day=1), time.min))
    end_today = start_today + timedelta(days=1)
    open_statuses = ["paid", "processing", "packed"]
    counts = {"shipped_today": Order.objects.filter(shipped_at__gte=start_today).count()}
    counts |= Order.objects.filter(status__in=open_statuses, ship_by__lt=end_today).aggregate(
        due_today=Count("ship_by", filter=Q(ship_by__gte=now)),
        late=Count("ship_by", filter=Q(ship_by__lt=now)),
    )
    counts |= (
        Order.objects.filter(ship_by__gte=start_month, ship_by__lt=now)
        .exclude(status="cancelled")
        .aggregate(month_due=Count("pk"), month_on_time=Count("pk", filter=Q(shipped_at__lte=F("ship_by"))))
    )
    counts["on_time_percent"] = ratio_percent(counts["month_on_time"], counts["month_due"])
    return counts
