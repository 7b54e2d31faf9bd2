"""The dispatch rollups, maintained incrementally, always equal a from-scratch recomputation.

The sequences of order changes of test_rollups_property (new orders around midnight in Jakarta,
cancellations, payments, confirmations, refunds, cost changes), plus shipping and delivery with
their times; after each sequence the refresh runs on what the hooks and the event scan marked, and
the dispatch tables are compared with a rebuild from the orders.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.services.dispatch import dispatch_rebuild
from analytics.services.rollups import rollup_refresh
from orders.models import Order
from orders.services import order_add_note
from tests.analytics.test_rollups_property import _apply, act, cost, create, new_world, packing, refresh_until_done

TABLES = {
    "analytics_dispatchdaily": "day, channel_id",
    "analytics_dispatchhours": "day, channel_id, bucket",
    "analytics_dispatchhoursmonthly": "month, channel_id, bucket",
}
# ship / deliver the n-th order after so many minutes (dispatch times set directly, then an order
# event as the shipping flow writes one: the change scan marks the key)
ship = st.tuples(st.sampled_from(["ship", "deliver"]), st.integers(0, 20), st.integers(0, 80 * 60))
operations = st.lists(st.one_of(create, create, act, cost, packing, ship, ship), min_size=1, max_size=14)


def _snapshot() -> dict[str, list]:
    result = {}
    with connection.cursor() as cursor:
        for table, order in TABLES.items():
            cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")  # noqa: S608 (constants)
            columns = [c.name for c in cursor.description]
            rows = [tuple(v for c, v in zip(columns, row, strict=True) if c != "id") for row in cursor.fetchall()]
            result[table] = sorted(rows, key=repr)
    return result


def _apply_all(ops, world, capture) -> None:
    for op in ops:
        if op[0] not in ("ship", "deliver"):
            _apply([op], world, capture)
            continue
        if not world["orders"]:
            continue
        kind, index, minutes = op
        order = Order.objects.get(pk=world["orders"][index % len(world["orders"])])
        if order.status == "cancelled":
            continue
        at = order.placed_at + timedelta(minutes=minutes)
        if kind == "ship":
            Order.objects.filter(pk=order.pk).update(shipped_at=at, paid_at=order.paid_at or order.placed_at,
                                                     ship_by=order.placed_at + timedelta(hours=24))
        else:
            Order.objects.filter(pk=order.pk).update(delivered_at=at)
        with capture(execute=True):
            order_add_note(order_id=order.pk, note=kind)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(first=operations, second=operations)
def test_dispatch_rollups_equal_a_rebuild(first, second, django_capture_on_commit_callbacks):
    with transaction.atomic():
        world = new_world("D")

        _apply_all(first, world, django_capture_on_commit_callbacks)
        rollup_refresh()
        _apply_all(second, world, django_capture_on_commit_callbacks)
        refresh_until_done()
        incremental = _snapshot()

        with connection.cursor() as cursor:
            dispatch_rebuild(cursor=cursor)
        assert _snapshot() == incremental
        transaction.set_rollback(True)
