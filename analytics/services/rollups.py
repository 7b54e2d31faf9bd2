"""Incremental maintenance of the facts and daily rollups.

The unit of work is a key (Jakarta day, channel). A change to an order marks its key dirty
(`rollup_mark_orders`, from the orders hooks after commit, and from a scan of the append-only
order events and refunds, which also catches changes that no hook reports); `rollup_refresh`,
run by Celery beat every few seconds, claims dirty keys and recomputes everything derived from
them from the source rows:

1. the facts of every order placed on that day through that channel (`OrderFact`, `LineFact`),
   with the cost of goods valid at the order's `placed_at` and the order-level amounts allocated
   to its lines;
2. the `CustomerFact` of every customer touched, and each of their orders' new/returning flag
   (a cancellation can make a later order the customer's first: its key is added);
3. the rollups (`SalesDaily`, `GeoDaily`, `ProductDaily`, `CategoryDaily`) of every key, by SQL aggregation;
4. the month-grain rollups (`ProductMonthly`, `VariantMonthly`, `GeoMonthly`, `CategoryMonthly` summed from
   the daily rollups, `ActivityMonthly` counted from the order facts) of every (month, channel) of those keys.

Before the keys, the category rollups of every category that gained or lost a product since the
last refresh are recomputed whole (`_categories_refresh`: the catalog's categories against
`ProductCategory`, the mapping the rollups were computed with).

A cost change is recorded with the moment it is made (catalog's VariantCostHistory.effective_at),
so it never changes the cost of an order already placed, and needs no mark; a change of a channel's
packing cost does (rollup_mark_packing_changes).

The same statements rebuild everything (`rollup_rebuild` marks every key), so the rollups always
equal a from-scratch recomputation (tests/analytics/test_rollups_property.py). The whole pass is
hand-written SQL: set-based INSERT ... SELECT over all claimed keys at once, one statement per
table, instead of reading the rows into Python (the rebuild of 1,000,000 orders is minutes, not hours).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from analytics.services.dispatch import dispatch_recompute, dispatch_truncate

logger = logging.getLogger(__name__)

TZ = "Asia/Jakarta"
# A refresh claims at most this many keys (days × channels); the rest wait for the next run.
BATCH_KEYS = 2000
# The safety-net scan of order events and refunds re-reads this much before the last scan, so a
# transaction that committed late (its rows carry an earlier timestamp) is still seen.
SCAN_OVERLAP = timedelta(minutes=10)
SCAN_CACHE_KEY = "analytics:rollup-scan-since"
# pg_advisory_xact_lock key: one refresh at a time (a second worker's run returns at once).
LOCK_KEY = 7_310_013

Key = tuple[date, int]
DERIVED_TABLES = ("analytics_orderfact", "analytics_linefact", "analytics_customerfact", "analytics_salesdaily",
                  "analytics_geodaily", "analytics_productdaily")
# Month-grain rollups, summed from the daily ones for every (month, channel) a refresh touches.
DERIVED_TABLES += ("analytics_productmonthly", "analytics_geomonthly", "analytics_activitymonthly",
                   "analytics_variantmonthly")
DERIVED_TABLES += ("analytics_productcategory", "analytics_categorydaily", "analytics_categorymonthly")


@dataclass(frozen=True)
class RefreshResult:
    keys: int
    orders: int
    remaining: int


# --- marking -------------------------------------------------------------------------------


def rollup_mark_orders(*, order_ids: Iterable[int]) -> int:
    """Mark the (day, channel) keys of these orders dirty; one statement, safe to repeat."""
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO analytics_dirtykey (day, channel_id, marked_at)
            SELECT DISTINCT (o.placed_at AT TIME ZONE 'Asia/Jakarta')::date, o.channel_id, now()
            FROM orders_order o WHERE o.id = ANY(%s)
            ON CONFLICT (day, channel_id) DO NOTHING
            """,
            [ids],
        )
        return cursor.rowcount


def rollup_mark_keys(*, keys: Iterable[Key]) -> int:
    keys = sorted(set(keys))
    if not keys:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO analytics_dirtykey (day, channel_id, marked_at)
            SELECT k.day, k.channel_id, now() FROM unnest(%s::date[], %s::bigint[]) AS k(day, channel_id)
            ON CONFLICT (day, channel_id) DO NOTHING
            """,
            [[k[0] for k in keys], [k[1] for k in keys]],
        )
        return cursor.rowcount


def rollup_mark_all() -> int:
    """Mark every (day, channel) that has an order or a fact (a full rebuild on the next refresh)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO analytics_dirtykey (day, channel_id, marked_at)
            SELECT day, channel_id, now() FROM (
                SELECT DISTINCT (placed_at AT TIME ZONE 'Asia/Jakarta')::date AS day, channel_id FROM orders_order
                UNION SELECT day, channel_id FROM analytics_orderfact
            ) k
            ON CONFLICT (day, channel_id) DO NOTHING
            """
        )
        return cursor.rowcount


def rollup_scan_changes(*, since=None) -> int:
    """Mark the keys of orders with an order event, a refund or a changed shipment since `since`.

    Every order change writes an OrderEvent (and every refund a Refund row; every shipment change
    bumps its updated_at), so this catches what no hook reports (notes, marketplace edits,
    refunds, a courier's cost after a weight dispute) within one refresh interval.
    """
    from django.core.cache import cache

    now = timezone.now()
    if since is None:
        since = cache.get(SCAN_CACHE_KEY) or now - timedelta(hours=1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO analytics_dirtykey (day, channel_id, marked_at)
            SELECT DISTINCT (o.placed_at AT TIME ZONE 'Asia/Jakarta')::date, o.channel_id, now()
            FROM orders_order o
            WHERE o.id IN (
                SELECT e.order_id FROM orders_orderevent e WHERE e.created_at >= %(since)s
                UNION SELECT r.order_id FROM payments_refund r WHERE r.created_at >= %(since)s
                UNION SELECT s.order_id FROM shipping_shipment s WHERE s.updated_at >= %(since)s
            )
            ON CONFLICT (day, channel_id) DO NOTHING
            """,
            {"since": since - SCAN_OVERLAP},
        )
        marked = cursor.rowcount
    cache.set(SCAN_CACHE_KEY, now, timeout=7 * 24 * 3600)
    return marked


def rollup_mark_packing_changes() -> int:
    """Mark every key of a channel whose packing cost changed since the last look.

    The packing cost is the channel's catalog setting (no history is kept), applied to the facts
    when they are computed; a change re-applies it to the channel's past orders so the rollups
    stay equal to a recomputation.
    """
    from django.core.cache import cache

    from catalog.models import ChannelCatalogSettings

    current = {str(c): a for c, a in ChannelCatalogSettings.objects.values_list("channel_id", "packaging_cost_amount")}
    seen = cache.get("analytics:packing-costs")
    cache.set("analytics:packing-costs", current, timeout=None)
    if seen is None:
        return 0
    changed = [int(c) for c in set(current) | set(seen) if current.get(c, 0) != seen.get(c, 0)]
    if not changed:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO analytics_dirtykey (day, channel_id, marked_at)
            SELECT DISTINCT day, channel_id, now() FROM analytics_salesdaily WHERE channel_id = ANY(%s)
            ON CONFLICT (day, channel_id) DO NOTHING
            """,
            [changed],
        )
        return cursor.rowcount


# --- recomputing ---------------------------------------------------------------------------

# Seller-paid shipping: what the seller pays couriers for the order's parcels (shipping's
# Shipment.cost_amount, both directions, cancelled parcels excepted) beyond the shipping the
# buyer paid (the order's shipping_amount), never below zero; allocated to lines like packing.
# A parcel whose cost changes (booking, weight dispute) is caught by rollup_scan_changes.
ROLLUP_READS_SHIPPING_COSTS = True

# The facts of the orders of the claimed keys. `%(days)s`/`%(channels)s` are the keys as arrays.
_SELECT_ORDERS = """
    WITH keys AS (
        SELECT k.day, k.channel_id,
               (k.day::timestamp AT TIME ZONE 'Asia/Jakarta') AS t0,
               ((k.day + 1)::timestamp AT TIME ZONE 'Asia/Jakarta') AS t1
        FROM unnest(%(days)s::date[], %(channels)s::bigint[]) AS k(day, channel_id)
    ),
    -- The orders of the keys' days, by a range scan of the placed_at index per day (joining on the
    -- channel as well lets the planner merge-join every key with every order of its channel).
    key_orders AS MATERIALIZED (
        SELECT d.day AS key_day, o.*
        FROM (SELECT DISTINCT day, t0, t1 FROM keys) d
        JOIN orders_order o ON o.placed_at >= d.t0 AND o.placed_at < d.t1
    ),
    o AS (
        SELECT o.id, k.day, o.channel_id, o.customer_id, o.status, o.placed_at,
               o.status = 'cancelled' AS cancelled,
               COALESCE(NULLIF(o.shipping_province, ''), c.province, '') AS province,
               COALESCE(NULLIF(o.shipping_city, ''), c.city, '') AS city,
               o.discount_amount AS order_discount, o.marketplace_fee_amount AS fee, o.shipping_amount,
               COALESCE(cs.packaging_cost_amount, 0) AS packing,
               GREATEST(COALESCE((SELECT SUM(s.cost_amount) FROM shipping_shipment s
                                  WHERE s.order_id = o.id AND s.status <> 'cancelled'), 0)
                        - o.shipping_amount, 0) AS ship_cost,
               COALESCE((SELECT SUM(r.amount) FROM payments_refund r
                         WHERE r.order_id = o.id AND r.kind <> 'overpayment'), 0) AS refund,
               (SELECT m.warehouse_id FROM catalog_stockmovement m
                WHERE m.reference = 'order:' || o.id AND m.kind = 'reserve'
                GROUP BY m.warehouse_id ORDER BY SUM(m.reserved_change) DESC, m.warehouse_id LIMIT 1) AS warehouse_id
        FROM key_orders o
        JOIN keys k ON k.day = o.key_day AND k.channel_id = o.channel_id
        LEFT JOIN orders_customer c ON c.id = o.customer_id
        LEFT JOIN catalog_channelcatalogsettings cs ON cs.channel_id = o.channel_id
    ),
    l0 AS (
        SELECT l.id, l.order_id, l.variant_id, v.product_id, l.sku, l.quantity,
               l.unit_price_amount * l.quantity AS gross, l.discount_amount AS line_discount,
               COALESCE(
                   (SELECT h.cost_amount FROM catalog_variantcosthistory h
                    WHERE h.variant_id = l.variant_id AND h.effective_at <= o.placed_at
                    ORDER BY h.effective_at DESC, h.id DESC LIMIT 1),
                   (SELECT COALESCE(NULLIF(h.previous_amount, 0), h.cost_amount) FROM catalog_variantcosthistory h
                    WHERE h.variant_id = l.variant_id ORDER BY h.effective_at, h.id LIMIT 1),
                   v.cost_amount, 0) AS unit_cost,
               GREATEST(l.unit_price_amount * l.quantity - l.discount_amount, 0) AS w,
               ROW_NUMBER() OVER (PARTITION BY l.order_id ORDER BY l.id DESC) AS rn_last,
               ROW_NUMBER() OVER (PARTITION BY l.order_id, l.variant_id ORDER BY l.id) AS rn_variant
        FROM o JOIN orders_orderline l ON l.order_id = o.id
        LEFT JOIN catalog_productvariant v ON v.id = l.variant_id
    ),
    l1 AS (
        SELECT l0.*,
               CASE WHEN SUM(w) OVER (PARTITION BY order_id) > 0 THEN w ELSE 1 END AS wt,
               CASE WHEN SUM(w) OVER (PARTITION BY order_id) > 0 THEN SUM(w) OVER (PARTITION BY order_id)
                    ELSE COUNT(*) OVER (PARTITION BY order_id) END AS wsum
        FROM l0
    ),
    l2 AS (
        SELECT l1.*, o.day, o.channel_id, o.warehouse_id, o.province, o.city, o.cancelled,
               floor(o.order_discount::numeric * wt / wsum)::bigint AS a_discount,
               floor(o.fee::numeric * wt / wsum)::bigint AS a_fee,
               floor(o.refund::numeric * wt / wsum)::bigint AS a_refund,
               floor(o.packing::numeric * wt / wsum)::bigint AS a_packing,
               floor(o.shipping_amount::numeric * wt / wsum)::bigint AS a_shipping,
               floor(o.ship_cost::numeric * wt / wsum)::bigint AS a_ship_cost,
               o.order_discount, o.fee, o.refund, o.packing, o.shipping_amount, o.ship_cost
        FROM l1 JOIN o ON o.id = l1.order_id
    ),
    -- The last line of an order takes the rounding remainder, so the lines sum to the order exactly.
    l3 AS (
        SELECT l2.*,
               line_discount + a_discount + CASE WHEN rn_last = 1
                   THEN order_discount - SUM(a_discount) OVER (PARTITION BY order_id) ELSE 0 END AS discount_x,
               a_fee + CASE WHEN rn_last = 1 THEN fee - SUM(a_fee) OVER (PARTITION BY order_id) ELSE 0 END AS fee_x,
               a_refund + CASE WHEN rn_last = 1
                   THEN refund - SUM(a_refund) OVER (PARTITION BY order_id) ELSE 0 END AS refund_x,
               a_packing + CASE WHEN rn_last = 1
                   THEN packing - SUM(a_packing) OVER (PARTITION BY order_id) ELSE 0 END AS packing_x,
               a_shipping + CASE WHEN rn_last = 1
                   THEN shipping_amount - SUM(a_shipping) OVER (PARTITION BY order_id) ELSE 0 END AS shipping_x,
               a_ship_cost + CASE WHEN rn_last = 1
                   THEN ship_cost - SUM(a_ship_cost) OVER (PARTITION BY order_id) ELSE 0 END AS ship_cost_x,
               quantity * unit_cost AS cogs_x
        FROM l2
    ),
    lf AS (
        SELECT id AS line_id, order_id, day, channel_id, warehouse_id, province, city, variant_id, product_id, sku,
               unit_cost AS unit_cost_amount,
               CASE WHEN cancelled THEN 0 WHEN rn_variant = 1 THEN 1 ELSE 0 END AS orders,
               CASE WHEN cancelled AND rn_variant = 1 THEN 1 ELSE 0 END AS cancelled_orders,
               CASE WHEN cancelled THEN 0 ELSE quantity END AS units,
               CASE WHEN cancelled THEN 0 ELSE gross END AS gross_amount,
               CASE WHEN cancelled THEN 0 ELSE discount_x END AS discount_amount,
               CASE WHEN cancelled THEN 0 ELSE refund_x END AS refund_amount,
               CASE WHEN cancelled THEN 0 ELSE fee_x END AS fee_amount,
               CASE WHEN cancelled THEN 0 ELSE gross - discount_x - refund_x - fee_x END AS net_amount,
               CASE WHEN cancelled THEN 0 ELSE shipping_x END AS shipping_charged_amount,
               CASE WHEN cancelled THEN 0 ELSE ship_cost_x END AS shipping_cost_amount,
               CASE WHEN cancelled THEN 0 ELSE packing_x END AS packing_amount,
               CASE WHEN cancelled THEN 0 ELSE cogs_x END AS cogs_amount,
               CASE WHEN cancelled THEN 0
                    ELSE gross - discount_x - refund_x - fee_x - cogs_x - packing_x - ship_cost_x END AS margin_amount
        FROM l3
    ),
    ins_lines AS (
        INSERT INTO analytics_linefact (
            line_id, order_id, day, channel_id, warehouse_id, province, city, variant_id, product_id, sku,
            unit_cost_amount, orders, cancelled_orders, units, gross_amount, discount_amount, refund_amount,
            fee_amount, net_amount, shipping_charged_amount, shipping_cost_amount, packing_amount, cogs_amount,
            margin_amount)
        SELECT * FROM lf
        RETURNING 1
    ),
    per_order AS (
        SELECT order_id, SUM(quantity) AS units, SUM(gross) AS gross, SUM(line_discount) AS line_discount,
               SUM(cogs_x) AS cogs
        FROM l3 GROUP BY order_id
    ),
    ofx AS (
        SELECT o.*, COALESCE(p.units, 0) AS units, COALESCE(p.gross, 0) AS gross,
               COALESCE(p.line_discount, 0) + o.order_discount AS discount, COALESCE(p.cogs, 0) AS cogs
        FROM o LEFT JOIN per_order p ON p.order_id = o.id
    )
    INSERT INTO analytics_orderfact (
        order_id, day, channel_id, warehouse_id, customer_id, province, city, status, placed_at,
        orders, cancelled_orders, units, gross_amount, discount_amount, refund_amount, fee_amount, net_amount,
        shipping_charged_amount, shipping_cost_amount, packing_amount, cogs_amount, margin_amount,
        new_customers, returning_orders, loss_orders)
    SELECT id, day, channel_id, warehouse_id, customer_id, province, city, status, placed_at,
           CASE WHEN cancelled THEN 0 ELSE 1 END,
           CASE WHEN cancelled THEN 1 ELSE 0 END,
           CASE WHEN cancelled THEN 0 ELSE units END,
           CASE WHEN cancelled THEN 0 ELSE gross END,
           CASE WHEN cancelled THEN 0 ELSE discount END,
           CASE WHEN cancelled THEN 0 ELSE refund END,
           CASE WHEN cancelled THEN 0 ELSE fee END,
           CASE WHEN cancelled THEN 0 ELSE gross - discount - refund - fee END,
           CASE WHEN cancelled THEN 0 ELSE shipping_amount END,
           CASE WHEN cancelled THEN 0 ELSE ship_cost END,
           CASE WHEN cancelled THEN 0 ELSE packing END,
           CASE WHEN cancelled THEN 0 ELSE cogs END,
           CASE WHEN cancelled THEN 0 ELSE gross - discount - refund - fee - cogs - packing - ship_cost END,
           0, 0,
           CASE WHEN NOT cancelled AND gross - discount - refund - fee - cogs - packing - ship_cost < 0
                THEN 1 ELSE 0 END
    FROM ofx
    RETURNING customer_id
"""

_MEASURES = (
    "orders", "cancelled_orders", "units", "gross_amount", "discount_amount", "refund_amount", "fee_amount",
    "net_amount", "shipping_charged_amount", "shipping_cost_amount", "packing_amount", "cogs_amount", "margin_amount",
)
_CUSTOMER_MEASURES = ("new_customers", "returning_orders", "loss_orders")


def _rollup_sql(table: str, source: str, dims: tuple[str, ...], measures: tuple[str, ...]) -> tuple[str, str]:
    sums = ", ".join(f"SUM({m})" for m in measures)
    cols = ", ".join((*dims, *measures))
    keys_filter = "(day, channel_id) IN (SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[]))"
    delete = f"DELETE FROM {table} WHERE {keys_filter}"  # noqa: S608 (table names are constants)
    insert = (
        f"INSERT INTO {table} ({cols}) SELECT {', '.join(dims)}, {sums} FROM {source} "  # noqa: S608
        f"WHERE {keys_filter} GROUP BY {', '.join(dims)} "
        # Rows stored in day order: a range of days is read from a few heap pages, not from every
        # page of the table (30 days of ProductDaily: 2,800 pages instead of 20,700, 225 -> 79 ms).
        "ORDER BY day, channel_id"
    )
    return delete, insert


_ROLLUPS = [
    _rollup_sql("analytics_salesdaily", "analytics_orderfact", ("day", "channel_id", "warehouse_id"),
                _MEASURES + _CUSTOMER_MEASURES),
    _rollup_sql("analytics_geodaily", "analytics_orderfact", ("day", "channel_id", "province", "city"),
                _MEASURES + _CUSTOMER_MEASURES),
    _rollup_sql("analytics_productdaily", "analytics_linefact",
                ("day", "channel_id", "warehouse_id", "variant_id", "product_id"), _MEASURES),
]


_CATEGORY_MEASURES = ("category_orders", "category_cancelled_orders")


def _category_daily_insert(where: str) -> str:
    """CategoryDaily from the line facts of the products in ProductCategory, for the rows `where` picks.

    The distinct orders are counted here once per (day, channel, warehouse, category) instead of over
    the line facts for every period a report shows (a category over 30 days, three periods: about
    40 ms of the sales page on the 1M data set); an order lies on one day, channel and warehouse, so
    the counts add up over days, channels and warehouses.
    """
    return (
        f"INSERT INTO analytics_categorydaily (day, channel_id, warehouse_id, category, "  # noqa: S608 (constants)
        f"{', '.join(_MEASURES + _CATEGORY_MEASURES)}) "
        f"SELECT l.day, l.channel_id, l.warehouse_id, pc.category, {', '.join(f'SUM(l.{m})' for m in _MEASURES)}, "
        "COUNT(DISTINCT l.order_id) FILTER (WHERE l.units > 0), COUNT(DISTINCT l.order_id) FILTER (WHERE l.units = 0) "
        "FROM analytics_linefact l JOIN analytics_productcategory pc ON pc.product_id = l.product_id "
        f"WHERE {where} GROUP BY l.day, l.channel_id, l.warehouse_id, pc.category ORDER BY l.day, l.channel_id"
    )


CATEGORY_DAILY_KEYS = _category_daily_insert(
    "(l.day, l.channel_id) IN (SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[]))")
CATEGORY_DAILY_CATEGORIES = _category_daily_insert("pc.category = ANY(%(categories)s)")
CATEGORY_MONTHLY_CATEGORIES = (
    "INSERT INTO analytics_categorymonthly (month, channel_id, warehouse_id, category, "  # noqa: S608 (constants)
    f"{', '.join(_MEASURES + _CATEGORY_MEASURES)}) "
    "SELECT date_trunc('month', day)::date, channel_id, warehouse_id, category, "
    f"{', '.join(f'SUM({m})' for m in _MEASURES + _CATEGORY_MEASURES)} FROM analytics_categorydaily "
    "WHERE category = ANY(%(categories)s) GROUP BY 1, channel_id, warehouse_id, category ORDER BY 1, channel_id"
)


def _categories_refresh(cursor) -> list[str]:
    """Bring ProductCategory up to the catalog and recompute the category rollups of every category
    that gained or lost a product (a product moved, given a category, deleted); the categories."""
    cursor.execute(
        """
        SELECT COALESCE(c.id, s.product_id), c.category, s.category
        FROM (SELECT id, category FROM catalog_product WHERE category <> '') c
        FULL JOIN analytics_productcategory s ON s.product_id = c.id
        WHERE c.category IS DISTINCT FROM s.category
        """
    )
    changed = cursor.fetchall()
    if not changed:
        return []
    products = [row[0] for row in changed]
    categories = sorted({name for row in changed for name in row[1:] if name})
    cursor.execute("DELETE FROM analytics_productcategory WHERE product_id = ANY(%s)", [products])
    cursor.execute(
        "INSERT INTO analytics_productcategory (product_id, category) SELECT * FROM unnest(%s::bigint[], %s::text[])",
        [[row[0] for row in changed if row[1]], [row[1] for row in changed if row[1]]],
    )
    params = {"categories": categories}
    for table in ("analytics_categorydaily", "analytics_categorymonthly"):
        cursor.execute(f"DELETE FROM {table} WHERE category = ANY(%(categories)s)", params)  # noqa: S608 (constants)
    cursor.execute(CATEGORY_DAILY_CATEGORIES, params)
    cursor.execute(CATEGORY_MONTHLY_CATEGORIES, params)
    return categories


def _key_params(keys: list[Key]) -> dict:
    return {"days": [k[0] for k in keys], "channels": [k[1] for k in keys]}


def _recompute(keys: list[Key]) -> int:
    """Steps 1-3 of the module docstring for `keys`, inside the caller's transaction."""
    params = _key_params(keys)
    with connection.cursor() as cursor:
        # Facts of orders that left these keys (an order's day or channel never changes in the
        # services; a direct edit would) are found by order id, and their old keys recomputed too.
        cursor.execute(
            """
            DELETE FROM analytics_orderfact f
            WHERE (f.day, f.channel_id) IN (SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[]))
            RETURNING f.customer_id
            """,
            params,
        )
        customers = {row[0] for row in cursor.fetchall() if row[0] is not None}
        cursor.execute(
            """
            DELETE FROM analytics_linefact f
            WHERE (f.day, f.channel_id) IN (SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[]))
            """,
            params,
        )
        cursor.execute(
            """
            WITH keys AS (
                SELECT k.day, (k.day::timestamp AT TIME ZONE 'Asia/Jakarta') AS t0,
                       ((k.day + 1)::timestamp AT TIME ZONE 'Asia/Jakarta') AS t1, k.channel_id
                FROM unnest(%(days)s::date[], %(channels)s::bigint[]) AS k(day, channel_id)
            ),
            key_orders AS MATERIALIZED (
                SELECT d.day, o.id, o.channel_id FROM (SELECT DISTINCT day, t0, t1 FROM keys) d
                JOIN orders_order o ON o.placed_at >= d.t0 AND o.placed_at < d.t1
            ),
            moved AS (
                DELETE FROM analytics_orderfact f USING key_orders o, keys k
                WHERE k.day = o.day AND k.channel_id = o.channel_id AND f.order_id = o.id
                RETURNING f.day, f.channel_id, f.customer_id, f.order_id
            ),
            moved_lines AS (
                DELETE FROM analytics_linefact l USING moved m WHERE l.order_id = m.order_id RETURNING 1
            )
            SELECT day, channel_id, customer_id, (SELECT COUNT(*) FROM moved_lines) FROM moved
            """,
            params,
        )
        moved = cursor.fetchall()
        extra_keys = {(row[0], row[1]) for row in moved}
        customers |= {row[2] for row in moved if row[2] is not None}
        cursor.execute(_SELECT_ORDERS, params)
        rows = cursor.fetchall()
        orders = len(rows)
        customers |= {row[0] for row in rows if row[0] is not None}
        all_keys = sorted(set(keys) | extra_keys)
        if extra_keys:
            _recompute_facts_only(cursor, sorted(extra_keys - set(keys)), customers)
        activity_keys: set[Key] = set()
        all_keys = sorted(set(all_keys) | _customers_refresh(cursor, sorted(customers), activity=activity_keys))
        params = _key_params(all_keys)
        for delete, insert in _ROLLUPS:
            cursor.execute(delete, params)
            cursor.execute(insert, params)
        cursor.execute("DELETE FROM analytics_categorydaily WHERE (day, channel_id) IN "
                       "(SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[]))", params)
        cursor.execute(CATEGORY_DAILY_KEYS, params)
        _monthly_refresh(cursor, all_keys, activity_keys=activity_keys)
        dispatch_recompute(cursor=cursor, keys=all_keys)
    return orders


_MONTHLY_ROLLUPS = [
    # (table, daily source, dimensions besides month and channel, measures)
    ("analytics_productmonthly", "analytics_productdaily", ("warehouse_id", "product_id"), _MEASURES),
    ("analytics_geomonthly", "analytics_geodaily", ("province", "city"), _MEASURES + _CUSTOMER_MEASURES),
    ("analytics_variantmonthly", "analytics_productdaily", ("warehouse_id", "variant_id"), ("units", "cogs_amount")),
    ("analytics_categorymonthly", "analytics_categorydaily", ("warehouse_id", "category"),
     _MEASURES + _CATEGORY_MEASURES),
]


# ActivityMonthly from the order facts (the caller adds the join that picks the months).
ACTIVITY_MONTHLY_INSERT = """
    INSERT INTO analytics_activitymonthly (month, channel_id, kind, ref_day, orders)
    SELECT date_trunc('month', f.day)::date, f.channel_id, v.kind, v.ref_day, COUNT(*)
    FROM analytics_orderfact f
    CROSS JOIN LATERAL (VALUES (1, f.prev_day), (2, f.prev_channel_day),
                               (CASE WHEN f.new_customers = 1 THEN 3 END, f.next_day)) AS v(kind, ref_day)
"""
ACTIVITY_MONTHLY_GROUP = """
    WHERE f.orders = 1 AND f.customer_id IS NOT NULL AND v.kind IS NOT NULL
    GROUP BY 1, f.channel_id, v.kind, v.ref_day ORDER BY 1, f.channel_id
"""


def _monthly_refresh(cursor, keys: list[Key], *, activity_keys: set[Key] = frozenset()) -> None:
    """Step 4: the month-grain rollups of every (month, channel) of `keys`, summed from the daily ones.

    A whole month of one channel is re-summed (about 14,000 ProductDaily rows at 1,000,000 orders),
    so the monthly rows equal the daily ones grouped by month whatever changed inside the month.
    """
    months = sorted({(day.replace(day=1), channel) for day, channel in keys})
    # ActivityMonthly also for the keys whose orders only changed their previous/next order days.
    activity_months = sorted(set(months) | {(day.replace(day=1), channel) for day, channel in activity_keys})
    if not activity_months:
        return
    params = {"months": [m[0] for m in months], "channels": [m[1] for m in months]}
    for table, source, dims, measures in _MONTHLY_ROLLUPS:
        sums = ", ".join(f"SUM(d.{m})" for m in measures)
        cursor.execute(
            f"DELETE FROM {table} WHERE (month, channel_id) IN "  # noqa: S608 (table names are constants)
            "(SELECT * FROM unnest(%(months)s::date[], %(channels)s::bigint[]))",
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (month, channel_id, {", ".join(dims)}, {", ".join(measures)})
            SELECT k.month, k.channel_id, {", ".join(f"d.{d}" for d in dims)}, {sums}
            FROM unnest(%(months)s::date[], %(channels)s::bigint[]) AS k(month, channel_id)
            JOIN {source} d ON d.channel_id = k.channel_id
                 AND d.day >= k.month AND d.day < (k.month + interval '1 month')::date
            GROUP BY k.month, k.channel_id, {", ".join(f"d.{d}" for d in dims)}
            ORDER BY k.month, k.channel_id
            """,  # noqa: S608 (table and column names are constants)
            params,
        )
    params = {"months": [m[0] for m in activity_months], "channels": [m[1] for m in activity_months]}
    cursor.execute(
        "DELETE FROM analytics_activitymonthly WHERE (month, channel_id) IN "
        "(SELECT * FROM unnest(%(months)s::date[], %(channels)s::bigint[]))",
        params,
    )
    cursor.execute(
        ACTIVITY_MONTHLY_INSERT
        + "JOIN unnest(%(months)s::date[], %(channels)s::bigint[]) AS k(month, channel_id) "
        "ON f.channel_id = k.channel_id AND f.day >= k.month AND f.day < (k.month + interval '1 month')::date "
        + ACTIVITY_MONTHLY_GROUP,
        params,
    )


def _recompute_facts_only(cursor, keys: list[Key], customers: set[int]) -> None:
    if not keys:
        return
    params = _key_params(keys)
    cursor.execute(
        "DELETE FROM analytics_orderfact WHERE (day, channel_id) IN "
        "(SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[])) RETURNING customer_id",
        params,
    )
    customers |= {row[0] for row in cursor.fetchall() if row[0] is not None}
    cursor.execute(
        "DELETE FROM analytics_linefact WHERE (day, channel_id) IN "
        "(SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[]))",
        params,
    )
    cursor.execute(_SELECT_ORDERS, params)
    customers |= {row[0] for row in cursor.fetchall() if row[0] is not None}


def _customers_refresh(cursor, customers: list[int], *, activity: set[Key] | None = None) -> set[Key]:
    """CustomerFact of these customers and their orders' new/returning flags; the keys whose flags moved.

    The orders' previous/next kept order days too: the keys where only those moved go to `activity`
    (they change ActivityMonthly alone, not the daily rollups: a rebuild would otherwise recompute
    every earlier key again in each batch).
    """
    if not customers:
        return set()
    cursor.execute("DELETE FROM analytics_customerfact WHERE customer_id = ANY(%s)", [customers])
    cursor.execute(
        """
        INSERT INTO analytics_customerfact (customer_id, first_order_id, first_placed_at, first_channel_id,
                                            last_placed_at, orders, channels, net_amount, margin_amount)
        SELECT customer_id,
               (array_agg(order_id ORDER BY placed_at, order_id))[1], MIN(placed_at),
               (array_agg(channel_id ORDER BY placed_at, order_id))[1], MAX(placed_at),
               COUNT(*), COUNT(DISTINCT channel_id), SUM(net_amount), SUM(margin_amount)
        FROM analytics_orderfact WHERE customer_id = ANY(%s) AND orders = 1
        GROUP BY customer_id
        """,
        [customers],
    )
    cursor.execute(
        """
        UPDATE analytics_orderfact f
        SET new_customers = x.is_new, returning_orders = x.is_returning,
            prev_day = x.prev_day, prev_channel_day = x.prev_channel_day, next_day = x.next_day
        FROM (
            SELECT f.order_id,
                   CASE WHEN f.orders = 1 AND f.order_id = cf.first_order_id THEN 1 ELSE 0 END AS is_new,
                   CASE WHEN f.orders = 1 AND f.order_id <> cf.first_order_id THEN 1 ELSE 0 END AS is_returning,
                   k.prev_day, k.prev_channel_day, k.next_day,
                   f.new_customers <> CASE WHEN f.orders = 1 AND f.order_id = cf.first_order_id THEN 1 ELSE 0 END
                   OR f.returning_orders <> CASE WHEN f.orders = 1 AND f.order_id <> cf.first_order_id
                                                 THEN 1 ELSE 0 END AS flags_moved
            FROM analytics_orderfact f LEFT JOIN analytics_customerfact cf ON cf.customer_id = f.customer_id
            LEFT JOIN (
                SELECT order_id,
                       LAG(day) OVER (PARTITION BY customer_id ORDER BY placed_at, order_id) AS prev_day,
                       LAG(day) OVER (PARTITION BY customer_id, channel_id ORDER BY placed_at, order_id)
                           AS prev_channel_day,
                       LEAD(day) OVER (PARTITION BY customer_id ORDER BY placed_at, order_id) AS next_day
                FROM analytics_orderfact WHERE customer_id = ANY(%(customers)s) AND orders = 1
            ) k ON k.order_id = f.order_id
            WHERE f.customer_id = ANY(%(customers)s)
        ) x
        WHERE f.order_id = x.order_id
          AND (f.new_customers <> x.is_new OR f.returning_orders <> x.is_returning
               OR f.prev_day IS DISTINCT FROM x.prev_day OR f.prev_channel_day IS DISTINCT FROM x.prev_channel_day
               OR f.next_day IS DISTINCT FROM x.next_day)
        RETURNING f.day, f.channel_id, x.flags_moved
        """,
        {"customers": customers},
    )
    rows = cursor.fetchall()
    if activity is not None:
        activity |= {(row[0], row[1]) for row in rows}
    return {(row[0], row[1]) for row in rows if row[2]}


def rollup_refresh(*, max_keys: int = BATCH_KEYS, scan: bool = True) -> RefreshResult:
    """Recompute the facts and rollups of the dirty keys (at most `max_keys` of them).

    One refresh at a time (a transaction-level advisory lock; a second caller returns at once).
    The claimed keys are deleted in the same transaction as the recomputation, so a failure
    leaves them dirty, and a key marked again meanwhile is recomputed on the next run.
    """
    if scan:
        rollup_scan_changes()
        rollup_mark_packing_changes()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            return RefreshResult(keys=0, orders=0, remaining=-1)
        # The window functions and aggregates of a batch of keys sort and hash a few hundred
        # thousand lines: in memory rather than in temporary files; and no JIT compilation, which
        # costs seconds on these large estimates and saves nothing on index-driven plans.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            """
            DELETE FROM analytics_dirtykey WHERE id IN (
                SELECT id FROM analytics_dirtykey ORDER BY day, channel_id LIMIT %s FOR UPDATE SKIP LOCKED)
            RETURNING day, channel_id
            """,
            [max_keys],
        )
        keys = sorted({(row[0], row[1]) for row in cursor.fetchall()})
        _categories_refresh(cursor)
        orders = _recompute(keys) if keys else 0
        cursor.execute("SELECT COUNT(*) FROM analytics_dirtykey")
        remaining = cursor.fetchone()[0]
    return RefreshResult(keys=len(keys), orders=orders, remaining=remaining)


def rollup_rebuild(*, batch_keys: int = BATCH_KEYS) -> int:
    """Recompute every fact and rollup from the source rows (demo seeding, after a restore, benchmarks).

    The derived tables are emptied first (they are rebuilt whole), so the recomputation inserts
    into empty tables instead of deleting every row it replaces.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        rollup_mark_all()
        cursor.execute("TRUNCATE " + ", ".join(DERIVED_TABLES))
        dispatch_truncate(cursor=cursor)
    total = 0
    while True:
        result = rollup_refresh(max_keys=batch_keys, scan=False)
        total += result.orders
        if result.remaining <= 0:
            return total
