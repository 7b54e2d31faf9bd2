"""Dispatch rollups: shipped, on time, delivered and the paid -> shipped time per Jakarta day and channel.

Maintained with the other rollups (analytics.services.rollups): `dispatch_recompute` runs inside
`rollup_refresh` for the same claimed (day, channel) keys, so an order change marked after commit
(or found by the event scan) reaches these tables on the next refresh, and a rebuild recomputes them
from `orders_order`. Only kept (not cancelled) orders count, as in the operations report.

What a row cannot hold is read live (`dispatch_pending`): an order not shipped yet becomes due
when its ship-by time passes, which is the clock, not a change anybody marks. Those orders are
few (the open ones) and found through a partial index.

The median paid -> shipped time comes from a histogram (`DispatchHours`): hourly buckets up to
72 hours, 6-hour buckets up to a week, daily ones up to 30 days, and one bucket for anything
longer; the median is interpolated linearly inside its bucket (`histogram_median`), so it is
exact to within the bucket's width (an hour for the usual dispatch times).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from django.db import connection
from django.utils import timezone

DISPATCH_TABLES = ("analytics_dispatchdaily", "analytics_dispatchhours", "analytics_dispatchhoursmonthly")


@dataclass(frozen=True)
class Bucket:
    lower: float
    upper: float  # == lower for the open last bucket


def _buckets() -> tuple[Bucket, ...]:
    edges = [float(h) for h in range(0, 72)] + [72.0 + 6 * i for i in range(16)] + [168.0 + 24 * i for i in range(23)]
    bounds = [*edges, 720.0]
    return (*(Bucket(lo, hi) for lo, hi in pairwise(bounds)), Bucket(720.0, 720.0))


BUCKETS = _buckets()

# The bucket of `h` hours (never below 0); the same edges as BUCKETS.
BUCKET_SQL = """
    CASE WHEN {h} < 72 THEN floor(GREATEST({h}, 0))
         WHEN {h} < 168 THEN 72 + floor(({h} - 72) / 6)
         WHEN {h} < 720 THEN 88 + floor(({h} - 168) / 24)
         ELSE 111 END
"""


def bucket_of(hours: float) -> int:
    """Python twin of BUCKET_SQL (the tests' independent computation uses it)."""
    h = max(hours, 0.0)
    if h < 72:
        return int(h)
    if h < 168:
        return 72 + int((h - 72) // 6)
    if h < 720:
        return 88 + int((h - 168) // 24)
    return 111


def histogram_median(counts: dict[int, int]) -> float | None:
    """The median of a histogram {bucket: orders}: linear interpolation inside the middle bucket."""
    total = sum(counts.values())
    if not total:
        return None
    half = total / 2
    seen = 0
    for bucket in sorted(counts):
        n = counts[bucket]
        if n and seen + n >= half:
            b = BUCKETS[bucket]
            return b.lower + (b.upper - b.lower) * (half - seen) / n
        seen += n
    return BUCKETS[max(counts)].upper


_HOURS = "EXTRACT(EPOCH FROM o.shipped_at - o.paid_at) / 3600"

# The orders of the keys' days by a range scan of the placed_at index per day (as the facts do).
_KEY_ORDERS = """
    WITH keys AS (
        SELECT k.day, k.channel_id,
               (k.day::timestamp AT TIME ZONE 'Asia/Jakarta') AS t0,
               ((k.day + 1)::timestamp AT TIME ZONE 'Asia/Jakarta') AS t1
        FROM unnest(%(days)s::date[], %(channels)s::bigint[]) AS k(day, channel_id)
    ),
    key_orders AS MATERIALIZED (
        SELECT d.day, o.channel_id, o.paid_at, o.shipped_at, o.delivered_at, o.ship_by
        FROM (SELECT DISTINCT day, t0, t1 FROM keys) d
        JOIN orders_order o ON o.placed_at >= d.t0 AND o.placed_at < d.t1 AND o.status <> 'cancelled'
    ),
    o AS (
        SELECT ko.* FROM key_orders ko JOIN keys k ON k.day = ko.day AND k.channel_id = ko.channel_id
    )
"""

_INSERT_DAILY = f"""{_KEY_ORDERS}
    INSERT INTO analytics_dispatchdaily (day, channel_id, orders, shipped, delivered, due_shipped, on_time,
                                         paid_shipped, paid_shipped_hours)
    SELECT o.day, o.channel_id, COUNT(*),
           COUNT(*) FILTER (WHERE o.shipped_at IS NOT NULL),
           COUNT(*) FILTER (WHERE o.delivered_at IS NOT NULL),
           COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL AND o.shipped_at IS NOT NULL),
           COUNT(*) FILTER (WHERE o.ship_by IS NOT NULL AND o.shipped_at <= o.ship_by),
           COUNT(*) FILTER (WHERE o.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL),
           COALESCE(SUM({_HOURS}) FILTER (WHERE o.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL), 0)
    FROM o GROUP BY o.day, o.channel_id
"""  # noqa: S608 (constants only)

_INSERT_HOURS = f"""{_KEY_ORDERS}
    INSERT INTO analytics_dispatchhours (day, channel_id, bucket, orders)
    SELECT o.day, o.channel_id, {BUCKET_SQL.format(h=_HOURS)} AS bucket, COUNT(*)
    FROM o WHERE o.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL
    GROUP BY 1, 2, 3
"""  # noqa: S608 (constants only)


def dispatch_recompute(*, cursor, keys: Iterable[tuple[date, int]]) -> None:
    """Replace the dispatch rows of these (day, channel) keys; inside the refresh's transaction."""
    keys = sorted(set(keys))
    if not keys:
        return
    params = {"days": [k[0] for k in keys], "channels": [k[1] for k in keys]}
    for table in DISPATCH_TABLES[:2]:  # the daily ones; the months below
        cursor.execute(
            f"DELETE FROM {table} WHERE (day, channel_id) IN "  # noqa: S608 (constant table names)
            "(SELECT * FROM unnest(%(days)s::date[], %(channels)s::bigint[]))",
            params,
        )
    cursor.execute(_INSERT_DAILY, params)
    cursor.execute(_INSERT_HOURS, params)
    # the months of these keys, summed again from the daily histogram
    months = (
        "SELECT DISTINCT date_trunc('month', day)::date, channel_id "
        "FROM unnest(%(days)s::date[], %(channels)s::bigint[]) AS k(day, channel_id)"
    )
    cursor.execute(
        f"DELETE FROM analytics_dispatchhoursmonthly WHERE (month, channel_id) IN ({months})",  # noqa: S608
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO analytics_dispatchhoursmonthly (month, channel_id, bucket, orders)
        SELECT m.month, h.channel_id, h.bucket, SUM(h.orders)
        FROM ({months}) AS m(month, channel_id)
        JOIN analytics_dispatchhours h
          ON h.channel_id = m.channel_id AND h.day >= m.month AND h.day < (m.month + interval '1 month')::date
        GROUP BY m.month, h.channel_id, h.bucket
        """,  # noqa: S608 (constants only)
        params,
    )


def dispatch_truncate(*, cursor) -> None:
    cursor.execute("TRUNCATE " + ", ".join(DISPATCH_TABLES))


def dispatch_rebuild(*, cursor, batch_keys: int = 2000) -> int:
    """Fill the dispatch tables from every order (a new installation's backfill); returns the keys."""
    dispatch_truncate(cursor=cursor)
    cursor.execute(
        "SELECT DISTINCT (placed_at AT TIME ZONE 'Asia/Jakarta')::date, channel_id FROM orders_order ORDER BY 1, 2"
    )
    keys = cursor.fetchall()
    for i in range(0, len(keys), batch_keys):
        dispatch_recompute(cursor=cursor, keys=keys[i : i + batch_keys])
    return len(keys)


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class DispatchTotals:
    orders: int = 0
    shipped: int = 0
    delivered: int = 0
    due: int = 0
    on_time: int = 0
    late: int = 0
    paid_shipped: int = 0
    paid_shipped_hours: float = 0.0
    hours: dict[int, int] | None = None

    @property
    def median_hours(self) -> float | None:
        return histogram_median(self.hours or {})

    @property
    def mean_hours(self) -> float | None:
        return self.paid_shipped_hours / self.paid_shipped if self.paid_shipped else None


def dispatch_by_channel(*, start: date, end: date, channel_id: int | None = None) -> dict[int, DispatchTotals]:
    """Dispatch totals per channel for the orders placed on [start, end] (Jakarta days).

    Three index reads: the daily rows, the histogram, and the orders not shipped yet whose ship-by
    time has passed (due and late now).
    """
    params = {"start": start, "end": end, "channel": channel_id}
    channel_sql = "AND channel_id = %(channel)s" if channel_id else ""
    result: dict[int, DispatchTotals] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT channel_id, SUM(orders), SUM(shipped), SUM(delivered), SUM(due_shipped), SUM(on_time),
                   SUM(paid_shipped), SUM(paid_shipped_hours)
            FROM analytics_dispatchdaily WHERE day BETWEEN %(start)s AND %(end)s {channel_sql}
            GROUP BY channel_id
            """,  # noqa: S608 (constant filter)
            params,
        )
        for ch, orders, shipped, delivered, due, on_time, paid_shipped, hours in cursor.fetchall():
            result[ch] = DispatchTotals(
                orders=orders,
                shipped=shipped,
                delivered=delivered,
                due=due,
                on_time=on_time,
                late=due - on_time,
                paid_shipped=paid_shipped,
                paid_shipped_hours=hours,
                hours={},
            )
        m0, m1 = whole_months(start, end)
        cursor.execute(
            f"""
            SELECT channel_id, bucket, SUM(orders) FROM (
                SELECT channel_id, bucket, orders FROM analytics_dispatchhoursmonthly
                WHERE month >= %(m0)s AND month < %(m1)s {channel_sql}
                UNION ALL
                SELECT channel_id, bucket, orders FROM analytics_dispatchhours
                WHERE ((day >= %(start)s AND day < %(m0)s) OR (day >= %(m1)s AND day <= %(end)s)) {channel_sql}
            ) h
            GROUP BY channel_id, bucket
            """,  # noqa: S608 (constant filter)
            {**params, "m0": m0, "m1": m1},
        )
        for ch, bucket, n in cursor.fetchall():
            result.setdefault(ch, DispatchTotals(hours={})).hours[bucket] = n
        for ch, overdue in dispatch_pending(cursor=cursor, start=start, end=end, channel_id=channel_id):
            totals = result.setdefault(ch, DispatchTotals(hours={}))
            totals.due += overdue
            totals.late += overdue
    return result


def whole_months(start: date, end: date) -> tuple[date, date]:
    """[m0, m1): the first days of the calendar months lying wholly inside [start, end]; m0 == m1 when none."""
    m0 = start if start.day == 1 else _next_month(start)
    after = end + timedelta(days=1)
    m1 = after.replace(day=1)
    if m1 <= m0:
        return after, after
    return m0, m1


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def dispatch_pending(*, cursor, start: date, end: date, channel_id: int | None = None) -> list[tuple[int, int]]:
    """(channel, orders) of the kept orders placed on [start, end] not shipped yet and past their ship-by.

    Reads the partial index orders_unshipped_ship_by (orders migration): only the orders not shipped.
    """
    channel_sql = "AND o.channel_id = %(channel)s" if channel_id else ""
    cursor.execute(
        f"""
        SELECT o.channel_id, COUNT(*) FROM orders_order o
        WHERE o.placed_at >= (%(start)s::timestamp AT TIME ZONE 'Asia/Jakarta')
          AND o.placed_at < ((%(end)s::date + 1)::timestamp AT TIME ZONE 'Asia/Jakarta')
          AND o.shipped_at IS NULL AND o.ship_by IS NOT NULL AND o.status <> 'cancelled'
          AND o.ship_by < %(now)s {channel_sql}
        GROUP BY o.channel_id
        """,  # noqa: S608 (constant filter)
        {"start": start, "end": end, "channel": channel_id, "now": timezone.now()},
    )
    return cursor.fetchall()


def dispatch_sum(parts: Iterable[DispatchTotals]) -> DispatchTotals:
    """The sum of several channels' totals (histograms added bucket by bucket)."""
    total = DispatchTotals(hours={})
    for t in parts:
        for name in ("orders", "shipped", "delivered", "due", "on_time", "late", "paid_shipped", "paid_shipped_hours"):
            setattr(total, name, getattr(total, name) + getattr(t, name))
        for bucket, n in (t.hours or {}).items():
            total.hours[bucket] = total.hours.get(bucket, 0) + n
    return total


def dispatch_totals(*, start: date, end: date, channel_id: int | None = None) -> DispatchTotals:
    """The totals of `dispatch_by_channel` over every channel (or the one given)."""
    return dispatch_sum(dispatch_by_channel(start=start, end=end, channel_id=channel_id).values())


def dispatch_delivered(*, start: date, end: date, channel_id: int | None = None) -> int:
    """Kept orders placed on [start, end] that were delivered (the daily rows only)."""
    params = {"start": start, "end": end, "channel": channel_id}
    channel_sql = "AND channel_id = %(channel)s" if channel_id else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(delivered), 0) FROM analytics_dispatchdaily "  # noqa: S608 (constant filter)
            f"WHERE day BETWEEN %(start)s AND %(end)s {channel_sql}",
            params,
        )
        return cursor.fetchone()[0]
