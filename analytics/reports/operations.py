"""Operations (Operasional): dispatch, delivery, after-sales cases, returns and satisfaction.

Dispatch figures come from the orders' own times (paid, ship-by, shipped), which every channel
records. Parcels handed over by their ship-by time and delivered within the quoted ETA come from the
shipping app's outbound shipments (return parcels do not count); cases and their SLA, returns,
CSAT, NPS and ratings from the after-sales app. A part whose app has not landed is shown as
unavailable, never as zero. Every figure covers the orders (or cases, answers, reviews) of the
period, with the channel filter; a province or city filter applies to what belongs to an order.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.filters import ReportFilters
from analytics.reports.base import (
    DECIMAL,
    HOURS,
    NUMBER,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Report,
    Section,
    Table,
    kpis_from,
)
from analytics.reports.sources import app_model
from analytics.services.dispatch import (
    BUCKET_SQL,
    DispatchTotals,
    dispatch_by_channel,
    dispatch_sum,
    dispatch_totals,
    histogram_median,
)
from core.money import ratio_percent

TZ = "Asia/Jakarta"


def _dispatch(f: ReportFilters, per_channel: dict[int, DispatchTotals] | None = None) -> dict:
    if not (f.province or f.city):
        # the daily dispatch rollups (day x channel) plus the overdue open orders read live;
        # `per_channel`: the period's figures per channel when already read (the table below)
        if per_channel is None:
            t = dispatch_totals(start=f.start, end=f.end, channel_id=f.channel_id)
        else:
            t = dispatch_sum([v for k, v in per_channel.items() if not f.channel_id or k == f.channel_id])
        return {"shipped": t.shipped, "due": t.due, "on_time": t.on_time, "median_hours": t.median_hours,
                "mean_hours": t.mean_hours, "delivered": t.delivered}
    return _dispatch_live(f)


def _dispatch_live(f: ReportFilters) -> dict:
    """A province or city filter: the rollups have no place dimension, so the orders are read (the same
    definitions as the rollups, the median from the same histogram)."""
    where = ["o.placed_at >= (%(start)s::timestamp AT TIME ZONE 'Asia/Jakarta')",
             "o.placed_at < ((%(end)s::date + 1)::timestamp AT TIME ZONE 'Asia/Jakarta')",
             "o.status <> 'cancelled'"]
    params: dict = {"start": f.start, "end": f.end, "now": timezone.now()}
    if f.channel_id:
        where.append("o.channel_id = %(channel)s")
        params["channel"] = f.channel_id
    if f.province:
        where.append("o.shipping_province = %(province)s")
        params["province"] = f.province
    if f.city:
        where.append("o.shipping_city = %(city)s")
        params["city"] = f.city
    hours = "EXTRACT(EPOCH FROM o.shipped_at - o.paid_at) / 3600"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(*) FILTER (WHERE o.shipped_at IS NOT NULL),
                   COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL AND (o.shipped_at IS NOT NULL OR o.ship_by < %(now)s)),
                   COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL AND o.shipped_at IS NOT NULL
                                    AND o.shipped_at <= o.ship_by),
                   AVG({hours}) FILTER (WHERE o.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL),
                   COUNT(*) FILTER (WHERE o.delivered_at IS NOT NULL),
                   array_agg({BUCKET_SQL.format(h=hours)}) FILTER (WHERE o.shipped_at IS NOT NULL
                                                                   AND o.paid_at IS NOT NULL)
            FROM orders_order o WHERE {' AND '.join(where)}
            """,  # noqa: S608 (the WHERE parts are constants; values are parameters)
            params,
        )
        shipped, due, on_time, mean, delivered, buckets = cursor.fetchone()
    counts: dict[int, int] = {}
    for b in buckets or []:
        counts[int(b)] = counts.get(int(b), 0) + 1
    return {"shipped": shipped, "due": due, "on_time": on_time, "median_hours": histogram_median(counts),
            "mean_hours": mean, "delivered": delivered}


def _dispatch_by_channel(totals: dict[int, DispatchTotals]) -> list[dict]:
    """Per channel over the period (every channel, whatever the filters), from the dispatch rollups."""
    from channels.models import Channel

    names = dict(Channel.objects.filter(pk__in=list(totals)).values_list("pk", "name"))
    rows = []
    for channel_id, t in sorted(totals.items(), key=lambda kv: names.get(kv[0], "")):
        if not t.orders and not t.due:
            continue
        median = t.median_hours
        rows.append({"channel": names.get(channel_id, ""), "due": t.due, "late": t.late,
                     "late_rate": ratio_percent(t.late, t.due),
                     "median_hours": round(median, 1) if median is not None else None})
    return rows


def operations_report(f: ReportFilters) -> Report:
    report = Report(name="operations", title=_("Operations"), filters=f)
    per_channel = dispatch_by_channel(start=f.start, end=f.end)
    now, prev, ly = _dispatch(f, per_channel), _dispatch(f.previous()), _dispatch(f.last_year())
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
    rows = _dispatch_by_channel(per_channel)
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
    else:
        _add_delivery(report, f)
    case = app_model("aftersales", "Case")
    if case is None:
        report.sections.append(Section(
            "aftersales", _("Cases, SLA, returns, CSAT and NPS"), False,
            _("Not available yet: the after-sales app (cases, returns, surveys) has not been installed."),
        ))
    else:
        _add_aftersales(report, f, delivered=(now["delivered"], prev["delivered"], ly["delivered"]))
    return report


# --- shipping: parcels against their ship-by time and quoted ETA ------------------------------------

def _bounds(f: ReportFilters) -> tuple[datetime, datetime]:
    tz = ZoneInfo(TZ)
    return datetime.combine(f.start, time.min, tz), datetime.combine(f.end + timedelta(days=1), time.min, tz)


def _order_q(f: ReportFilters, prefix: str = "order__") -> Q:
    lo, hi = _bounds(f)
    q = Q(**{f"{prefix}placed_at__gte": lo, f"{prefix}placed_at__lt": hi})
    if f.channel_id:
        q &= Q(**{f"{prefix}channel_id": f.channel_id})
    if f.province:
        q &= Q(**{f"{prefix}shipping_province": f.province})
    if f.city:
        q &= Q(**{f"{prefix}shipping_city": f.city})
    return q


def _shipments(f: ReportFilters):
    from shipping.models import Shipment, ShipmentDirection, ShipmentStatus

    return (Shipment.objects.filter(_order_q(f), direction=ShipmentDirection.OUTBOUND)
            .exclude(status=ShipmentStatus.CANCELLED).exclude(order__status="cancelled"))


# A parcel is due once it left or its ship-by time passed; it is on time when it left by then.
def _delivery_counts(now: datetime) -> dict:
    transit = ExpressionWrapper(F("delivered_at") - F("dispatched_at"), output_field=DurationField())
    due = Q(ship_by__isnull=False) & (Q(dispatched_at__isnull=False) | Q(ship_by__lt=now))
    with_eta = Q(delivered_at__isnull=False, dispatched_at__isnull=False, etd_max_days__isnull=False)
    return {
        "parcels": Count("pk"),
        "due": Count("pk", filter=due),
        "on_time": Count("pk", filter=due & Q(dispatched_at__lte=F("ship_by"))),
        "delivered": Count("pk", filter=Q(delivered_at__isnull=False)),
        "with_eta": Count("pk", filter=with_eta),
        # delivered_at - dispatched_at <= etd_max_days + 1 day (Shipment.delivered_within_eta)
        "within_eta": Count("pk", filter=with_eta & Q(
            delivered_at__lte=F("dispatched_at") + (F("etd_max_days") + 1) * timedelta(days=1))),
        "transit": Avg(transit, filter=Q(delivered_at__isnull=False, dispatched_at__isnull=False)),
    }


def _delivery(f: ReportFilters) -> dict:
    totals = _shipments(f).aggregate(**_delivery_counts(timezone.now()))
    transit = totals.pop("transit")
    totals["transit_days"] = round(transit.total_seconds() / 86400, 1) if transit is not None else None
    return totals


def _delivery_by_channel(f: ReportFilters) -> list[dict]:
    rows = (_shipments(f).values("order__channel__name").annotate(**_delivery_counts(timezone.now()))
            .order_by("order__channel__name"))
    return [
        {"channel": r["order__channel__name"], "parcels": r["parcels"], "due": r["due"],
         "late": r["due"] - r["on_time"], "late_rate": ratio_percent(r["due"] - r["on_time"], r["due"]),
         "delivered": r["delivered"], "within_eta": ratio_percent(r["within_eta"], r["with_eta"])}
        for r in rows
    ]


def _add_delivery(report: Report, f: ReportFilters) -> None:
    now, prev, ly = _delivery(f), _delivery(f.previous()), _delivery(f.last_year())
    report.kpis += kpis_from(
        [
            ("parcels_on_time", _("Parcels handed over by ship-by"), PERCENT,
             lambda t: ratio_percent(t["on_time"], t["due"])),
            ("delivered_within_eta", _("Delivered within the quoted ETA"), PERCENT,
             lambda t: ratio_percent(t["within_eta"], t["with_eta"])),
            ("transit_days", _("Dispatch to delivery (average days)"), DECIMAL, lambda t: t["transit_days"]),
        ],
        now, prev, ly, bad_when_up=frozenset({"transit_days"}),
    )
    report.notes.append(_("Delivered within the quoted ETA: parcels delivered at most one day after the courier's "
                          "longest estimate, counted from the hand-over."))
    report.tables.append(Table(
        "delivery_by_channel", _("Late Dispatch Rate and delivery within ETA per channel"),
        [Column("channel", _("Channel"), TEXT), Column("parcels", _("Parcels"), NUMBER),
         Column("due", _("Parcels due"), NUMBER), Column("late", _("Handed over late or overdue"), NUMBER),
         Column("late_rate", _("Late Dispatch Rate"), PERCENT), Column("delivered", _("Delivered"), NUMBER),
         Column("within_eta", _("Delivered within ETA"), PERCENT)],
        _delivery_by_channel(f),
    ))


# --- after-sales: cases against their SLA, returns, satisfaction ---------------------------------------

def _period_q(f: ReportFilters, field: str, order_prefix: str | None) -> Q:
    lo, hi = _bounds(f)
    q = Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    if order_prefix is not None:
        if f.channel_id:
            q &= Q(**{f"{order_prefix}channel_id": f.channel_id})
        if f.province:
            q &= Q(**{f"{order_prefix}shipping_province": f.province})
        if f.city:
            q &= Q(**{f"{order_prefix}shipping_city": f.city})
    return q


def _aftersales(f: ReportFilters, delivered_orders: int) -> dict:
    """`delivered_orders`: the kept orders of the period that were delivered (read with the dispatch figures)."""
    from aftersales.models import Case, ReturnRequest, ReturnStatus, Review, SurveyKind, SurveyResponse
    from orders.models import Order

    now = timezone.now()
    first_due = Q(first_response_due_at__isnull=False)
    first_decided = first_due & (Q(first_responded_at__isnull=False) | Q(first_response_due_at__lt=now))
    resolve_due = Q(resolution_due_at__isnull=False)
    resolve_decided = resolve_due & (Q(resolved_at__isnull=False)
                                     | Q(resolution_due_at__lt=now, sla_paused_at__isnull=True))
    cases = Case.objects.filter(_period_q(f, "created_at", "order__")).aggregate(
        cases=Count("pk"),
        complaints=Count("pk", filter=Q(kind="complaint")),
        first_decided=Count("pk", filter=first_decided),
        first_met=Count("pk", filter=first_due & Q(first_responded_at__lte=F("first_response_due_at"))),
        resolve_decided=Count("pk", filter=resolve_decided),
        resolve_met=Count("pk", filter=resolve_due & Q(resolved_at__lte=F("resolution_due_at"))),
    )
    cases["sla_breached"] = (cases["first_decided"] - cases["first_met"]) + (
        cases["resolve_decided"] - cases["resolve_met"])
    returned = ReturnRequest.objects.exclude(
        status__in=[ReturnStatus.REJECTED, ReturnStatus.CANCELLED])
    delivered = Order.objects.filter(_order_q(f, prefix=""), delivered_at__isnull=False).exclude(status="cancelled")
    # the returned orders found from the (few) return requests, not by a look at every delivered order
    orders = {"delivered": delivered_orders,
              "returned": delivered.filter(pk__in=returned.values("order_id")).count()}
    surveys = SurveyResponse.objects.filter(_period_q(f, "answered_at", "order__")).aggregate(
        csat=Count("pk", filter=Q(kind__in=[SurveyKind.CSAT_CASE, SurveyKind.CSAT_DELIVERY])),
        csat_satisfied=Count("pk", filter=Q(kind__in=[SurveyKind.CSAT_CASE, SurveyKind.CSAT_DELIVERY],
                                            score__gte=4)),
        nps=Count("pk", filter=Q(kind=SurveyKind.NPS)),
        promoters=Count("pk", filter=Q(kind=SurveyKind.NPS, score__gte=9)),
        detractors=Count("pk", filter=Q(kind=SurveyKind.NPS, score__lte=6)),
    )
    reviews = Review.objects.filter(_period_q(f, "reviewed_at", "order__")).aggregate(
        reviews=Count("pk"), avg_rating=Avg("rating"), low_ratings=Count("pk", filter=Q(rating__lte=2)))
    return {**cases, **orders, **surveys, **reviews}


def nps_score(promoters: int, detractors: int, answers: int):
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100..100; None without answers."""
    if not answers:
        return None
    return ratio_percent(promoters - detractors, answers)


def _add_aftersales(report: Report, f: ReportFilters, *, delivered: tuple[int, int, int]) -> None:
    now = _aftersales(f, delivered[0])
    prev, ly = _aftersales(f.previous(), delivered[1]), _aftersales(f.last_year(), delivered[2])
    report.kpis += kpis_from(
        [
            ("cases", _("Cases opened"), NUMBER, lambda t: t["cases"]),
            ("first_reply_sla", _("First replies within SLA"), PERCENT,
             lambda t: ratio_percent(t["first_met"], t["first_decided"])),
            ("resolution_sla", _("Cases resolved within SLA"), PERCENT,
             lambda t: ratio_percent(t["resolve_met"], t["resolve_decided"])),
            ("sla_breaches", _("SLA breaches"), NUMBER, lambda t: t["sla_breached"]),
            ("return_rate", _("Return rate"), PERCENT, lambda t: ratio_percent(t["returned"], t["delivered"])),
            ("csat", _("CSAT (satisfied, 4-5 of 5)"), PERCENT, lambda t: ratio_percent(t["csat_satisfied"], t["csat"])),
            ("nps", _("NPS"), DECIMAL, lambda t: nps_score(t["promoters"], t["detractors"], t["nps"])),
            ("rating", _("Average rating"), DECIMAL,
             lambda t: round(t["avg_rating"], 2) if t["avg_rating"] is not None else None),
        ],
        now, prev, ly, bad_when_up=frozenset({"cases", "sla_breaches", "return_rate"}),
    )
    report.notes.append(_("Return rate: delivered orders of the period with a return request that was not "
                          "rejected or cancelled. NPS: promoters (9-10) minus detractors (0-6), in points."))
