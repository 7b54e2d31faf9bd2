"""Conversion (visits -> orders), acquisition (spend -> CAC, ROAS) and the change log (before/after)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from analytics.filters import ReportFilters, today
from analytics.models import ChangeLogEntry, ChannelVisits, MarketingSpend, ProductDaily, SalesDaily
from analytics.reports.base import (
    MONEY,
    NUMBER,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Report,
    Table,
    as_date,
    compare,
    kpis_from,
    period_labels,
    totals,
)
from core.money import divide_idr, ratio_percent


def _channel_names(ids) -> dict:
    from channels.models import Channel

    return dict(Channel.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def _visits(f: ReportFilters) -> int:
    qs = ChannelVisits.objects.filter(day__gte=f.start, day__lte=f.end)
    qs = qs.filter(product_id=f.product_id) if f.product_id else qs.filter(product__isnull=True)
    if f.channel_id:
        qs = qs.filter(channel_id=f.channel_id)
    return int(qs.aggregate(v=Coalesce(Sum("visits"), 0))["v"])


def _orders_on_visit_days(f: ReportFilters) -> int:
    """Kept orders on the (channel, day)s that have visits entered: the numerator of the conversion rate."""
    visits = ChannelVisits.objects.filter(channel_id=OuterRef("channel_id"), day=OuterRef("day"))
    visits = visits.filter(product_id=f.product_id) if f.product_id else visits.filter(product__isnull=True)
    rows = ProductDaily.objects.filter(product_id=f.product_id) if f.product_id else SalesDaily.objects.all()
    rows = rows.filter(day__gte=f.start, day__lte=f.end).filter(Exists(visits))
    if f.channel_id:
        rows = rows.filter(channel_id=f.channel_id)
    return int(rows.aggregate(n=Coalesce(Sum("orders"), 0))["n"])


def _conversion_totals(f: ReportFilters) -> dict:
    t = totals(f.__class__(**{**f.__dict__, "category": ""}))
    t["visits"] = _visits(f)
    t["visit_orders"] = _orders_on_visit_days(f)
    return t


def conversion_report(f: ReportFilters) -> Report:
    now, prev, ly = compare(f, _conversion_totals)
    report = Report(name="conversion", title=_("Conversion"), filters=f)
    report.kpis = kpis_from(
        [
            ("visits", _("Visits"), NUMBER, lambda t: t["visits"]),
            ("orders", _("Orders"), NUMBER, lambda t: t["orders"]),
            ("conversion", _("Conversion rate"), PERCENT,
             lambda t: ratio_percent(t["visit_orders"], t["visits"], places=2)),
            ("net_per_visit", _("Net revenue per visit"), MONEY, lambda t: divide_idr(t["net_amount"], t["visits"])),
        ],
        now, prev, ly,
    )
    report.notes.append(_("Visits are typed in or imported from the marketplaces' seller centres; a day without "
                          "visits entered has no conversion rate."))
    if f.has_geo or f.warehouse_id or f.category:
        report.notes.append(_("Visits are per channel (or product): the other filters apply to the orders only."))
    # Per channel and day: visits beside the orders of the same channel and day.
    visits = ChannelVisits.objects.filter(day__gte=f.start, day__lte=f.end)
    visits = visits.filter(product_id=f.product_id) if f.product_id else visits.filter(product__isnull=True)
    orders = (ProductDaily.objects.filter(product_id=f.product_id) if f.product_id else SalesDaily.objects.all())
    orders = orders.filter(day__gte=f.start, day__lte=f.end)
    if f.channel_id:
        visits, orders = visits.filter(channel_id=f.channel_id), orders.filter(channel_id=f.channel_id)
    v_rows = {(r["channel_id"], r["day"]): r["v"] for r in visits.values("channel_id", "day").annotate(v=Sum("visits"))}
    o_rows = {(r["channel_id"], r["day"]): r["o"] for r in orders.values("channel_id", "day").annotate(o=Sum("orders"))}
    names = _channel_names([k[0] for k in {**v_rows, **o_rows}])
    per_channel: dict[int, dict] = {}
    for (channel_id, _day), count in v_rows.items():
        per_channel.setdefault(channel_id, {"visits": 0, "orders": 0})["visits"] += count
    for (channel_id, day), count in o_rows.items():
        if (channel_id, day) in v_rows:  # conversion counts the days that have visits
            per_channel.setdefault(channel_id, {"visits": 0, "orders": 0})["orders"] += count
    channel_rows = sorted(
        ({"channel": names.get(c, "?"), "visits": d["visits"], "orders": d["orders"],
          "conversion": ratio_percent(d["orders"], d["visits"], places=2)} for c, d in per_channel.items()),
        key=lambda r: -r["visits"],
    )
    report.tables.append(Table(
        "by_channel", _("Conversion by channel"),
        [Column("channel", _("Channel"), TEXT), Column("visits", _("Visits"), NUMBER),
         Column("orders", _("Orders on days with visits"), NUMBER),
         Column("conversion", _("Conversion rate"), PERCENT)],
        channel_rows,
    ))
    report.charts.append(Chart(
        "by_channel", _("Conversion rate by channel"), "bar", [r["channel"] for r in channel_rows],
        [{"label": str(_("Conversion rate")), "data": [float(r["conversion"] or 0) for r in channel_rows]}],
        table="by_channel", kind=PERCENT,
    ))
    day_rows = []
    for day in period_labels(f.__class__(**{**f.__dict__, "granularity": "day"})):
        v = sum(count for (c, d), count in v_rows.items() if d == day)
        o = sum(count for (c, d), count in o_rows.items() if d == day and (c, d) in v_rows)
        day_rows.append({"day": day.isoformat(), "visits": v, "orders": o,
                         "conversion": ratio_percent(o, v, places=2)})
    report.tables.append(Table(
        "by_day", _("Conversion by day"),
        [Column("day", _("Date"), TEXT), Column("visits", _("Visits"), NUMBER),
         Column("orders", _("Orders on days with visits"), NUMBER),
         Column("conversion", _("Conversion rate"), PERCENT)],
        day_rows,
    ))
    report.charts.append(Chart(
        "by_day", _("Visits and conversion by day"), "line", [r["day"] for r in day_rows],
        [{"label": str(_("Visits")), "data": [r["visits"] for r in day_rows], "yAxisID": "y"},
         {"label": str(_("Conversion rate")), "data": [float(r["conversion"] or 0) for r in day_rows],
          "yAxisID": "y1"}],
        table="by_day",
    ))
    return report


def acquisition_report(f: ReportFilters) -> Report:
    """Spend per channel and month against the new customers of that channel and month."""
    start_month, end_month = f.start.replace(day=1), f.end.replace(day=1)
    spend = MarketingSpend.objects.filter(month__gte=start_month, month__lte=end_month)
    sales = SalesDaily.objects.filter(day__gte=start_month, day__lte=_month_end(end_month))
    if f.channel_id:
        spend, sales = spend.filter(channel_id=f.channel_id), sales.filter(channel_id=f.channel_id)
    s_rows = {(r["channel_id"], r["month"]): int(r["amount"]) for r in spend.values("channel_id", "month")
              .annotate(amount=Sum("amount"))}
    n_rows = {(r["channel_id"], as_date(r["m"])): r for r in sales.annotate(m=TruncMonth("day"))
              .values("channel_id", "m").annotate(new=Sum("new_customers"), net=Sum("net_amount"))}
    keys = sorted(set(s_rows) | set(n_rows), key=lambda k: (k[1], k[0]))
    names = _channel_names([k[0] for k in keys])
    rows = []
    for channel_id, month in keys:
        amount = s_rows.get((channel_id, month), 0)
        new = int(n_rows.get((channel_id, month), {}).get("new") or 0)
        net = int(n_rows.get((channel_id, month), {}).get("net") or 0)
        rows.append({"month": month.strftime("%Y-%m"), "channel": names.get(channel_id, "?"), "spend_amount": amount,
                     "new_customers": new, "cac_amount": divide_idr(amount, new) if amount else None,
                     "net_amount": net, "roas": ratio_percent(net, amount) if amount else None})
    total_spend = sum(r["spend_amount"] for r in rows)
    total_new = sum(r["new_customers"] for r in rows)
    total_net = sum(r["net_amount"] for r in rows if r["spend_amount"])
    report = Report(name="acquisition", title=_("Acquisition"), filters=f)
    report.kpis = kpis_from(
        [
            ("spend", _("Marketing spend"), MONEY, lambda t: t["spend"]),
            ("new", _("New customers"), NUMBER, lambda t: t["new"]),
            ("cac", _("Customer acquisition cost"), MONEY, lambda t: divide_idr(t["spend"], t["new"])),
            ("roas", _("ROAS (net revenue ÷ spend)"), PERCENT, lambda t: ratio_percent(t["net"], t["spend"])),
        ],
        {"spend": total_spend, "new": total_new, "net": total_net}, {}, {},
    )
    for kpi in report.kpis:
        kpi.previous = kpi.last_year = None
    report.kpis[2].good_when_up = False
    report.notes.append(_("Whole months from %(start)s to %(end)s. A new customer belongs to the channel of their "
                          "first order; ROAS counts the net revenue of the channels and months with spend.")
                        % {"start": start_month.strftime("%Y-%m"), "end": end_month.strftime("%Y-%m")})
    report.tables.append(Table(
        "by_channel_month", _("Spend, CAC and ROAS by channel and month"),
        [Column("month", _("Month"), TEXT), Column("channel", _("Channel"), TEXT),
         Column("spend_amount", _("Marketing spend"), MONEY), Column("new_customers", _("New customers"), NUMBER),
         Column("cac_amount", _("Customer acquisition cost"), MONEY), Column("net_amount", _("Net revenue"), MONEY),
         Column("roas", _("ROAS"), PERCENT)],
        rows,
    ))
    by_channel: dict[str, dict] = {}
    for r in rows:
        agg = by_channel.setdefault(r["channel"], {"spend": 0, "new": 0})
        agg["spend"] += r["spend_amount"]
        agg["new"] += r["new_customers"]
    labels = sorted(by_channel)
    report.charts.append(Chart(
        "by_channel_month", _("Customer acquisition cost by channel"), "bar", labels,
        [{"label": str(_("Customer acquisition cost")),
          "data": [divide_idr(by_channel[c]["spend"], by_channel[c]["new"]) or 0 for c in labels]}],
        table="by_channel_month", kind=MONEY,
    ))
    return report


def _month_end(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def change_effect(entry: ChangeLogEntry) -> dict:
    """Visits, orders, units, net revenue and conversion in the `window_days` before and after the change."""
    from analytics.filters import ReportFilters as RF

    window = entry.window_days
    before = RF(start=entry.day - timedelta(days=window), end=entry.day - timedelta(days=1),
                channel_id=entry.channel_id, product_id=entry.product_id)
    after = RF(start=entry.day, end=entry.day + timedelta(days=window - 1),
               channel_id=entry.channel_id, product_id=entry.product_id)
    result = {}
    for name, f in (("before", before), ("after", after)):
        t = _conversion_totals(f)
        result[name] = {"visits": t["visits"], "orders": t["orders"], "units": t["units"],
                        "net_amount": t["net_amount"],
                        "conversion": ratio_percent(t["visit_orders"], t["visits"], places=2)}
    result["complete"] = after.end < today()
    return result


def changelog_report(f: ReportFilters) -> Report:
    entries = ChangeLogEntry.objects.filter(day__gte=f.start, day__lte=f.end).select_related("channel", "product")
    if f.channel_id:
        entries = entries.filter(Q(channel_id=f.channel_id) | Q(channel__isnull=True))
    if f.product_id:
        entries = entries.filter(product_id=f.product_id)
    rows = []
    for entry in entries[:100]:
        effect = change_effect(entry)
        b, a = effect["before"], effect["after"]
        rows.append({
            "day": entry.day.isoformat(), "kind": entry.get_kind_display(), "title": entry.title,
            "scope": " · ".join(str(x) for x in (entry.channel, entry.product) if x) or _("Whole shop"),
            "window_days": entry.window_days,
            "visits_before": b["visits"], "visits_after": a["visits"],
            "orders_before": b["orders"], "orders_after": a["orders"],
            "net_before_amount": b["net_amount"], "net_after_amount": a["net_amount"],
            "net_change": ratio_percent(a["net_amount"] - b["net_amount"], abs(b["net_amount"])),
            "conversion_before": b["conversion"], "conversion_after": a["conversion"],
            "complete": _("yes") if effect["complete"] else _("not yet"),
        })
    report = Report(name="changes", title=_("Change log"), filters=f)
    report.notes.append(_("Each change is compared over its window: the same number of days before and from the "
                          "day of the change, for its channel and product."))
    report.tables.append(Table(
        "changes", _("What changed, and did it help"),
        [Column("day", _("Date"), TEXT), Column("kind", _("Kind"), TEXT), Column("title", _("Change"), TEXT),
         Column("scope", _("Channel / product"), TEXT), Column("window_days", _("Window (days)"), NUMBER),
         Column("visits_before", _("Visits before"), NUMBER), Column("visits_after", _("Visits after"), NUMBER),
         Column("orders_before", _("Orders before"), NUMBER), Column("orders_after", _("Orders after"), NUMBER),
         Column("net_before_amount", _("Net revenue before"), MONEY),
         Column("net_after_amount", _("Net revenue after"), MONEY),
         Column("net_change", _("Net revenue change"), PERCENT),
         Column("conversion_before", _("Conversion before"), PERCENT),
         Column("conversion_after", _("Conversion after"), PERCENT), Column("complete", _("Window over"), TEXT)],
        rows,
    ))
    report.charts.append(Chart(
        "changes", _("Net revenue before and after each change"), "bar", [r["title"] for r in rows],
        [{"label": str(_("Net revenue before")), "data": [r["net_before_amount"] for r in rows]},
         {"label": str(_("Net revenue after")), "data": [r["net_after_amount"] for r in rows]}],
        table="changes", kind=MONEY,
    ))
    return report
