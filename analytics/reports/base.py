"""What every report is made of, and where its numbers are read from.

A report is a list of KPIs (this period, the previous period, the same period last year), charts
and tables; the page, the CSV/XLSX exports, the PDF and the API all render the same `Report`.

Numbers come from SQL aggregates over the smallest table that holds the filters asked for:
`SalesDaily` (day, channel, warehouse) when no finer filter is set, `GeoDaily` for a province or
city, `CategoryDaily` for a category, `ProductDaily` for a product (and per product), and the facts
(`OrderFact`, `LineFact`, indexed by day) for combinations the rollups do not cover. Product,
category and place sums over a range read its whole calendar months from the month-grain rollups
(`ProductMonthly`, `GeoMonthly`, `CategoryMonthly`, about 1/17 of the daily rows) and only the
days before the first and after the last whole month from the daily ones (`split_sums`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek

from analytics.filters import ReportFilters
from analytics.models import (
    CategoryDaily,
    CategoryMonthly,
    GeoDaily,
    GeoMonthly,
    LineFact,
    OrderFact,
    ProductDaily,
    ProductMonthly,
    SalesDaily,
)
from core.money import divide_idr, ratio_percent

MONEY, NUMBER, PERCENT, TEXT, DAYS, HOURS, DECIMAL = "money", "number", "percent", "text", "days", "hours", "decimal"


@dataclass
class KPI:
    key: str
    label: str
    value: Any
    kind: str = NUMBER
    previous: Any = None
    last_year: Any = None
    note: str = ""
    good_when_up: bool = True

    def change(self, other) -> Decimal | None:
        if self.value is None or other in (None, 0):
            return None
        return ratio_percent(Decimal(self.value) - Decimal(other), abs(Decimal(other)))

    @property
    def change_previous(self) -> Decimal | None:
        return self.change(self.previous)

    @property
    def change_last_year(self) -> Decimal | None:
        return self.change(self.last_year)


@dataclass
class Column:
    key: str
    label: str
    kind: str = NUMBER


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""
    links: dict = field(default_factory=dict)  # column key -> row key holding a URL


@dataclass
class Chart:
    key: str
    title: str
    type: str  # line, bar, pie
    labels: list[str]
    datasets: list[dict]  # {"label": str, "data": [numbers]}
    table: str = ""  # the key of the table beside it
    kind: str = NUMBER


@dataclass
class Section:
    """A part of a report whose source app is not installed: shown as unavailable, never as zero."""

    key: str
    title: str
    available: bool
    message: str = ""


@dataclass
class Report:
    name: str
    title: str
    filters: ReportFilters
    kpis: list[KPI] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def kpi(self, key: str) -> KPI:
        return next(k for k in self.kpis if k.key == key)


# --- sources -------------------------------------------------------------------------------

MEASURES = (
    "orders", "cancelled_orders", "units", "gross_amount", "discount_amount", "refund_amount", "fee_amount",
    "net_amount", "shipping_charged_amount", "shipping_cost_amount", "packing_amount", "cogs_amount", "margin_amount",
)
CUSTOMER_MEASURES = ("new_customers", "returning_orders", "loss_orders")
CATEGORY_MEASURES = ("category_orders", "category_cancelled_orders")


def _common_filter(f: ReportFilters) -> Q:
    q = Q(day__gte=f.start, day__lte=f.end)
    if f.channel_id:
        q &= Q(channel_id=f.channel_id)
    return q


def product_ids_for(f: ReportFilters) -> list[int] | None:
    """The product ids a product/category filter stands for (None: no such filter)."""
    if not f.has_product:
        return None
    from catalog.models import Product

    products = Product.objects.all()
    if f.product_id:
        products = products.filter(pk=f.product_id)
    if f.category:
        products = products.filter(category=f.category)
    return list(products.values_list("pk", flat=True))


def order_source(f: ReportFilters) -> QuerySet:
    """Rows with order-level measures for these filters (no product filter)."""
    q = _common_filter(f)
    if f.warehouse_id:
        q &= Q(warehouse_id=f.warehouse_id)
    if f.province:
        q &= Q(province=f.province)
    if f.city:
        q &= Q(city=f.city)
    model = (OrderFact if f.warehouse_id else GeoDaily) if f.has_geo else SalesDaily
    return model.objects.filter(q)


def month_split(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole calendar months inside [start, end] (first and last month's first day, or None) and
    the day ranges left at either edge."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = end + timedelta(days=1)
    stop = after if after.day == 1 else end.replace(day=1)  # the day after the last whole month
    if first >= stop:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if stop <= end:
        edges.append((stop, end))
    return (first, (stop - timedelta(days=1)).replace(day=1)), edges


def month_cover(start: date, end: date) -> tuple[list[date], list[tuple[date, date]], list[tuple[date, date]]]:
    """[start, end] as whole calendar months (their first days) plus day ranges to add and day ranges
    to subtract: a partial month is read as the whole month minus the days outside the range when
    those are fewer than the days inside (5-30 November: November minus 1-4 November).

    Only for sums whose rows are listed whatever they add up to (the inventory report's sales per
    variant): a key sold only on the subtracted days is left with zeros instead of no row.
    """
    months, plus, minus = [], [], []
    month = start.replace(day=1)
    while month <= end:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = following - timedelta(days=1)
        a, b = max(start, month), min(end, last)
        inside = (b - a).days + 1
        if inside == last.day:
            months.append(month)
        elif last.day - inside < inside:
            months.append(month)
            if a > month:
                minus.append((month, a - timedelta(days=1)))
            if b < last:
                minus.append((b + timedelta(days=1), last))
        else:
            plus.append((a, b))
        month = following
    return months, plus, minus


def _sort_key(by: tuple[str, ...]):
    # as the database's ORDER BY: NULL last
    return lambda row: tuple((row[b] is None, row[b] if row[b] is not None else 0) for b in by)


def split_sums(f: ReportFilters, *, daily, monthly, q: Q, by: tuple[str, ...], measures) -> list[dict]:
    """Sums per `by` (sorted by it) over f's range of the rows matching `q` (no day condition):
    whole months from the `monthly` rollup, the edge days from the `daily` one, added up exactly.
    `by` may hold "period" when f's granularity is the month."""
    whole, edges = month_split(f.start, f.end)
    parts = []
    if whole:
        parts.append(monthly.objects.filter(q, month__gte=whole[0], month__lte=whole[1])
                     .annotate(period=F("month")) if "period" in by else
                     monthly.objects.filter(q, month__gte=whole[0], month__lte=whole[1]))
    if edges:
        days = Q()
        for a, b in edges:
            days |= Q(day__gte=a, day__lte=b)
        qs = daily.objects.filter(q & days)
        parts.append(qs.annotate(period=TruncMonth("day")) if "period" in by else qs)
    sums_spec = {m: Coalesce(Sum(m), 0) for m in measures}
    merged: dict[tuple, dict] = {}
    for qs in parts:
        rows = qs.values(*by).annotate(**sums_spec).order_by() if by else [qs.aggregate(**sums_spec)]
        for row in rows:
            key = tuple(row[b] for b in by)
            acc = merged.setdefault(key, {**{b: row[b] for b in by}, **dict.fromkeys(measures, 0)})
            for m in measures:
                acc[m] += int(row[m])
    if not by:
        return [merged.get((), dict.fromkeys(measures, 0))]
    return sorted(merged.values(), key=_sort_key(by))


def _line_q(f: ReportFilters, product_ids: list[int] | None) -> Q:
    q = Q(channel_id=f.channel_id) if f.channel_id else Q()
    if f.warehouse_id:
        q &= Q(warehouse_id=f.warehouse_id)
    if product_ids is not None:
        q &= Q(product_id__in=product_ids)
    return q


def line_sums(f: ReportFilters, by: tuple[str, ...], measures=MEASURES, *,
              product_ids: list[int] | None = None) -> list[dict]:
    """Line-level sums per `by` (as `grouped(line_source(...))`, or one row for `by=()`), from the
    product rollups' whole months and edge days (the category rollups for a category alone), or
    from the line facts with a place filter."""
    if by_category(f) and "product_id" not in by:
        q = Q(category=f.category)
        if f.channel_id:
            q &= Q(channel_id=f.channel_id)
        if f.warehouse_id:
            q &= Q(warehouse_id=f.warehouse_id)
        if "period" in by and f.granularity != "month":
            return grouped(CategoryDaily.objects.filter(q, day__gte=f.start, day__lte=f.end), "period", measures,
                           granularity=f.granularity)
        return split_sums(f, daily=CategoryDaily, monthly=CategoryMonthly, q=q, by=by, measures=measures)
    if f.has_geo or ("period" in by and f.granularity != "month"):
        qs = line_source(f, product_ids=product_ids)
        if not by:
            return [sums(qs, measures)]
        if by == ("period",):
            return grouped(qs, "period", measures, granularity=f.granularity)
        return [{**r, **{m: int(r[m]) for m in measures}} for r in qs.values(*by).annotate(
            **{m: Coalesce(Sum(m), 0) for m in measures}).order_by(*by)]
    return split_sums(f, daily=ProductDaily, monthly=ProductMonthly, q=_line_q(f, product_ids), by=by,
                      measures=measures)


def by_category(f: ReportFilters) -> bool:
    """Whether the category rollups hold these filters (a category, no product, no place)."""
    return bool(f.category) and not f.product_id and not f.has_geo


def place_sums(f: ReportFilters, by: tuple[str, ...], measures) -> list[dict]:
    """Order-level sums per province/city from the geo rollups (no product or warehouse filter)."""
    q = Q()
    for name in ("channel_id", "province", "city"):
        if getattr(f, name):
            q &= Q(**{name: getattr(f, name)})
    return split_sums(f, daily=GeoDaily, monthly=GeoMonthly, q=q, by=by, measures=measures)


def line_source(f: ReportFilters, *, product_ids: list[int] | None = None) -> QuerySet:
    """Rows with line-level measures (products), with any filter."""
    q = _common_filter(f)
    if f.warehouse_id:
        q &= Q(warehouse_id=f.warehouse_id)
    if product_ids is not None:
        q &= Q(product_id__in=product_ids)
    if f.has_geo:
        if f.province:
            q &= Q(province=f.province)
        if f.city:
            q &= Q(city=f.city)
        return LineFact.objects.filter(q)
    return ProductDaily.objects.filter(q)


def sums(qs: QuerySet, measures=MEASURES) -> dict[str, int]:
    row = qs.aggregate(**{m: Coalesce(Sum(m), 0) for m in measures})
    return {m: int(row[m]) for m in measures}


def totals(f: ReportFilters) -> dict[str, int | None]:
    """Every additive measure for these filters; with a product filter, the products' lines, and
    `orders` the number of kept orders containing them."""
    if by_category(f):
        result: dict[str, int | None] = line_sums(f, (), MEASURES + CATEGORY_MEASURES)[0]
        result["orders"] = result.pop("category_orders")
        result["cancelled_orders"] = result.pop("category_cancelled_orders")
        return {**result, **dict.fromkeys(CUSTOMER_MEASURES)}
    product_ids = product_ids_for(f)
    if product_ids is None:
        return sums(order_source(f), MEASURES + CUSTOMER_MEASURES)
    result = line_sums(f, (), product_ids=product_ids)[0]
    q = _common_filter(f) & Q(product_id__in=product_ids)
    for name in ("warehouse_id", "province", "city"):
        value = getattr(f, name)
        if value:
            q &= Q(**{name: value})
    counted = LineFact.objects.filter(q).aggregate(
        orders=Count("order_id", distinct=True, filter=Q(units__gt=0)),
        cancelled=Count("order_id", distinct=True, filter=Q(units=0)),
    )
    result["orders"] = counted["orders"]
    result["cancelled_orders"] = counted["cancelled"]
    for m in CUSTOMER_MEASURES:
        result[m] = None
    return result


def grouped(qs: QuerySet, by: str, measures=MEASURES, *, granularity: str = "day") -> list[dict]:
    """Sums per `by` ("period" groups by day/week/month)."""
    if by == "period":
        trunc = {"day": F("day"), "week": TruncWeek("day"), "month": TruncMonth("day")}[granularity]
        qs = qs.annotate(period=trunc)
    return list(qs.values(by).annotate(**{m: Coalesce(Sum(m), 0) for m in measures}).order_by(by))


def period_labels(f: ReportFilters) -> list[date]:
    """Every day/week/month start of the range, so a chart shows the days without sales too."""
    from datetime import timedelta

    labels: list[date] = []
    if f.granularity == "day":
        day = f.start
        while day <= f.end:
            labels.append(day)
            day += timedelta(days=1)
    elif f.granularity == "week":
        day = f.start - timedelta(days=f.start.weekday())
        while day <= f.end:
            labels.append(day)
            day += timedelta(days=7)
    else:
        day = f.start.replace(day=1)
        while day <= f.end:
            labels.append(day)
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return labels


def as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def aov(t: dict) -> int | None:
    """Average order value: goods after discounts per kept order."""
    if t.get("orders") is None:
        return None
    return divide_idr(t["gross_amount"] - t["discount_amount"], t["orders"])


def compare(f: ReportFilters, compute: Callable[[ReportFilters], dict]) -> tuple[dict, dict, dict]:
    return compute(f), compute(f.previous()), compute(f.last_year())


def kpis_from(specs: list[tuple[str, str, str, Callable[[dict], Any]]], now: dict, prev: dict, ly: dict,
              *, bad_when_up: frozenset[str] = frozenset()) -> list[KPI]:
    return [
        KPI(key=key, label=label, kind=kind, value=fn(now), previous=fn(prev) if prev else None,
            last_year=fn(ly) if ly else None,
            good_when_up=key not in bad_when_up)
        for key, label, kind, fn in specs
    ]
