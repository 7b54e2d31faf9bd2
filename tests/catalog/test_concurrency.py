"""Real threads against PostgreSQL: reservations never oversell and never deadlock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from catalog import services
from catalog.errors import OutOfStock
from catalog.models import StockLevel, StockMovement
from catalog.services import StockRequest
from tests.catalog.factories import VariantFactory, WarehouseFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return run


def test_fifty_concurrent_reservations_of_one_unit_against_ten_give_ten_successes():
    # given 10 units of one SKU
    warehouse = WarehouseFactory(code="utama", is_default=True)
    variant = VariantFactory(sku="HOT-1")
    services.stock_receive(variant_id=variant.pk, quantity=10, warehouse_id=warehouse.pk)
    start = threading.Barrier(50)

    @in_thread
    def reserve(i: int) -> str:
        start.wait(timeout=30)
        try:
            services.stock_reserve(reference=f"order:{i}", lines=[StockRequest(variant.pk, 1)])
        except OutOfStock as exc:
            assert exc.shortages[0].sku == "HOT-1"
            return "out"
        return "ok"

    # when 50 buyers check out at the same moment
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(reserve, range(50)))

    # then exactly 10 win, 40 are told it is out of stock, nothing goes negative
    assert outcomes.count("ok") == 10
    assert outcomes.count("out") == 40
    row = StockLevel.objects.get(variant=variant)
    assert (row.on_hand, row.reserved, row.available) == (10, 10, 0)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RESERVE).count() == 10


def test_two_multi_line_orders_with_the_same_skus_in_opposite_order_never_deadlock():
    # given three SKUs with plenty of stock
    warehouse = WarehouseFactory(code="utama", is_default=True)
    second = WarehouseFactory(code="sby")
    skus = [VariantFactory(sku=f"MULTI-{i}") for i in range(3)]
    for v in skus:
        services.stock_receive(variant_id=v.pk, quantity=1000, warehouse_id=warehouse.pk)
        services.stock_receive(variant_id=v.pk, quantity=1000, warehouse_id=second.pk)
    forward = [StockRequest(v.pk, 1) for v in skus]
    backward = list(reversed(forward))
    errors: list[BaseException] = []

    @in_thread
    def churn(name: str, lines) -> None:
        try:
            for i in range(40):
                services.stock_reserve(reference=f"order:{name}{i}", lines=lines)
                if i % 4 == 0:  # an edited order: swap its lines, still in sorted lock order
                    services.stock_reserve_replace(reference=f"order:{name}{i}", lines=list(reversed(lines)))
                if i % 2:
                    services.stock_release(reference=f"order:{name}{i}")
                else:
                    services.stock_commit(reference=f"order:{name}{i}")
        except BaseException as exc:  # a deadlock surfaces as OperationalError
            errors.append(exc)

    # when two workers reserve the same SKUs in opposite line order, over and over
    threads = [
        threading.Thread(target=churn, args=(name, lines))
        for name, lines in (("a", forward), ("b", backward), ("c", forward), ("d", backward))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    # then nobody deadlocked and the figures add up
    assert errors == []
    for v in skus:
        rows = StockLevel.objects.filter(variant=v)
        assert sum(r.reserved for r in rows) == 0
        assert sum(r.on_hand for r in rows) == 2000 - 80


def test_the_same_order_reserved_by_ten_workers_at_once_is_reserved_once():
    # given a marketplace that delivers the same order to ten workers at the same moment
    warehouse = WarehouseFactory(code="utama", is_default=True)
    variant = VariantFactory(sku="DUP-1")
    services.stock_receive(variant_id=variant.pk, quantity=100, warehouse_id=warehouse.pk)
    start = threading.Barrier(10)

    @in_thread
    def reserve(_i: int) -> None:
        start.wait(timeout=30)
        services.stock_reserve(reference="order:777", lines=[StockRequest(variant.pk, 3)])

    # when all of them reserve it
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(reserve, range(10)))

    # then the order holds 3 units, once
    assert StockLevel.objects.get(variant=variant).reserved == 3
    assert StockMovement.objects.filter(reference="order:777").count() == 1
