"""The incrementally maintained facts and rollups always equal a from-scratch recomputation.

Hypothesis drives sequences of order changes (new orders on either side of midnight in Jakarta,
cancellations, confirmations, refunds, cost changes, packing cost changes, a product moved to
another category or out of every category); after each sequence the
refresh runs on what the hooks and the event scan marked, and every derived table is compared with a
rebuild from the source rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.services.rollups import rollup_rebuild, rollup_refresh
from catalog.models import ChannelCatalogSettings, Product
from catalog.services import stock_receive, variant_cost_set
from channels.models import Channel
from orders.models import Order
from orders.services import CustomerInput, LineInput, order_cancel, order_confirm, order_create, order_mark_paid
from tests.catalog.factories import VariantFactory
from tests.factories import ChannelFactory

WIB = ZoneInfo("Asia/Jakarta")
BASE = datetime(2026, 4, 10, 0, 0, tzinfo=WIB)
TABLES = {
    "analytics_orderfact": "order_id",
    "analytics_linefact": "line_id",
    "analytics_customerfact": "customer_id",
    "analytics_salesdaily": "day, channel_id, warehouse_id",
    "analytics_geodaily": "day, channel_id, province, city",
    "analytics_productdaily": "day, channel_id, warehouse_id, variant_id",
    "analytics_productmonthly": "month, channel_id, warehouse_id, product_id",
    "analytics_geomonthly": "month, channel_id, province, city",
    "analytics_activitymonthly": "month, channel_id, kind, ref_day",
    "analytics_variantmonthly": "month, channel_id, warehouse_id, variant_id",
    "analytics_productcategory": "product_id",
    "analytics_categorydaily": "day, channel_id, warehouse_id, category",
    "analytics_categorymonthly": "month, channel_id, warehouse_id, category",
}
# Each monthly rollup equals its daily rollup summed per month (checked beside the rebuild).
MONTHLY = {
    "analytics_productmonthly": ("analytics_productdaily", "warehouse_id, product_id"),
    "analytics_geomonthly": ("analytics_geodaily", "province, city"),
    "analytics_variantmonthly": ("analytics_productdaily", "warehouse_id, variant_id"),
    "analytics_categorymonthly": ("analytics_categorydaily", "warehouse_id, category"),
}

create = st.tuples(
    st.just("create"),
    st.integers(0, 1),  # channel
    st.integers(0, 2),  # customer
    st.integers(0, 1),  # variant
    st.integers(1, 3),  # quantity
    st.integers(-2, 2 * 24 * 60 + 2),  # minutes after the base (around two midnights)
    st.integers(0, 5_000),  # order discount
)
act = st.tuples(st.sampled_from(["cancel", "confirm", "refund", "pay"]), st.integers(0, 20))
cost = st.tuples(st.just("cost"), st.integers(0, 1), st.integers(10_000, 60_000))
packing = st.tuples(st.just("packing"), st.integers(0, 5_000))
# the product of variant 0 or 1 moved to one of these categories ("" = none)
category = st.tuples(st.just("category"), st.integers(0, 1), st.sampled_from(["", "Pakaian", "Aksesoris"]))
operations = st.lists(st.one_of(create, create, act, cost, packing, category), min_size=1, max_size=12)


def _snapshot() -> dict[str, list]:
    result = {}
    with connection.cursor() as cursor:
        for table, order in TABLES.items():
            cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")  # noqa: S608 (constants)
            columns = [c.name for c in cursor.description]
            rows = [tuple(v for c, v in zip(columns, row, strict=True) if c != "id") for row in cursor.fetchall()]
            result[table] = sorted(rows, key=repr)
    return result


def _monthly_mismatches() -> dict[str, int]:
    """Rows of each monthly rollup that differ from a GROUP BY month of its daily rollup (both ways)."""
    from analytics.services.rollups import _CATEGORY_MEASURES, _CUSTOMER_MEASURES, _MEASURES

    result = {}
    with connection.cursor() as cursor:
        for table, (daily, dims) in MONTHLY.items():
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")  # noqa: S608 (constants)
            present = {c.name for c in cursor.description}
            measures = [m for m in (*_MEASURES, *_CUSTOMER_MEASURES, *_CATEGORY_MEASURES) if m in present]
            cols = f"month, channel_id, {dims}, {', '.join(measures)}"
            summed = (f"SELECT date_trunc('month', day)::date AS month, channel_id, {dims}, "  # noqa: S608 (constants)
                      f"{', '.join(f'SUM({m})::bigint' for m in measures)} FROM {daily} GROUP BY 1, channel_id, {dims}")
            cursor.execute(
                f"SELECT COUNT(*) FROM (({summed}) EXCEPT ALL (SELECT {cols} FROM {table})) a"  # noqa: S608
            )
            missing = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT COUNT(*) FROM ((SELECT {cols} FROM {table}) EXCEPT ALL ({summed})) a"  # noqa: S608
            )
            result[table] = missing + cursor.fetchone()[0]
    return result


def _apply(ops, world, capture) -> None:
    from payments.models import Payment, Refund

    for op in ops:
        kind = op[0]
        if kind == "create":
            _k, ch, cu, va, qty, minutes, discount = op
            at = BASE + timedelta(minutes=minutes * 37 % (2 * 24 * 60 + 4) - 2)
            with capture(execute=True), time_machine.travel(at, tick=False):
                order = order_create(
                    channel_id=world["channels"][ch].pk,
                    lines=[LineInput(variant_id=world["variants"][va].pk, quantity=qty)],
                    customer=CustomerInput(name=f"Pelanggan {cu}", phone=f"08121111000{cu}"),
                    discount_amount=min(discount, 10_000), payment_method="cod" if cu == 2 else "bank_transfer",
                )
            world["orders"].append(order.pk)
            world["clock"] = max(world["clock"], at)
        elif kind == "cost":
            # A cost change is recorded "now" (VariantCostHistory.effective_at): after every order so far.
            _k, va, amount = op
            world["clock"] += timedelta(minutes=1)
            with time_machine.travel(world["clock"], tick=False):
                variant_cost_set(variant_id=world["variants"][va].pk, cost_amount=amount)
        elif kind == "category":
            Product.objects.filter(pk=world["variants"][op[1]].product_id).update(category=op[2])
        elif kind == "packing":
            ChannelCatalogSettings.objects.update_or_create(
                channel=world["channels"][0], defaults={"packaging_cost_amount": op[1]})
        elif world["orders"]:
            order_id = world["orders"][op[1] % len(world["orders"])]
            status = Order.objects.values_list("status", flat=True).get(pk=order_id)
            with capture(execute=True):
                if kind == "cancel" and status in ("awaiting_payment", "paid", "processing"):
                    order_cancel(order_id=order_id, reason="batal")
                elif kind == "pay" and status == "awaiting_payment":
                    order_mark_paid(order_id=order_id, source="gateway")
                elif kind == "confirm" and status == "paid":
                    order_confirm(order_id=order_id)
                elif kind == "refund" and status != "cancelled":
                    payment = Payment.objects.filter(order_id=order_id).first()
                    if payment is not None:
                        Refund.objects.create(payment=payment, order_id=order_id, amount=1_000 + op[1],
                                              kind="return", reason="retur sebagian")


def new_world(tag: str) -> dict:
    """Two channels (web, Shopee with fees) and two stocked variants, named by `tag`, and no orders yet."""
    channels = [ChannelFactory(kind=Channel.Kind.WEBSITE, name=f"Web {tag}", code=f"WEB{tag}"),
                ChannelFactory(kind=Channel.Kind.SHOPEE, name=f"Shopee {tag}", code=f"SHP{tag}",
                               shop_id=f"{tag.lower()}-1", commission_percent=4, fixed_fee_amount=500)]
    variants = [VariantFactory(sku=f"{tag}-A", cost_amount=30_000, price_amount=70_000),
                VariantFactory(sku=f"{tag}-B", cost_amount=12_000, price_amount=25_000)]
    for variant in variants:
        stock_receive(variant_id=variant.pk, quantity=500, reason="awal")
    return {"channels": channels, "variants": variants, "orders": [], "clock": BASE}



def refresh_until_done() -> None:
    """Run the beat job's refresh until no dirty key is left (it claims a bounded batch a run)."""
    while rollup_refresh().remaining > 0:
        continue

@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(first=operations, second=operations)
def test_rollups_equal_a_rebuild_after_any_sequence_of_order_changes(first, second, django_capture_on_commit_callbacks):
    with transaction.atomic():
        world = new_world("P")

        # when: changes, a refresh, more changes, another refresh (as the beat task would run)
        _apply(first, world, django_capture_on_commit_callbacks)
        rollup_refresh()
        _apply(second, world, django_capture_on_commit_callbacks)
        refresh_until_done()
        incremental = _snapshot()
        assert _monthly_mismatches() == dict.fromkeys(MONTHLY, 0)

        # then: a rebuild from the source rows gives exactly the same tables
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constants)
        rollup_rebuild()
        assert _snapshot() == incremental
        transaction.set_rollback(True)
