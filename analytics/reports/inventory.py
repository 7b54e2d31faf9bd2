"""Inventory (Persediaan): stock value at cost, turnover, days of cover, dead stock, stock-outs.

Stock is today's (StockLevel); the sales side comes from the product rollups over the range (whole
months from `VariantMonthly`, the edge days from `ProductDaily`).
Stock-outs: variants with nothing available now, with the sales they cost estimated as the days
since they last had stock (the ledger's last movement) × their average daily units before × price,
capped at the range.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils.translation import gettext as _

from analytics.filters import ReportFilters, today
from analytics.reports.base import DAYS, MONEY, NUMBER, TEXT, Chart, Column, Report, Table, kpis_from, month_cover
from core.money import divide_idr

DEAD_AFTER_DAYS = 90
LIST_LIMIT = 100


def _stock_rows(f: ReportFilters) -> list[dict]:
    where, params = ["TRUE"], {"start": f.start, "end": f.end, "dead_from": today() - timedelta(days=DEAD_AFTER_DAYS)}
    if f.warehouse_id:
        where.append("s.warehouse_id = %(warehouse)s")
        params["warehouse"] = f.warehouse_id
    if f.product_id:
        where.append("v.product_id = %(product)s")
        params["product"] = f.product_id
    if f.category:
        where.append("p.category = %(category)s")
        params["category"] = f.category
    sales_filter = ""
    if f.channel_id:
        sales_filter += " AND d.channel_id = %(channel)s"
        params["channel"] = f.channel_id
    if f.warehouse_id:
        sales_filter += " AND d.warehouse_id = %(warehouse)s"
    # The range's sales are read by day (the day index, rows stored in day order) and matched to
    # the variants afterwards; only a product or category filter narrows them by variant first
    # (per variant, the range's rows lie on as many heap pages as rows: 270,000 random reads for
    # 30 days at 1,000,000 orders).
    if f.product_id or f.category:
        sales_filter += " AND d.variant_id IN (SELECT variant_id FROM stock)"
    # Whole months from the month rollup (about 1/3 of the daily rows), the other days from the daily
    # one; a month mostly inside the range as the month minus its days outside (month_cover: the
    # default 30 days read one month and 8 days instead of 30 days, 110,000 ProductDaily rows).
    months, plus, minus = month_cover(f.start, f.end)
    parts = []
    for sign, ranges in (("", plus), ("-", minus)):
        if not ranges:
            continue
        days = []
        for a, b in ranges:
            i = len(params)
            params[f"d{i}a"], params[f"d{i}b"] = a, b
            days.append(f"d.day BETWEEN %(d{i}a)s AND %(d{i}b)s")
        parts.append(f"SELECT d.variant_id, {sign}d.units, {sign}d.cogs_amount FROM analytics_productdaily d "  # noqa: S608
                     f"WHERE ({' OR '.join(days)}){sales_filter}")
    if months:
        params["months"] = months
        parts.append("SELECT d.variant_id, d.units, d.cogs_amount FROM analytics_variantmonthly d "  # noqa: S608
                     f"WHERE d.month = ANY(%(months)s::date[]){sales_filter}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH stock AS (
                SELECT v.id AS variant_id, v.sku, p.name AS product, v.name AS variant, v.cost_amount, v.price_amount,
                       SUM(s.on_hand) AS on_hand, SUM(s.on_hand - s.reserved) AS available
                FROM catalog_productvariant v JOIN catalog_product p ON p.id = v.product_id
                JOIN catalog_stocklevel s ON s.variant_id = v.id
                WHERE {' AND '.join(where)}
                GROUP BY v.id, p.name
            ),
            sold AS (
                SELECT r.variant_id, SUM(r.units) AS units, SUM(r.cogs_amount) AS cogs
                FROM ({" UNION ALL ".join(parts)}) r
                GROUP BY r.variant_id
            )
            -- The last sale and the last movement of each variant: one backward index scan per
            -- variant ((variant_id, day) and (variant_id, created_at)), not an aggregate over all history.
            SELECT st.variant_id, st.sku, st.product, st.variant, st.cost_amount, st.price_amount, st.on_hand,
                   st.available, COALESCE(so.units, 0), COALESCE(so.cogs, 0),
                   (SELECT d.day FROM analytics_productdaily d WHERE d.variant_id = st.variant_id AND d.units > 0
                    ORDER BY d.day DESC LIMIT 1),
                   CASE WHEN st.available <= 0 THEN (SELECT MAX(m.created_at) FROM catalog_stockmovement m
                                                     WHERE m.variant_id = st.variant_id) END
            FROM stock st LEFT JOIN sold so ON so.variant_id = st.variant_id
            """,  # noqa: S608 (the WHERE parts are constants; values are parameters)
            params,
        )
        columns = ["variant_id", "sku", "product", "variant", "cost_amount", "price_amount", "on_hand", "available",
                   "units", "cogs", "last_sale", "last_move"]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def inventory_report(f: ReportFilters) -> Report:
    rows = _stock_rows(f)
    days = f.days
    value = sum(max(r["on_hand"], 0) * r["cost_amount"] for r in rows)
    cogs = sum(r["cogs"] for r in rows)
    units = sum(r["units"] for r in rows)
    on_hand = sum(max(r["on_hand"], 0) for r in rows)
    for r in rows:
        r["stock_value_amount"] = max(r["on_hand"], 0) * r["cost_amount"]
        daily = r["units"] / days if days else 0
        r["days_of_cover"] = round(r["available"] / daily) if daily > 0 and r["available"] > 0 else None
    report = Report(name="inventory", title=_("Inventory"), filters=f)
    report.kpis = kpis_from(
        [
            ("stock_value", _("Stock value at cost"), MONEY, lambda t: t["value"]),
            ("units_on_hand", _("Units on hand"), NUMBER, lambda t: t["on_hand"]),
            ("turnover_days", _("Days to sell the stock (at this range's pace)"), DAYS,
             lambda t: round(t["on_hand"] * t["days"] / t["units"]) if t["units"] else None),
            ("cogs", _("Cost of goods sold in the range"), MONEY, lambda t: t["cogs"]),
        ],
        {"value": value, "on_hand": on_hand, "units": units, "days": days, "cogs": cogs}, {}, {},
    )
    report.kpis.append(kpis_from([("turnover", _("Stock turnover in the range (COGS ÷ stock value)"), "decimal",
                                   lambda t: round(t["cogs"] / t["value"], 2) if t["value"] else None)],
                                 {"cogs": cogs, "value": value}, {}, {})[0])
    dead_from = today() - timedelta(days=DEAD_AFTER_DAYS)
    dead = sorted((r for r in rows if r["on_hand"] > 0 and (r["last_sale"] is None or r["last_sale"] < dead_from)),
                  key=lambda r: -r["stock_value_amount"])
    out = []
    for r in rows:
        if r["available"] > 0:
            continue
        since = r["last_move"].date() if r["last_move"] else f.start
        out_days = max(0, (min(today(), f.end) - max(since, f.start)).days)
        daily = r["units"] / days if days else 0
        r["out_days"] = out_days
        r["lost_units"] = round(daily * out_days)
        r["lost_sales_amount"] = r["lost_units"] * r["price_amount"]
        out.append(r)
    out.sort(key=lambda r: -r["lost_sales_amount"])
    cover = sorted((r for r in rows if r["days_of_cover"] is not None), key=lambda r: r["days_of_cover"])
    report.kpis.append(kpis_from([("dead_stock_value", _("Dead stock value (no sale in 90 days)"), MONEY,
                                   lambda t: t["v"])], {"v": sum(r["stock_value_amount"] for r in dead)}, {}, {})[0])
    report.kpis.append(kpis_from([("stockouts", _("Variants out of stock"), NUMBER, lambda t: t["n"])],
                                 {"n": len(out)}, {}, {})[0])
    report.kpis.append(kpis_from([("lost_sales", _("Sales lost to stock-outs (estimate)"), MONEY, lambda t: t["v"])],
                                 {"v": sum(r["lost_sales_amount"] for r in out)}, {}, {})[0])
    for kpi in report.kpis:
        kpi.good_when_up = kpi.key in ("turnover",)
    base_columns = [Column("sku", _("SKU"), TEXT), Column("product", _("Product"), TEXT),
                    Column("variant", _("Variant"), TEXT)]
    report.tables.append(Table(
        "days_of_cover", _("Days of cover (fewest first)"),
        [*base_columns, Column("available", _("Available"), NUMBER), Column("units", _("Units sold"), NUMBER),
         Column("days_of_cover", _("Days of cover"), DAYS), Column("stock_value_amount", _("Stock value"), MONEY)],
        [{k: r[k] for k in ("sku", "product", "variant", "available", "units", "days_of_cover", "stock_value_amount")}
         for r in cover[:LIST_LIMIT]],
    ))
    report.charts.append(Chart(
        "days_of_cover", _("Days of cover (fewest first)"), "bar", [r["sku"] for r in cover[:15]],
        [{"label": str(_("Days of cover")), "data": [r["days_of_cover"] for r in cover[:15]]}],
        table="days_of_cover",
    ))
    report.tables.append(Table(
        "dead_stock", _("Dead stock (no sale in 90 days)"),
        [*base_columns, Column("on_hand", _("On hand"), NUMBER),
         Column("stock_value_amount", _("Stock value"), MONEY), Column("last_sale", _("Last sale"), TEXT)],
        [{**{k: r[k] for k in ("sku", "product", "variant", "on_hand", "stock_value_amount")},
          "last_sale": r["last_sale"].isoformat() if r["last_sale"] else _("never")} for r in dead[:LIST_LIMIT]],
    ))
    report.tables.append(Table(
        "stockouts", _("Stock-outs and the sales they cost"),
        [*base_columns, Column("available", _("Available"), NUMBER), Column("out_days", _("Days out"), DAYS),
         Column("lost_units", _("Units not sold (estimate)"), NUMBER),
         Column("lost_sales_amount", _("Sales lost (estimate)"), MONEY)],
        [{k: r[k] for k in ("sku", "product", "variant", "available", "out_days", "lost_units", "lost_sales_amount")}
         for r in out[:LIST_LIMIT]],
    ))
    report.notes.append(_("Average cost per unit sold: %(cost)s.")
                        % {"cost": divide_idr(cogs, units) if units else "-"})
    return report
