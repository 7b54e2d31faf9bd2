"""Property: after any sequence of stock operations, single or batched (`stock_*_many`), the ledger
sums to the stock figures, nothing is oversold, and no reference gives back more than it holds."""

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
from catalog.services.stock_batch import ReserveRequest, stock_commit_many, stock_release_many, stock_reserve_many
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
    # (reference, variant, quantity) per request; one batch names a reference once
    st.tuples(st.just("reserve_many"), st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(1, 8)),
                                                min_size=1, max_size=4, unique_by=lambda r: r[0])),
    st.tuples(st.just("commit_many"), st.lists(st.integers(0, 5), max_size=4)),
    st.tuples(st.just("release_many"), st.lists(st.integers(0, 5), max_size=4)),
)


def _ledger_rows(reference: str) -> int:
    return StockMovement.objects.filter(reference=reference).count()


def _assert_invariants() -> None:
    for row in StockLevel.objects.all():
        sums = StockMovement.objects.filter(variant_id=row.variant_id, warehouse_id=row.warehouse_id
                                            ).aggregate(o=Sum("on_hand_change"), r=Sum("reserved_change"))
        assert row.on_hand == (sums["o"] or 0)
        assert row.reserved == (sums["r"] or 0)
        assert 0 <= row.reserved <= row.on_hand  # never oversold
    held = (StockMovement.objects.filter(reference__startswith="order:")
            .values("reference", "variant_id", "warehouse_id").annotate(held=Sum("reserved_change")).order_by())
    assert all(row["held"] >= 0 for row in held)  # nothing released or shipped twice


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
                        elif kind == "reserve_many":
                            requests = [
                                ReserveRequest(f"order:{ref}", [StockRequest(variants[v].pk, qty),
                                                                StockRequest(variants[0].pk, 1)])
                                for ref, v, qty in op[1]
                            ]
                            before = {r.reference: _ledger_rows(r.reference) for r in requests}
                            results = stock_reserve_many(requests=requests)
                            assert set(results) == set(before)
                            for reference, error in results.items():
                                assert error is None or isinstance(error, OutOfStock)
                                if error is not None:  # all or nothing per reference
                                    assert _ledger_rows(reference) == before[reference]
                        elif kind == "commit_many":
                            stock_commit_many(references=[f"order:{ref}" for ref in op[1]])
                        elif kind == "release_many":
                            stock_release_many(references=[f"order:{ref}" for ref in op[1]])
                except (OutOfStock, InvalidStockChange):
                    pass
                _assert_invariants()
            raise Rollback
    except Rollback:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stock=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=3, max_size=3),
    wanted=st.lists(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 5)), min_size=1, max_size=3),
                    min_size=1, max_size=6),
)
def test_a_batch_of_reservations_ends_where_the_same_single_calls_end(stock, wanted):
    try:
        with transaction.atomic():
            warehouses = [WarehouseFactory(code="utama", is_default=True), WarehouseFactory(code="sby")]

            def stocked(prefix):
                variants = [VariantFactory(sku=f"{prefix}-{i}") for i in range(3)]
                for variant, per_warehouse in zip(variants, stock, strict=True):
                    for warehouse, units in zip(warehouses, per_warehouse, strict=True):
                        if units:
                            services.stock_receive(variant_id=variant.pk, warehouse_id=warehouse.pk, quantity=units)
                return variants

            singles, batched = stocked("S"), stocked("B")
            # the single calls, one after the other
            single_results = []
            for n, lines in enumerate(wanted):
                try:
                    with transaction.atomic():
                        services.stock_reserve(reference=f"s:{n}",
                                               lines=[StockRequest(singles[v].pk, q) for v, q in lines])
                    single_results.append(None)
                except OutOfStock as exc:
                    single_results.append(sorted(s.requested for s in exc.shortages))
            # the same requests in one batch
            results = stock_reserve_many(requests=[
                ReserveRequest(f"b:{n}", [StockRequest(batched[v].pk, q) for v, q in lines])
                for n, lines in enumerate(wanted)
            ])
            batch_results = [
                None if results[f"b:{n}"] is None else sorted(s.requested for s in results[f"b:{n}"].shortages)
                for n in range(len(wanted))
            ]
            assert batch_results == single_results

            def figures(variants):
                return [(lvl.warehouse_id, lvl.on_hand, lvl.reserved) for v in variants
                        for lvl in StockLevel.objects.filter(variant=v).order_by("warehouse_id")]

            assert figures(batched) == figures(singles)
            _assert_invariants()
            raise Rollback
    except Rollback:
        pass
