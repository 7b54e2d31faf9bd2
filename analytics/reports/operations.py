"""Operations (Operasional): dispatch, delivery, after-sales cases, returns and satisfaction.

Dispatch figures come from the orders' own times (paid, ship-by, shipped), which every channel
records. Delivery within the quoted ETA and Late Dispatch Rate per the marketplace's rules come from
the shipping app; cases, SLA, returns, CSAT and NPS from the after-sales app. A part whose app has
not landed is shown as unavailable, never as zero.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from analytics.filters import ReportFilters
from analytics.reports.base import HOURS, NUMBER, PERCENT, TEXT, Chart, Column, Report, Section, Table, kpis_from
from analytics.reports.sources import app_model
from core.money import ratio_percent

TZ = "Asia/Jakarta"


def _dispatch(f: ReportFilters) -> dict:
    where = ["o.placed_at >= (%(start)s::timestamp AT TIME ZONE 'Asia/Jakarta')",
             "o.placed_at < ((%(end)s::date + 1)::timestamp AT TIME ZONE 'Asia/Jakarta')",
             "o.status <> 'cancelled'"]
    params: dict = {"start": f.start, "end": f.end}
    if f.channel_id:
        where.append("o.channel_id = %(channel)s")
        params["channel"] = f.channel_id
    if f.province:
        where.append("o.shipping_province = %(province)s")
        params["province"] = f.province
    if f.city:
        where.append("o.shipping_city = %(city)s")
        params["city"] = f.city
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(*) FILTER (WHERE o.shipped_at IS NOT NULL),
                   COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL AND (o.shipped_at IS NOT NULL OR o.ship_by < now())),
                   COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL AND o.shipped_at IS NOT NULL
                                    AND o.shipped_at <= o.ship_by),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM o.shipped_at - o.paid_at) / 3600)
                       FILTER (WHERE o.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL),
                   AVG(EXTRACT(EPOCH FROM o.shipped_at - o.paid_at) / 3600)
                       FILTER (WHERE o.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL),
                   COUNT(*) FILTER (WHERE o.delivered_at IS NOT NULL)
            FROM orders_order o WHERE {' AND '.join(where)}
            """,  # noqa: S608 (the WHERE parts are constants; values are parameters)
            params,
        )
        shipped, due, on_time, median, mean, delivered = cursor.fetchone()
    return {"shipped": shipped, "due": due, "on_time": on_time, "median_hours": median, "mean_hours": mean,
            "delivered": delivered}


def _dispatch_by_channel(f: ReportFilters) -> list[dict]:
    params: dict = {"start": f.start, "end": f.end}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.name, c.kind,
                   COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL AND (o.shipped_at IS NOT NULL OR o.ship_by < now())),
                   COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL
                                    AND COALESCE(o.shipped_at, now()) > o.ship_by AND o.ship_by < now()),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM o.shipped_at - o.paid_at) / 3600)
                       FILTER (WHERE o.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL)
            FROM orders_order o JOIN channels_channel c ON c.id = o.channel_id
            WHERE o.placed_at >= (%(start)s::timestamp AT TIME ZONE 'Asia/Jakarta')
              AND o.placed_at < ((%(end)s::date + 1)::timestamp AT TIME ZONE 'Asia/Jakarta')
              AND o.status <> 'cancelled'
            GROUP BY c.name, c.kind ORDER BY c.name
            """,
            params,
        )
        rows = cursor.fetchall()
    return [
        {"channel": name, "due": due, "late": late, "late_rate": ratio_percent(late, due),
         "median_hours": round(median, 1) if median is not None else None}
        for name, _kind, due, late, median in rows
    ]


def operations_report(f: ReportFilters) -> Report:
    report = Report(name="operations", title=_("Operations"), filters=f)
    now, prev, ly = _dispatch(f), _dispatch(f.previous()), _dispatch(f.last_year())
    report.kpis = kpis_from(
        [
            ("shipped", _("Orders shipped"), NUMBER, lambda t: t["shipped"]),
            ("on_time_dispatch", _("On-time dispatch"), PERCENT, lambda t: ratio_percent(t["on_time"], t["due"])),
            ("paid_to_shipped", _("Paid to shipped (median hours)"), HOURS,
             lambda t: round(t["median_hours"], 1) if t["median_hours"] is not None else None),
            ("delivered", _("Orders delivered"), NUMBER, lambda t: t["delivered"]),
        ],
        now, prev, ly, bad_when_up=frozenset({"paid_to_shipped"}),
    )
    report.notes.append(_("On-time dispatch: orders shipped by their ship-by time, among the orders whose ship-by "
                          "time has passed or that have shipped."))
    rows = _dispatch_by_channel(f)
    report.tables.append(Table(
        "dispatch_by_channel", _("Late dispatch by channel"),
        [Column("channel", _("Channel"), TEXT), Column("due", _("Orders due"), NUMBER),
         Column("late", _("Shipped late or overdue"), NUMBER), Column("late_rate", _("Late dispatch rate"), PERCENT),
         Column("median_hours", _("Paid to shipped (median hours)"), HOURS)],
        rows,
    ))
    report.charts.append(Chart(
        "dispatch_by_channel", _("Late dispatch rate by channel"), "bar", [r["channel"] for r in rows],
        [{"label": str(_("Late dispatch rate")), "data": [float(r["late_rate"] or 0) for r in rows]}],
        table="dispatch_by_channel", kind=PERCENT,
    ))
    shipment = app_model("shipping", "Shipment")
    if shipment is None:
        report.sections.append(Section(
            "shipping", _("Delivery within ETA and Late Dispatch Rate per marketplace"), False,
            _("Not available yet: the shipping app (shipments, ETAs, marketplace deadlines) has not been installed."),
        ))
    case = app_model("aftersales", "Case")
    if case is None:
        report.sections.append(Section(
            "aftersales", _("Cases, SLA, returns, CSAT and NPS"), False,
            _("Not available yet: the after-sales app (cases, returns, surveys) has not been installed."),
        ))
    return report
