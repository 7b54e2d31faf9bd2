"""stock_reserve_many / stock_commit_many / stock_release_many: per reference what the single calls
do, in a fixed number of statements per batch."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from catalog.errors import OutOfStock
from catalog.models import StockLevel, StockMovement
from catalog.services import StockRequest, stock_commit, stock_reserve
from catalog.services.stock_batch import (
    ReserveRequest,
    stock_commit_many,
    stock_release_many,
    stock_reserve_many,
)
from core.errors import NotFound

Kind = StockMovement.Kind
pytestmark = pytest.mark.django_db

# locks, ledger check, one UPDATE, one INSERT (no stock push: nothing listed)
RESERVE_MANY_STATEMENTS = 4
# holdings, locks, holdings again under them, one UPDATE, one INSERT, the push's listed lookup
SETTLE_MANY_STATEMENTS = 7


def level(variant) -> tuple[int, int]:
    row = StockLevel.objects.get(variant=variant)
    return row.on_hand, row.reserved


def ledger_matches_levels() -> bool:
    for row in StockLevel.objects.all():
        sums = StockMovement.objects.filter(variant_id=row.variant_id, warehouse_id=row.warehouse_id).aggregate(
            on_hand=Sum("on_hand_change"), reserved=Sum("reserved_change"))
        if (sums["on_hand"] or 0, sums["reserved"] or 0) != (row.on_hand, row.reserved):
            return False
    return True


def test_each_reference_is_all_or_nothing_in_order(default_warehouse, stocked_variant,
                                                   django_assert_max_num_queries):
    # given 5 units of A and 2 of B
    a, b = stocked_variant(on_hand=5), stocked_variant(on_hand=2)
    requests = [
        ReserveRequest("order:1", [StockRequest(a.pk, 2), StockRequest(b.pk, 1)]),
        ReserveRequest("order:2", [StockRequest(a.pk, 1), StockRequest(b.pk, 2)]),  # B is short by then
        ReserveRequest("order:3", [StockRequest(a.pk, 3)]),
    ]
    # when the three are reserved in one batch
    with django_assert_max_num_queries(RESERVE_MANY_STATEMENTS):
        results = stock_reserve_many(requests=requests, listed=set())
    # then 1 and 3 hold their stock, 2 is short and wrote nothing
    assert results["order:1"] is None and results["order:3"] is None
    assert isinstance(results["order:2"], OutOfStock)
    assert results["order:2"].shortages[0].sku == b.sku and results["order:2"].shortages[0].available == 1
    assert level(a) == (5, 5) and level(b) == (2, 1)
    assert not StockMovement.objects.filter(reference="order:2").exists()
    assert ledger_matches_levels()


@pytest.mark.parametrize("order_count", [1, 20])
def test_reserving_shipping_and_cancelling_many_orders_stays_under_bounds_independent_of_their_number(
    default_warehouse, stocked_variant, django_assert_max_num_queries, order_count
):
    # given three variants, and that many orders each wanting some of two of them
    variants = [stocked_variant(on_hand=100) for _ in range(3)]
    requests = [
        ReserveRequest(f"order:{n}", [StockRequest(variants[n % 3].pk, 1), StockRequest(variants[(n + 1) % 3].pk, 2)])
        for n in range(order_count)
    ]
    # when they are reserved in one batch, then half shipped and the rest cancelled, each in one batch
    with django_assert_max_num_queries(RESERVE_MANY_STATEMENTS):
        results = stock_reserve_many(requests=requests, listed=set())
    references = [request.reference for request in requests]
    with django_assert_max_num_queries(SETTLE_MANY_STATEMENTS):
        shipped = stock_commit_many(references=references[::2])
    with django_assert_max_num_queries(SETTLE_MANY_STATEMENTS):
        released = stock_release_many(references=references[1::2])
    # then every order reserved, and each settled once the way asked
    assert results == dict.fromkeys(references)
    assert shipped == set(references[::2]) and released == set(references[1::2])
    assert StockMovement.objects.filter(kind=Kind.RESERVE).count() == 2 * order_count
    assert StockMovement.objects.filter(kind=Kind.SHIPMENT).count() == 2 * len(shipped)
    assert StockMovement.objects.filter(kind=Kind.RELEASE).count() == 2 * len(released)
    assert sum(level(v)[1] for v in variants) == 0
    assert sum(100 - level(v)[0] for v in variants) == 3 * len(shipped)
    assert ledger_matches_levels()


def test_a_reference_that_holds_its_stock_is_a_repeat_and_an_unknown_variant_fails_only_its_own(
    default_warehouse, stocked_variant
):
    a = stocked_variant(on_hand=4)
    stock_reserve(reference="order:10", lines=[StockRequest(a.pk, 1)])
    results = stock_reserve_many(requests=[
        ReserveRequest("order:10", [StockRequest(a.pk, 1)]),
        ReserveRequest("order:11", [StockRequest(999_999, 1)]),
        ReserveRequest("order:12", [StockRequest(a.pk, 3)]),
    ])
    assert results["order:10"] is None and results["order:12"] is None
    assert isinstance(results["order:11"], NotFound)
    assert level(a) == (4, 4)
    assert StockMovement.objects.filter(reference="order:10").count() == 1


def test_shipping_and_cancelling_many_orders_settles_each_once(default_warehouse, stocked_variant,
                                                              django_assert_max_num_queries):
    # given four orders holding stock of two variants
    a, b = stocked_variant(on_hand=10), stocked_variant(on_hand=10)
    for n in range(4):
        stock_reserve(reference=f"order:{20 + n}", lines=[StockRequest(a.pk, 1), StockRequest(b.pk, 2)])
    # when two ship and two are cancelled, each in one batch
    with django_assert_max_num_queries(SETTLE_MANY_STATEMENTS):
        shipped = stock_commit_many(references=["order:20", "order:21"])
    released = stock_release_many(references=["order:22", "order:23"], reason="cancelled on the marketplace")
    # then the shipped units left on_hand and reserved, the cancelled ones only reserved
    assert shipped == {"order:20", "order:21"} and released == {"order:22", "order:23"}
    assert level(a) == (8, 0) and level(b) == (6, 0)
    assert StockMovement.objects.filter(kind=Kind.SHIPMENT).count() == 4
    assert StockMovement.objects.filter(kind=Kind.RELEASE, reason="cancelled on the marketplace").count() == 4
    assert ledger_matches_levels()
    # and a repeat settles nothing (also after a single call did it)
    stock_reserve(reference="order:24", lines=[StockRequest(a.pk, 1)])
    stock_commit(reference="order:24")
    assert stock_commit_many(references=["order:20", "order:24"]) == set()
    assert level(a) == (7, 0)


def test_many_reservations_match_the_same_single_calls(default_warehouse, second_warehouse, stocked_variant):
    # given the same stock twice: reserved by single calls, and in one batch
    def stock():
        a = stocked_variant(on_hand=3)
        b = stocked_variant(on_hand=1, warehouse=second_warehouse)
        return a, b

    (a1, b1), (a2, b2) = stock(), stock()
    lines = [(2, 1), (1, 0), (1, 1), (0, 1)]
    singles, batch = {}, []
    for n, (qa, qb) in enumerate(lines):
        wanted = [StockRequest(v.pk, q) for v, q in ((a1, qa), (b1, qb)) if q]
        try:
            stock_reserve(reference=f"s:{n}", lines=wanted)
            singles[n] = None
        except OutOfStock:
            singles[n] = "short"
        batch.append(ReserveRequest(f"b:{n}", [StockRequest(v.pk, q) for v, q in ((a2, qa), (b2, qb)) if q]))
    results = stock_reserve_many(requests=batch)
    assert {n: (None if results[f"b:{n}"] is None else "short") for n in range(len(lines))} == singles
    assert level(a1) == level(a2) and level(b1) == level(b2)
