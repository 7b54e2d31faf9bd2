"""stock_reserve's short path: a bounded number of statements whatever the lines, the same guarantees."""

from __future__ import annotations

import pytest
from django.db import transaction

from catalog import services
from catalog.errors import OutOfStock
from catalog.models import StockLevel, StockMovement
from catalog.services import StockRequest
from core.errors import NotFound

Kind = StockMovement.Kind
pytestmark = pytest.mark.django_db


# listed variants, the sorted row locks, one statement writing rows and ledger
RESERVE_STATEMENTS = 3


@pytest.mark.parametrize("line_count", [1, 3, 20])
def test_a_reservation_stays_under_the_same_statement_bound_whatever_its_line_count(
    default_warehouse, stocked_variant, django_assert_max_num_queries, line_count
):
    # given as many stocked variants as lines
    variants = [stocked_variant(on_hand=50) for _ in range(line_count)]
    lines = [StockRequest(v.pk, n + 1) for n, v in enumerate(variants)]
    # when one reservation takes them all
    with django_assert_max_num_queries(RESERVE_STATEMENTS):
        services.stock_reserve(reference="order:31", lines=lines)
    # then every line is reserved with one ledger row, in variant order
    reserved = dict(StockLevel.objects.filter(variant__in=variants).values_list("variant_id", "reserved"))
    assert reserved == {v.pk: n + 1 for n, v in enumerate(variants)}
    ledger = list(StockMovement.objects.filter(reference="order:31").order_by("id")
                  .values_list("variant_id", "kind", "reserved_change", "on_hand_change"))
    assert ledger == [(v.pk, Kind.RESERVE, n + 1, 0) for n, v in enumerate(variants)]


def test_a_caller_that_catches_out_of_stock_keeps_a_usable_transaction(default_warehouse, stocked_variant):
    # given a variant with 1 unit and another with plenty
    short, plenty = stocked_variant(on_hand=1), stocked_variant(on_hand=9)
    # when a reservation inside the caller's transaction is short, and the caller goes on
    with transaction.atomic():
        with pytest.raises(OutOfStock):
            services.stock_reserve(reference="order:32", lines=[StockRequest(short.pk, 2), StockRequest(plenty.pk, 1)])
        services.stock_reserve(reference="order:33", lines=[StockRequest(plenty.pk, 4)])
    # then nothing of the short reservation was written and the second one was
    assert not StockMovement.objects.filter(reference="order:32").exists()
    assert StockLevel.objects.get(variant=plenty).reserved == 4


def test_a_repeat_after_the_stock_ran_out_is_still_a_no_op(default_warehouse, stocked_variant):
    # given a reference holding the last 3 units
    variant = stocked_variant(on_hand=3)
    services.stock_reserve(reference="order:34", lines=[StockRequest(variant.pk, 3)])
    # when the same reservation is asked again
    services.stock_reserve(reference="order:34", lines=[StockRequest(variant.pk, 3)])
    # then it is not an error and nothing more is reserved
    assert StockLevel.objects.get(variant=variant).reserved == 3
    assert StockMovement.objects.filter(reference="order:34").count() == 1


def test_an_unknown_variant_is_not_found_and_a_variant_without_stock_rows_is_short(default_warehouse,
                                                                                   stocked_variant):
    # given a variant that was never received anywhere
    empty = stocked_variant(on_hand=0)
    # when it is reserved, then it is short by its SKU; an id that does not exist is not found
    with pytest.raises(OutOfStock) as short:
        services.stock_reserve(reference="order:35", lines=[StockRequest(empty.pk, 1)])
    assert [s.sku for s in short.value.shortages] == [empty.sku]
    with pytest.raises(NotFound):
        services.stock_reserve(reference="order:36", lines=[StockRequest(987_654, 1)])
    assert not StockMovement.objects.filter(reference__in=["order:35", "order:36"]).exists()


def test_rows_in_an_inactive_warehouse_are_not_used(default_warehouse, second_warehouse, stocked_variant):
    # given stock only in a warehouse that was deactivated since
    variant = stocked_variant(on_hand=5, warehouse=second_warehouse)
    second_warehouse.is_active = False
    second_warehouse.save(update_fields=["is_active"])
    # when it is reserved without naming a warehouse, then it is short
    with pytest.raises(OutOfStock):
        services.stock_reserve(reference="order:37", lines=[StockRequest(variant.pk, 1)])
    assert StockLevel.objects.get(variant=variant).reserved == 0
