"""Sales (Penjualan) and profit (Laba) reports."""

from __future__ import annotations

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from analytics.filters import ReportFilters
from analytics.models import LineFact, OrderFact
from analytics.reports.base import (
    MEASURES,
    MONEY,
    NUMBER,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Report,
    Section,
    Table,
    aov,
    as_date,
    compare,
    grouped,
    kpis_from,
    line_sums,
    order_source,
    period_labels,
    place_sums,
    product_ids_for,
    totals,
)
from core.money import ratio_percent

TOP_PRODUCTS = 20
LOSS_ORDERS = 100


def _names(model_path: str, ids) -> dict:
    from django.apps import apps

    model = apps.get_model(model_path)
    ids = {i for i in ids if i is not None}
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


SERIES_MEASURES = ("orders", "units", "gross_amount", "net_amount", "margin_amount")


def _series(f: ReportFilters, measures=SERIES_MEASURES) -> list[dict]:
    product_ids = product_ids_for(f)
    if product_ids is None:
        rows = grouped(order_source(f), "period", measures, granularity=f.granularity)
    else:
        rows = line_sums(f, ("period",), measures, product_ids=product_ids)
    by_period = {as_date(row["period"]): row for row in rows}
    return [
        {"period": day, **{m: int(by_period.get(day, {}).get(m, 0)) for m in measures}} for day in period_labels(f)
    ]


def _by_channel(f: ReportFilters) -> list[dict]:
    product_ids = product_ids_for(f)
    if product_ids is None:
        rows = grouped(order_source(f), "channel_id")
    else:
        rows = line_sums(f, ("channel_id",), product_ids=product_ids)
    names = _names("channels.Channel", [r["channel_id"] for r in rows])
    for row in rows:
        row["channel"] = names.get(row["channel_id"], "?")
        row["aov_amount"] = aov(row)
        row["margin_percent"] = ratio_percent(row["margin_amount"], row["net_amount"])
    return sorted(rows, key=lambda r: -r["net_amount"])


def _product_totals(f: ReportFilters, measures=MEASURES) -> list[dict]:
    """Every product's sums for these filters (the tables rank the same rows): the measures asked for,
    from the month rollup's whole months and the daily rollup's edge days."""
    return line_sums(f, ("product_id",), measures, product_ids=product_ids_for(f))


def _by_product(f: ReportFilters, *, order_by: str = "-net_amount", limit: int = TOP_PRODUCTS,
                rows: list[dict] | None = None) -> list[dict]:
    rows = [dict(r) for r in (_product_totals(f) if rows is None else rows)]
    rows.sort(key=lambda r: (-r[order_by.lstrip("-")] if order_by.startswith("-") else r[order_by]))
    rows = rows[:limit]
    names = _names("catalog.Product", [r["product_id"] for r in rows])
    for row in rows:
        row["product"] = names.get(row["product_id"], _("Unknown SKU"))
        row["margin_percent"] = ratio_percent(row["margin_amount"], row["net_amount"])
    return rows


def _place_source(f: ReportFilters):
    """Rows with province and city when a warehouse or product is asked for: the facts."""
    product_ids = product_ids_for(f)
    if product_ids is not None:
        qs = LineFact.objects.filter(day__gte=f.start, day__lte=f.end, product_id__in=product_ids)
    else:
        qs = OrderFact.objects.filter(day__gte=f.start, day__lte=f.end)
    for name in ("channel_id", "warehouse_id", "province", "city"):
        if getattr(f, name):
            qs = qs.filter(**{name: getattr(f, name)})
    return qs


PLACE_MEASURES = ("orders", "units", "net_amount")
PLACE_ROWS = 50


def _places(f: ReportFilters) -> tuple[list[dict], list[dict]]:
    """The provinces and the cities with the most net revenue (at most 50 each).

    One aggregate per city (about a hundred rows), the provinces summed from it: one statement
    instead of a second one per province (a category over 30 days on the 1M data set: the line facts
    read once, not twice, about 9 ms).
    """
    keys = ("province", "city")
    if f.has_product or f.warehouse_id:
        cities = [{**r, **{m: int(r[m]) for m in PLACE_MEASURES}} for r in _place_source(f).values(*keys).annotate(
            **{m: Coalesce(Sum(m), 0) for m in PLACE_MEASURES}).order_by(*keys)]
    else:  # the geo rollups: whole months from the monthly one
        cities = place_sums(f, keys, PLACE_MEASURES)
    provinces: dict[str, dict] = {}
    for row in cities:
        acc = provinces.setdefault(row["province"], {"province": row["province"], **dict.fromkeys(PLACE_MEASURES, 0)})
        for m in PLACE_MEASURES:
            acc[m] += row[m]
    result = []
    for rows in (sorted(provinces.values(), key=lambda r: r["province"]), cities):
        # most net revenue first; ties in (province, city) order
        rows = sorted(rows, key=lambda r: -r["net_amount"])[:PLACE_ROWS]
        for row in rows:
            row["province"] = row["province"] or _("(no province)")
            if "city" in row:
                row["city"] = row["city"] or _("(no city)")
        result.append(rows)
    return result[0], result[1]


SALES_COLUMNS = [
    ("orders", _("Orders"), NUMBER), ("units", _("Units"), NUMBER), ("gross_amount", _("Gross revenue"), MONEY),
    ("net_amount", _("Net revenue"), MONEY),
]


def sales_report(f: ReportFilters) -> Report:
    now, prev, ly = compare(f, totals)
    report = Report(name="sales", title=_("Sales"), filters=f)
    report.kpis = kpis_from(
        [
            ("orders", _("Orders"), NUMBER, lambda t: t["orders"]),
            ("units", _("Units sold"), NUMBER, lambda t: t["units"]),
            ("gross", _("Gross revenue"), MONEY, lambda t: t["gross_amount"]),
            ("discounts", _("Discounts"), MONEY, lambda t: t["discount_amount"]),
            ("fees", _("Marketplace fees"), MONEY, lambda t: t["fee_amount"]),
            ("refunds", _("Refunds"), MONEY, lambda t: t["refund_amount"]),
            ("net", _("Net revenue"), MONEY, lambda t: t["net_amount"]),
            ("aov", _("Average order value"), MONEY, aov),
            ("cancelled", _("Cancelled orders"), NUMBER, lambda t: t["cancelled_orders"]),
        ],
        now, prev, ly, bad_when_up=frozenset({"discounts", "fees", "refunds", "cancelled"}),
    )
    series = _series(f)
    period_rows = [
        {"period": r["period"].isoformat(), "orders": r["orders"], "units": r["units"],
         "gross_amount": r["gross_amount"], "net_amount": r["net_amount"]}
        for r in series
    ]
    report.tables.append(Table(
        "by_period", _("By %(period)s") % {"period": _granularity_label(f.granularity)},
        [Column("period", _("Period"), TEXT), *[Column(k, lbl, kind) for k, lbl, kind in SALES_COLUMNS]],
        period_rows,
    ))
    report.charts.append(Chart(
        "by_period", _("Net revenue and orders"), "line", [r["period"] for r in period_rows],
        [{"label": str(_("Net revenue")), "data": [r["net_amount"] for r in period_rows], "yAxisID": "y"},
         {"label": str(_("Orders")), "data": [r["orders"] for r in period_rows], "yAxisID": "y1"}],
        table="by_period", kind=MONEY,
    ))
    channels = _by_channel(f)
    report.tables.append(Table(
        "by_channel", _("By channel"),
        [Column("channel", _("Channel"), TEXT), *[Column(k, lbl, kind) for k, lbl, kind in SALES_COLUMNS],
         Column("aov_amount", _("Average order value"), MONEY)],
        [{k: r[k] for k in ("channel", "orders", "units", "gross_amount", "net_amount", "aov_amount")}
         for r in channels],
    ))
    report.charts.append(Chart(
        "by_channel", _("Net revenue by channel"), "pie", [r["channel"] for r in channels],
        [{"label": str(_("Net revenue")), "data": [r["net_amount"] for r in channels]}], table="by_channel",
        kind=MONEY,
    ))
    products = _by_product(f, rows=_product_totals(f, ("orders", "units", "net_amount", "margin_amount")))
    report.tables.append(Table(
        "top_products", _("Top products"),
        [Column("product", _("Product"), TEXT), Column("orders", _("Orders"), NUMBER),
         Column("units", _("Units"), NUMBER), Column("net_amount", _("Net revenue"), MONEY)],
        [{k: r[k] for k in ("product", "orders", "units", "net_amount")} for r in products],
        note=_("Orders here count the orders containing each variant of the product."),
    ))
    report.charts.append(Chart(
        "top_products", _("Top products by net revenue"), "bar", [r["product"] for r in products[:10]],
        [{"label": str(_("Net revenue")), "data": [r["net_amount"] for r in products[:10]]}],
        table="top_products", kind=MONEY,
    ))
    provinces, cities = _places(f)
    report.tables.append(Table(
        "by_province", _("By province (reach)"),
        [Column("province", _("Province"), TEXT), Column("orders", _("Orders"), NUMBER),
         Column("units", _("Units"), NUMBER), Column("net_amount", _("Net revenue"), MONEY)],
        [{k: r[k] for k in ("province", "orders", "units", "net_amount")} for r in provinces],
    ))
    report.charts.append(Chart(
        "by_province", _("Orders by province"), "bar", [r["province"] for r in provinces[:15]],
        [{"label": str(_("Orders")), "data": [r["orders"] for r in provinces[:15]]}], table="by_province",
    ))
    report.tables.append(Table(
        "by_city", _("By city (reach)"),
        [Column("city", _("City"), TEXT), Column("province", _("Province"), TEXT),
         Column("orders", _("Orders"), NUMBER), Column("units", _("Units"), NUMBER),
         Column("net_amount", _("Net revenue"), MONEY)],
        [{k: r[k] for k in ("city", "province", "orders", "units", "net_amount")} for r in cities],
    ))
    return report


def _granularity_label(granularity: str) -> str:
    return {"day": _("day"), "week": _("week"), "month": _("month")}[granularity]


def loss_orders(f: ReportFilters, *, limit: int = LOSS_ORDERS) -> list[dict]:
    qs = OrderFact.objects.filter(day__gte=f.start, day__lte=f.end, orders=1, margin_amount__lt=0)
    for name in ("channel_id", "warehouse_id", "province", "city"):
        if getattr(f, name):
            qs = qs.filter(**{name: getattr(f, name)})
    product_ids = product_ids_for(f)
    if product_ids is not None:
        qs = qs.filter(order_id__in=LineFact.objects.filter(product_id__in=product_ids).values("order_id"))
    rows = list(qs.order_by("margin_amount", "order_id").values(
        "order_id", "day", "channel_id", "net_amount", "cogs_amount", "fee_amount", "packing_amount",
        "margin_amount")[:limit])
    from orders.models import Order

    numbers = dict(Order.objects.filter(pk__in=[r["order_id"] for r in rows]).values_list("pk", "number"))
    names = _names("channels.Channel", [r["channel_id"] for r in rows])
    return [
        {"order": numbers.get(r["order_id"], r["order_id"]), "day": r["day"].isoformat(),
         "channel": names.get(r["channel_id"], "?"), "net_amount": r["net_amount"], "cogs_amount": r["cogs_amount"],
         "fee_amount": r["fee_amount"], "packing_amount": r["packing_amount"], "margin_amount": r["margin_amount"],
         "url": reverse("orders:detail", args=[r["order_id"]])}
        for r in rows
    ]


def profit_report(f: ReportFilters) -> Report:
    from analytics.reports.sources import shipping_costs_available

    now, prev, ly = compare(f, totals)
    report = Report(name="profit", title=_("Profit"), filters=f)
    report.kpis = kpis_from(
        [
            ("net", _("Net revenue"), MONEY, lambda t: t["net_amount"]),
            ("cogs", _("Cost of goods"), MONEY, lambda t: t["cogs_amount"]),
            ("fees", _("Marketplace fees"), MONEY, lambda t: t["fee_amount"]),
            ("packing", _("Packing cost"), MONEY, lambda t: t["packing_amount"]),
            ("shipping_cost", _("Shipping paid by the seller"), MONEY, lambda t: t["shipping_cost_amount"]),
            ("margin", _("Gross margin"), MONEY, lambda t: t["margin_amount"]),
            ("margin_percent", _("Margin, share of net revenue"), PERCENT,
             lambda t: ratio_percent(t["margin_amount"], t["net_amount"])),
            ("loss_orders", _("Loss-making orders"), NUMBER, lambda t: t.get("loss_orders")),
        ],
        now, prev, ly, bad_when_up=frozenset({"cogs", "fees", "packing", "shipping_cost", "loss_orders"}),
    )
    if not shipping_costs_available():
        report.sections.append(Section(
            "shipping_cost", _("Shipping paid by the seller"), False,
            _("The shipping app does not record what the seller pays couriers yet: shipping is left out of the "
              "margin (counted as paid by the buyer)."),
        ))
    series = _series(f, ("net_amount", "cogs_amount", "margin_amount"))
    rows = [{"period": r["period"].isoformat(), "net_amount": r["net_amount"], "cogs_amount": r["cogs_amount"],
             "margin_amount": r["margin_amount"]} for r in series]
    report.tables.append(Table(
        "by_period", _("Margin by %(period)s") % {"period": _granularity_label(f.granularity)},
        [Column("period", _("Period"), TEXT), Column("net_amount", _("Net revenue"), MONEY),
         Column("cogs_amount", _("Cost of goods"), MONEY), Column("margin_amount", _("Gross margin"), MONEY)],
        rows,
    ))
    report.charts.append(Chart(
        "by_period", _("Net revenue and gross margin"), "line", [r["period"] for r in rows],
        [{"label": str(_("Net revenue")), "data": [r["net_amount"] for r in rows]},
         {"label": str(_("Gross margin")), "data": [r["margin_amount"] for r in rows]}],
        table="by_period", kind=MONEY,
    ))
    channels = _by_channel(f)
    money_cols = [("net_amount", _("Net revenue")), ("cogs_amount", _("Cost of goods")),
                  ("fee_amount", _("Marketplace fees")), ("packing_amount", _("Packing cost")),
                  ("margin_amount", _("Gross margin"))]
    report.tables.append(Table(
        "by_channel", _("Margin by channel"),
        [Column("channel", _("Channel"), TEXT), *[Column(k, lbl, MONEY) for k, lbl in money_cols],
         Column("margin_percent", _("Margin %"), PERCENT)],
        [{k: r[k] for k in ("channel", *[c for c, _l in money_cols], "margin_percent")} for r in channels],
    ))
    report.charts.append(Chart(
        "by_channel", _("Gross margin by channel"), "bar", [r["channel"] for r in channels],
        [{"label": str(_("Gross margin")), "data": [r["margin_amount"] for r in channels]}], table="by_channel",
        kind=MONEY,
    ))
    product_totals = _product_totals(f, ("units", "net_amount", "cogs_amount", "fee_amount", "packing_amount",
                                         "margin_amount"))
    for key, title, order_by in (("top_margin", _("Products with the highest margin"), "-margin_amount"),
                                 ("low_margin", _("Products with the lowest margin"), "margin_amount")):
        products = _by_product(f, order_by=order_by, rows=product_totals)
        report.tables.append(Table(
            key, title,
            [Column("product", _("Product"), TEXT), Column("units", _("Units"), NUMBER),
             *[Column(k, lbl, MONEY) for k, lbl in money_cols], Column("margin_percent", _("Margin %"), PERCENT)],
            [{k: r[k] for k in ("product", "units", *[c for c, _l in money_cols], "margin_percent")}
             for r in products],
        ))
    report.tables.append(Table(
        "loss_orders", _("Loss-making orders"),
        [Column("order", _("Order"), TEXT), Column("day", _("Date"), TEXT), Column("channel", _("Channel"), TEXT),
         Column("net_amount", _("Net revenue"), MONEY), Column("cogs_amount", _("Cost of goods"), MONEY),
         Column("fee_amount", _("Marketplace fees"), MONEY), Column("packing_amount", _("Packing cost"), MONEY),
         Column("margin_amount", _("Gross margin"), MONEY)],
        loss_orders(f), links={"order": "url"},
    ))
    return report


__all__ = ["MEASURES", "loss_orders", "profit_report", "sales_report"]
