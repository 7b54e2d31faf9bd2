"""Property: after any sequence of stock operations the ledger sums to the stock figures."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import services
from catalog.errors import InvalidStockChange, OutOfStock
from catalog.models import StockLevel, StockMovement
from catalog.services import StockRequest
from tests.catalog.factories import VariantFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

operation = st.one_of(
    st.tuples(st.just("receive"), st.integers(0, 2), st.integers(0, 1), st.integers(1, 20)),
    st.tuples(st.just("reserve"), st.integers(0, 2), st.integers(0, 5), st.integers(1, 8)),
    st.tuples(st.just("release"), st.integers(0, 5)),
    st.tuples(st.just("replace"), st.integers(0, 2), st.integers(0, 5), st.integers(0, 8)),
    st.tuples(st.just("commit"), st.integers(0, 5)),
    st.tuples(st.just("adjust"), st.integers(0, 2), st.integers(0, 1), st.integers(-10, 10)),
    st.tuples(st.just("count"), st.integers(0, 2), st.integers(0, 1), st.integers(0, 30)),
    st.tuples(st.just("return"), st.integers(0, 2), st.integers(0, 5), st.integers(1, 3)),
    st.tuples(st.just("transfer"), st.integers(0, 2), st.integers(0, 1), st.integers(1, 5)),
)


class Rollback(Exception):
    pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, max_size=25))
def test_ledger_always_sums_to_on_hand_and_reserved(ops):
    try:
        with transaction.atomic():
            warehouses = [WarehouseFactory(code="utama", is_default=True), WarehouseFactory(code="sby")]
            variants = [VariantFactory(sku=f"P-{i}") for i in range(3)]
            for op in ops:
                kind = op[0]
                try:
                    with transaction.atomic():
                        if kind == "receive":
                            services.stock_receive(variant_id=variants[op[1]].pk, warehouse_id=warehouses[op[2]].pk,
                                                   quantity=op[3])
                        elif kind == "reserve":
                            services.stock_reserve(reference=f"order:{op[2]}", lines=[
                                StockRequest(variants[op[1]].pk, op[3]), StockRequest(variants[0].pk, 1)])
                        elif kind == "replace":
                            lines = [StockRequest(variants[op[1]].pk, op[3])] if op[3] else []
                            services.stock_reserve_replace(reference=f"order:{op[2]}", lines=lines)
                        elif kind == "release":
                            services.stock_release(reference=f"order:{op[1]}")
                        elif kind == "commit":
                            services.stock_commit(reference=f"order:{op[1]}")
                        elif kind == "adjust":
                            services.stock_adjust(variant_id=variants[op[1]].pk, warehouse_id=warehouses[op[2]].pk,
                                                  quantity_change=op[3], reason="property")
                        elif kind == "count":
                            services.stock_count(variant_id=variants[op[1]].pk, warehouse_id=warehouses[op[2]].pk,
                                                 counted_quantity=op[3])
                        elif kind == "return":
                            services.stock_return_restock(variant_id=variants[op[1]].pk, quantity=op[3],
                                                          reference=f"return:{op[2]}")
                        elif kind == "transfer":
                            services.stock_transfer(variant_id=variants[op[1]].pk,
                                                    from_warehouse_id=warehouses[op[2]].pk,
                                                    to_warehouse_id=warehouses[1 - op[2]].pk, quantity=op[3])
                except (OutOfStock, InvalidStockChange):
                    pass

                for row in StockLevel.objects.all():
                    sums = StockMovement.objects.filter(variant_id=row.variant_id, warehouse_id=row.warehouse_id
                                                        ).aggregate(o=Sum("on_hand_change"), r=Sum("reserved_change"))
                    assert row.on_hand == (sums["o"] or 0)
                    assert row.reserved == (sums["r"] or 0)
                    assert 0 <= row.reserved <= row.on_hand
            raise Rollback
    except Rollback:
        pass
