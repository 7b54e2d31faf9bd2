from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from catalog import services
from catalog.errors import InvalidStockChange, OutOfStock, Shortage
from catalog.models import StockLevel, StockMovement
from catalog.selectors import variant_stock_summary
from catalog.services import StockRequest
from core.errors import DomainError, NotFound

Kind = StockMovement.Kind
pytestmark = pytest.mark.django_db


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def test_out_of_stock_is_a_409_domain_error_naming_the_short_skus():
    error = OutOfStock([Shortage(sku="KAOS-M", requested=3, available=1)])

    assert isinstance(error, DomainError)
    assert error.code == "out_of_stock"
    assert error.http_status == 409
    assert error.shortages == [Shortage("KAOS-M", 3, 1)]
    assert "KAOS-M" in error.message


def test_receive_raises_on_hand_and_writes_a_receipt_row(default_warehouse, stocked_variant, owner):
    variant = stocked_variant(on_hand=0)

    movement = services.stock_receive(variant_id=variant.pk, quantity=12, actor=owner, reference="po:7", reason="PO")

    assert level(variant, default_warehouse).on_hand == 12
    assert (movement.kind, movement.on_hand_change, movement.reference, movement.actor) == (Kind.RECEIPT, 12, "po:7",
                                                                                             owner)


def test_reserve_takes_from_the_default_warehouse_and_writes_one_row_per_stock_row(default_warehouse,
                                                                                   stocked_variant):
    a, b = stocked_variant(on_hand=5), stocked_variant(on_hand=5)

    services.stock_reserve(reference="order:1", lines=[StockRequest(a.pk, 2), StockRequest(b.pk, 1)])

    assert level(a, default_warehouse).reserved == 2
    assert level(b, default_warehouse).reserved == 1
    rows = StockMovement.objects.filter(reference="order:1", kind=Kind.RESERVE)
    assert sorted(rows.values_list("variant_id", "reserved_change")) == sorted([(a.pk, 2), (b.pk, 1)])


def test_reserve_sums_quantities_of_the_same_variant_on_several_lines(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)

    services.stock_reserve(reference="order:2", lines=[StockRequest(variant.pk, 2), StockRequest(variant.pk, 3)])

    assert level(variant, default_warehouse).reserved == 5
    assert StockMovement.objects.filter(reference="order:2").count() == 1


def test_reserve_is_all_or_nothing_and_names_every_short_sku(default_warehouse, stocked_variant):
    fine = stocked_variant(on_hand=5, sku="FINE")
    short1 = stocked_variant(on_hand=1, sku="SHORT-1")
    short2 = stocked_variant(on_hand=0, sku="SHORT-2")

    with pytest.raises(OutOfStock) as caught:
        services.stock_reserve(
            reference="order:3",
            lines=[StockRequest(fine.pk, 2), StockRequest(short1.pk, 2), StockRequest(short2.pk, 1)],
        )

    assert caught.value.shortages == [Shortage("SHORT-1", 2, 1), Shortage("SHORT-2", 1, 0)]
    assert "SHORT-1" in str(caught.value) and "SHORT-2" in str(caught.value)
    assert level(fine, default_warehouse).reserved == 0
    assert not StockMovement.objects.filter(reference="order:3").exists()


def test_reserve_twice_for_the_same_reference_reserves_once(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)

    services.stock_reserve(reference="order:4", lines=[StockRequest(variant.pk, 2)])
    services.stock_reserve(reference="order:4", lines=[StockRequest(variant.pk, 2)])

    assert level(variant, default_warehouse).reserved == 2


def test_reserve_uses_other_warehouses_when_the_default_is_short(default_warehouse, second_warehouse,
                                                                 stocked_variant):
    variant = stocked_variant(on_hand=1)
    services.stock_receive(variant_id=variant.pk, quantity=4, warehouse_id=second_warehouse.pk)

    services.stock_reserve(reference="order:5", lines=[StockRequest(variant.pk, 3)])

    assert level(variant, default_warehouse).reserved == 1
    assert level(variant, second_warehouse).reserved == 2


def test_reserve_in_a_named_warehouse_only_counts_that_warehouse(default_warehouse, second_warehouse,
                                                                  stocked_variant):
    variant = stocked_variant(on_hand=10, sku="KAOS-WH")

    with pytest.raises(OutOfStock) as caught:
        services.stock_reserve(reference="order:6", lines=[StockRequest(variant.pk, 1)],
                               warehouse_id=second_warehouse.pk)

    assert caught.value.shortages == [Shortage("KAOS-WH", 1, 0)]


def test_reserve_rejects_zero_quantity_and_unknown_variants(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=10)

    with pytest.raises(InvalidStockChange):
        services.stock_reserve(reference="order:7", lines=[StockRequest(variant.pk, 0)])
    with pytest.raises(NotFound):
        services.stock_reserve(reference="order:7", lines=[StockRequest(999999, 1)])


def test_release_gives_back_what_the_reference_holds_and_is_idempotent(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)
    services.stock_reserve(reference="order:8", lines=[StockRequest(variant.pk, 3)])

    services.stock_release(reference="order:8", reason="cancelled by buyer")
    services.stock_release(reference="order:8", reason="cancelled by buyer")

    row = level(variant, default_warehouse)
    assert (row.on_hand, row.reserved) == (5, 0)
    release = StockMovement.objects.get(reference="order:8", kind=Kind.RELEASE)
    assert (release.reserved_change, release.reason) == (-3, "cancelled by buyer")


def test_commit_ships_the_reserved_goods_once(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)
    services.stock_reserve(reference="order:9", lines=[StockRequest(variant.pk, 2)])

    services.stock_commit(reference="order:9")
    services.stock_commit(reference="order:9")
    services.stock_release(reference="order:9")

    row = level(variant, default_warehouse)
    assert (row.on_hand, row.reserved) == (3, 0)
    shipment = StockMovement.objects.get(reference="order:9", kind=Kind.SHIPMENT)
    assert (shipment.on_hand_change, shipment.reserved_change) == (-2, -2)


def test_a_shipped_reference_does_not_reserve_again(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)
    services.stock_reserve(reference="order:10", lines=[StockRequest(variant.pk, 2)])
    services.stock_commit(reference="order:10")

    services.stock_reserve(reference="order:10", lines=[StockRequest(variant.pk, 2)])

    assert level(variant, default_warehouse).reserved == 0


def test_a_released_reference_may_reserve_again(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)
    services.stock_reserve(reference="order:11", lines=[StockRequest(variant.pk, 2)])
    services.stock_release(reference="order:11")

    services.stock_reserve(reference="order:11", lines=[StockRequest(variant.pk, 1)])

    assert level(variant, default_warehouse).reserved == 1


def test_adjust_needs_a_reason_and_cannot_go_below_zero_or_below_reserved(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)
    services.stock_reserve(reference="order:12", lines=[StockRequest(variant.pk, 3)])

    with pytest.raises(InvalidStockChange) as no_reason:
        services.stock_adjust(variant_id=variant.pk, quantity_change=-1, reason=" ")
    with pytest.raises(InvalidStockChange) as below_reserved:
        services.stock_adjust(variant_id=variant.pk, quantity_change=-3, reason="rusak")
    with pytest.raises(InvalidStockChange):
        services.stock_adjust(variant_id=variant.pk, quantity_change=-9, reason="hilang")
    services.stock_adjust(variant_id=variant.pk, quantity_change=-2, reason="rusak")

    assert no_reason.value.field == "reason"
    assert below_reserved.value.field == "quantity_change"
    row = level(variant, default_warehouse)
    assert (row.on_hand, row.reserved) == (3, 3)


def test_count_sets_on_hand_and_records_the_difference(default_warehouse, stocked_variant, owner):
    variant = stocked_variant(on_hand=10)

    movement = services.stock_count(variant_id=variant.pk, counted_quantity=7, actor=owner, reason="opname Nov")
    same = services.stock_count(variant_id=variant.pk, counted_quantity=7, actor=owner)

    assert level(variant, default_warehouse).on_hand == 7
    assert (movement.kind, movement.on_hand_change, movement.reason) == (Kind.COUNT, -3, "opname Nov")
    assert same.on_hand_change == 0


def test_return_restock_is_idempotent_per_reference(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=0)

    services.stock_return_restock(variant_id=variant.pk, quantity=2, reference="return:1", reason="size swap")
    again = services.stock_return_restock(variant_id=variant.pk, quantity=2, reference="return:1")

    assert again is None
    assert level(variant, default_warehouse).on_hand == 2


def test_transfer_moves_available_units_between_warehouses(default_warehouse, second_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=6)

    services.stock_transfer(variant_id=variant.pk, from_warehouse_id=default_warehouse.pk,
                            to_warehouse_id=second_warehouse.pk, quantity=4)

    assert level(variant, default_warehouse).on_hand == 2
    assert level(variant, second_warehouse).on_hand == 4


def test_the_database_refuses_reserved_above_on_hand(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(reserved=2)


def test_stock_summary_shows_each_warehouse_and_the_total(default_warehouse, second_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)
    services.stock_receive(variant_id=variant.pk, quantity=3, warehouse_id=second_warehouse.pk)
    services.stock_reserve(reference="order:13", lines=[StockRequest(variant.pk, 2)])

    summary = variant_stock_summary(variant_id=variant.pk)

    assert (summary.on_hand, summary.reserved, summary.available) == (8, 2, 6)
    assert [(w.warehouse_code, w.available) for w in summary.warehouses] == [("utama", 3), ("sby", 3)]


def test_ledger_sums_to_the_stock_figures_after_a_working_day(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=20)
    services.stock_reserve(reference="order:a", lines=[StockRequest(variant.pk, 3)])
    services.stock_reserve(reference="order:b", lines=[StockRequest(variant.pk, 4)])
    services.stock_commit(reference="order:a")
    services.stock_release(reference="order:b")
    services.stock_adjust(variant_id=variant.pk, quantity_change=-1, reason="rusak")
    services.stock_count(variant_id=variant.pk, counted_quantity=15)

    sums = StockMovement.objects.filter(variant=variant).aggregate(o=Sum("on_hand_change"), r=Sum("reserved_change"))
    row = level(variant, default_warehouse)
    assert (row.on_hand, row.reserved) == (sums["o"], sums["r"]) == (15, 0)


def test_replace_swaps_what_a_reference_holds(default_warehouse, stocked_variant):
    a, b = stocked_variant(on_hand=5), stocked_variant(on_hand=5)
    services.stock_reserve(reference="order:20", lines=[StockRequest(a.pk, 2)])

    services.stock_reserve_replace(reference="order:20", lines=[StockRequest(b.pk, 3)], reason="buyer changed size")

    assert level(a, default_warehouse).reserved == 0
    assert level(b, default_warehouse).reserved == 3
    release = StockMovement.objects.get(reference="order:20", kind=Kind.RELEASE)
    assert (release.variant_id, release.reserved_change, release.reason) == (a.pk, -2, "buyer changed size")


def test_replace_counts_the_released_units_as_available(default_warehouse, stocked_variant):
    variant = stocked_variant(on_hand=5)
    services.stock_reserve(reference="order:21", lines=[StockRequest(variant.pk, 4)])

    services.stock_reserve_replace(reference="order:21", lines=[StockRequest(variant.pk, 5)])

    assert level(variant, default_warehouse).reserved == 5


def test_replace_that_runs_short_keeps_the_old_reservation(default_warehouse, stocked_variant):
    a, b = stocked_variant(on_hand=5), stocked_variant(on_hand=1, sku="REPL-SHORT")
    services.stock_reserve(reference="order:22", lines=[StockRequest(a.pk, 2)])

    with pytest.raises(OutOfStock) as caught:
        services.stock_reserve_replace(reference="order:22", lines=[StockRequest(b.pk, 2)])

    assert caught.value.shortages == [Shortage("REPL-SHORT", 2, 1)]
    assert level(a, default_warehouse).reserved == 2
    assert not StockMovement.objects.filter(reference="order:22", kind=Kind.RELEASE).exists()
