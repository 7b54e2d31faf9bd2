"""Customers (Pelanggan): new vs returning, repeat purchases, cohorts, RFM, CLTV and churn risk."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from analytics.filters import ReportFilters
from analytics.models import CohortCell, CustomerScore, CustomerSegmentSummary, ModelFit
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
    grouped,
    kpis_from,
    month_split,
    order_source,
    period_labels,
    totals,
)
from core.money import divide_idr, ratio_percent

CHURN_LIST = 200
COHORT_MONTHS = 12


def _active(f: ReportFilters) -> dict[str, int]:
    """Customers with a kept order in the range, and how many of them have bought at least twice by its end."""
    if not (f.warehouse_id or f.province or f.city):
        return _active_counted(f)
    where = ["day BETWEEN %(start)s AND %(end)s", "orders = 1", "customer_id IS NOT NULL"]
    params = {"start": f.start, "end": f.end}
    for name in ("channel_id", "warehouse_id", "province", "city"):
        if getattr(f, name):
            where.append(f"{name} = %({name})s")
            params[name] = getattr(f, name)
    # A customer active here (any of their orders in the range matches the filter) has not bought
    # twice by the end only when their first kept order (new_customers, any channel or place) is one
    # of these orders and their next kept order (next_day) is after the end: a matching order that is
    # not the first means a first one before it. Each customer has one first order, so counting those
    # facts counts customers: one pass over the filtered facts instead of grouping every fact of the
    # range by customer and joining (about 90 ms per period on the 1M data set).
    with connection.cursor() as cursor:
        single = "COUNT(*) FILTER (WHERE new_customers = 1 AND (next_day IS NULL OR next_day > %(end)s))"
        sql = f"SELECT COUNT(DISTINCT customer_id), {single} FROM analytics_orderfact WHERE {' AND '.join(where)}"  # noqa: S608 (constants)
        cursor.execute(sql, params)
        active, single = cursor.fetchone()
    return {"active": active, "repeat": active - single}


def _active_counted(f: ReportFilters) -> dict[str, int]:
    """`_active` without a warehouse or place filter, by counting orders instead of grouping customers.

    Each customer who ordered in [s, e] (on the channel asked for) has exactly one order there whose
    previous kept order (on that channel) is before s; a customer who has not bought twice by e is
    one whose first kept order lies in [s, e] with the next one after e (or none). Whole months
    are counted from `ActivityMonthly`, the edge days from the order facts (`orderfact_activity`
    index): a year reads about 60,000 rollup rows instead of grouping 500,000 facts by customer.
    """
    from analytics.models import ActivityMonthly

    whole, edges = month_split(f.start, f.end)
    prev = "prev_channel_day" if f.channel_id else "prev_day"
    params = {"start": f.start, "end": f.end, "channel": f.channel_id,
              "kind": ActivityMonthly.PREV_CHANNEL if f.channel_id else ActivityMonthly.PREV,
              "first": ActivityMonthly.NEXT_OF_FIRST}
    channel = " AND channel_id = %(channel)s" if f.channel_id else ""
    active = single = 0
    with connection.cursor() as cursor:
        if whole:
            params.update(m0=whole[0], m1=whole[1])
            cursor.execute(
                "SELECT COALESCE(SUM(orders) FILTER "
                "(WHERE kind = %(kind)s AND (ref_day IS NULL OR ref_day < %(start)s)), 0), "
                "COALESCE(SUM(orders) FILTER (WHERE kind = %(first)s AND (ref_day IS NULL OR ref_day > %(end)s)), 0) "
                "FROM analytics_activitymonthly WHERE month BETWEEN %(m0)s AND %(m1)s AND kind IN (%(kind)s, %(first)s)"
                + channel,
                params,
            )
            a, b = cursor.fetchone()
            active, single = active + int(a), single + int(b)
        if edges:
            # One index-only scan of orderfact_activity per edge (UNION ALL): with the edges OR-ed in
            # one WHERE the planner took a bitmap heap scan of the order facts (a year's two edges,
            # 42,000 facts: 230 ms and 16,000 heap pages cold, against 15 ms; EXPLAIN ANALYZE, 1M data set).
            branches = []
            for i, (first, last) in enumerate(edges):
                params[f"e{i}a"], params[f"e{i}b"] = first, last
                branches.append(
                    f"SELECT {prev} AS prev, new_customers, next_day FROM analytics_orderfact "  # noqa: S608 (constants)
                    f"WHERE day BETWEEN %(e{i}a)s AND %(e{i}b)s AND orders = 1 AND customer_id IS NOT NULL" + channel
                )
            counts = ("COUNT(*) FILTER (WHERE prev IS NULL OR prev < %(start)s), "
                      "COUNT(*) FILTER (WHERE new_customers = 1 AND (next_day IS NULL OR next_day > %(end)s))")
            cursor.execute(f"SELECT {counts} FROM ({' UNION ALL '.join(branches)}) e", params)  # noqa: S608 (constants)
            a, b = cursor.fetchone()
            active, single = active + int(a), single + int(b)
    return {"active": active, "repeat": active - single}


def _customer_totals(f: ReportFilters) -> dict:
    t = totals(f.__class__(**{**f.__dict__, "product_id": None, "category": ""}))
    t.update(_active(f))
    return t


def customers_report(f: ReportFilters) -> Report:
    now, prev, ly = compare(f, _customer_totals)
    report = Report(name="customers", title=_("Customers"), filters=f)
    report.kpis = kpis_from(
        [
            ("active", _("Customers who ordered"), NUMBER, lambda t: t["active"]),
            ("new", _("New customers"), NUMBER, lambda t: t["new_customers"]),
            ("returning_orders", _("Orders from returning customers"), NUMBER, lambda t: t["returning_orders"]),
            ("returning_share", _("Share of orders from returning customers"), PERCENT,
             lambda t: ratio_percent(t["returning_orders"], t["orders"])),
            ("repeat_rate", _("Repeat-purchase rate"), PERCENT, lambda t: ratio_percent(t["repeat"], t["active"])),
            ("net_per_customer", _("Net revenue per customer"), MONEY,
             lambda t: divide_idr(t["net_amount"], t["active"])),
        ],
        now, prev, ly,
    )
    if f.has_product:
        report.notes.append(_("Customer figures are for the whole shop; the product filter does not apply to them."))
    rows = grouped(order_source(f.__class__(**{**f.__dict__, "product_id": None, "category": ""})), "period",
                   ("new_customers", "returning_orders", "orders"), granularity=f.granularity)
    by_period = {as_date(r["period"]): r for r in rows}
    table_rows = [
        {"period": day.isoformat(), "new_customers": int(by_period.get(day, {}).get("new_customers", 0)),
         "returning_orders": int(by_period.get(day, {}).get("returning_orders", 0)),
         "orders": int(by_period.get(day, {}).get("orders", 0))}
        for day in period_labels(f)
    ]
    report.tables.append(Table(
        "new_vs_returning", _("New and returning customers"),
        [Column("period", _("Period"), TEXT), Column("new_customers", _("New customers"), NUMBER),
         Column("returning_orders", _("Orders from returning customers"), NUMBER),
         Column("orders", _("Orders"), NUMBER)],
        table_rows,
    ))
    report.charts.append(Chart(
        "new_vs_returning", _("New and returning customers"), "bar", [r["period"] for r in table_rows],
        [{"label": str(_("New customers")), "data": [r["new_customers"] for r in table_rows]},
         {"label": str(_("Orders from returning customers")), "data": [r["returning_orders"] for r in table_rows]}],
        table="new_vs_returning",
    ))
    report.tables.append(_cohorts(f))
    fit = ModelFit.objects.first()
    if fit is None:
        report.notes.append(_("The customer model has not run yet (it runs every night)."))
    else:
        report.notes.append(
            _("Customer model of %(when)s: %(n)s customers in %(s)s s.")
            % {"when": fit.fitted_at.strftime("%Y-%m-%d %H:%M"), "n": fit.customers, "s": round(fit.seconds, 1)}
        )
        if fit.error:
            report.notes.append(_("CLTV could not be predicted: %(error)s") % {"error": fit.error})
    segments, overall = _segments()
    labels = dict(CustomerScore.Segment.choices)
    seg_rows = [
        {"segment": str(labels.get(s["segment"], s["segment"])), "customers": s["customers"],
         "historical_value_amount": int(s["value"] or 0), "predicted_value_amount": int(s["predicted"] or 0),
         "probability_alive": ratio_percent(s["alive"] or 0, 1)}
        for s in segments
    ]
    report.tables.append(Table(
        "rfm_segments", _("RFM segments"),
        [Column("segment", _("Segment"), TEXT), Column("customers", _("Customers"), NUMBER),
         Column("historical_value_amount", _("Historical value"), MONEY),
         Column("predicted_value_amount", _("Predicted value (12 months)"), MONEY),
         Column("probability_alive", _("Probability alive"), PERCENT)],
        seg_rows,
    ))
    report.charts.append(Chart(
        "rfm_segments", _("Customers per RFM segment"), "pie", [r["segment"] for r in seg_rows],
        [{"label": str(_("Customers")), "data": [r["customers"] for r in seg_rows]}], table="rfm_segments",
    ))
    if overall["n"]:
        report.kpis += [
            kpis_from([("cltv_historical", _("CLTV to date (average)"), MONEY,
                        lambda t: divide_idr(int(t["hist"] or 0), t["n"]))], overall, {}, {})[0],
            kpis_from([("cltv_predicted", _("Predicted CLTV, 12 months (average)"), MONEY,
                        lambda t: divide_idr(int(t["pred"] or 0), t["n"]))], overall, {}, {})[0],
            kpis_from([("p_alive", _("Probability alive (average)"), PERCENT,
                        lambda t: ratio_percent(t["alive"] or 0, 1))], overall, {}, {})[0],
        ]
    report.tables.append(Table(
        "top_customers", _("Highest predicted value"),
        _customer_columns(), _customer_rows(CustomerScore.objects.order_by("-predicted_value_amount", "pk")[:20]),
    ))
    report.tables.append(Table(
        "churn_risk", _("Churn risk: overdue against their own purchase interval"),
        _customer_columns(with_overdue=True),
        _customer_rows(CustomerScore.objects.filter(churn_risk=True)
                       .order_by("-predicted_value_amount", "-historical_value_amount", "pk")[:CHURN_LIST]),
        note=_("Export this list for a win-back campaign (the after-sales campaigns take it as a segment)."),
    ))
    return report


def _segments() -> tuple[list[dict], dict]:
    """Customers, value and mean probability alive per RFM segment (most customers first) and over all.

    Read from CustomerSegmentSummary, written with the scores by the nightly fit (about a dozen
    rows), instead of aggregating every CustomerScore per request (about 50 ms on 164,354 scores).
    """
    rows = [
        {"segment": r.segment, "customers": r.customers, "value": r.historical_value_amount,
         "predicted": r.predicted_value_amount,
         "alive": r.probability_alive_sum / r.customers if r.customers else None}
        for r in CustomerSegmentSummary.objects.all()
    ]
    segments = sorted((r for r in rows if r["segment"]), key=lambda s: (-s["customers"], s["segment"]))
    total = next((r for r in rows if not r["segment"]), None)
    overall = ({"n": total["customers"], "hist": total["value"], "pred": total["predicted"], "alive": total["alive"]}
               if total else {"n": 0})
    return segments, overall


def _customer_columns(*, with_overdue: bool = False) -> list[Column]:
    columns = [
        Column("customer", _("Customer"), TEXT), Column("phone", _("Phone"), TEXT),
        Column("segment", _("Segment"), TEXT), Column("orders", _("Orders"), NUMBER),
        Column("historical_value_amount", _("Historical value"), MONEY),
        Column("predicted_value_amount", _("Predicted value (12 months)"), MONEY),
        Column("probability_alive", _("Probability alive"), PERCENT),
    ]
    if with_overdue:
        columns += [Column("recency_days", _("Days since last order"), NUMBER),
                    Column("expected_interval_days", _("Usual interval (days)"), NUMBER),
                    Column("overdue_days", _("Days overdue"), NUMBER)]
    return columns


SCORE_FIELDS = ("customer_id", "segment", "historical_value_amount", "predicted_value_amount", "probability_alive",
                "recency_days", "expected_interval_days", "overdue_days")


def _customer_rows(scores) -> list[dict]:
    """The listed customers' rows; read as values, not model instances (220 CustomerScore and Customer
    objects cost about 15 ms of the customers page)."""
    from analytics.models import CustomerFact
    from orders.models import Customer

    scores = list(scores.values(*SCORE_FIELDS))
    ids = [s["customer_id"] for s in scores]
    customers = {pk: (name, phone) for pk, name, phone in
                 Customer.objects.filter(pk__in=ids).values_list("pk", "name", "phone")}
    orders = dict(CustomerFact.objects.filter(customer_id__in=ids).values_list("customer_id", "orders"))
    labels = dict(CustomerScore.Segment.choices)
    rows = []
    for s in scores:
        name, phone = customers.get(s["customer_id"], (s["customer_id"], ""))
        rows.append({
            "customer_id": s["customer_id"], "customer": name, "phone": phone,
            "segment": str(labels.get(s["segment"], s["segment"])),
            "orders": orders.get(s["customer_id"], 0), "historical_value_amount": s["historical_value_amount"],
            "predicted_value_amount": s["predicted_value_amount"],
            "probability_alive": ratio_percent(s["probability_alive"], 1), "recency_days": s["recency_days"],
            "expected_interval_days": s["expected_interval_days"], "overdue_days": s["overdue_days"],
        })
    return rows


def _cohorts(f: ReportFilters) -> Table:
    cells = CohortCell.objects.filter(first_channel_id=f.channel_id) if f.channel_id else \
        CohortCell.objects.filter(first_channel_id__isnull=True)
    end_month = f.end.replace(day=1)
    cells = cells.filter(cohort_month__lte=end_month, month_index__lte=COHORT_MONTHS)
    months = sorted({c.cohort_month for c in cells}, reverse=True)[:COHORT_MONTHS]
    by = {(c.cohort_month, c.month_index): c for c in cells if c.cohort_month in months}
    rows = []
    for month in sorted(months):
        size = by.get((month, 0))
        if size is None:
            continue
        row = {"cohort": month.strftime("%Y-%m"), "customers": size.customers}
        for i in range(1, COHORT_MONTHS + 1):
            cell = by.get((month, i))
            row[f"m{i}"] = ratio_percent(cell.customers, size.customers) if cell else None
        rows.append(row)
    return Table(
        "cohorts", _("Retention by first-order month (share of the cohort ordering again)"),
        [Column("cohort", _("First order"), TEXT), Column("customers", _("Customers"), NUMBER),
         *[Column(f"m{i}", _("Month %(n)s") % {"n": i}, PERCENT) for i in range(1, COHORT_MONTHS + 1)]],
        rows,
        note=_("Computed every night with the customer model; with a channel chosen, the customers acquired there."),
    )

