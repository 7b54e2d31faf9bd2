from __future__ import annotations

import pytest

from catalog import services
from catalog.models import StockLevel, StockMovement
from catalog.services import StockRequest
from core import roles
from tests.catalog.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(default_warehouse, second_warehouse, stocked_variant):
    variants = [stocked_variant(on_hand=10, sku=f"API-{i}") for i in range(5)]
    services.stock_receive(variant_id=variants[0].pk, quantity=4, warehouse_id=second_warehouse.pk)
    services.stock_reserve(reference="order:1", lines=[StockRequest(variants[0].pk, 3)])
    return variants


def test_variants_filter_by_sku_and_show_stock_per_warehouse_and_total(api_client, shop):
    response = api_client(roles.WAREHOUSE).get("/api/v1/variants/?sku=api-0")

    assert response.status_code == 200
    [variant] = response.json()["results"]
    assert (variant["sku"], variant["on_hand"], variant["reserved"], variant["available"]) == ("API-0", 14, 3, 11)
    assert [(w["warehouse"], w["on_hand"], w["reserved"], w["available"]) for w in variant["stock"]["warehouses"]] == [
        ("utama", 10, 3, 7), ("sby", 4, 0, 4)]
    assert "cost_amount" not in variant  # warehouse staff do not see costs


def test_owner_sees_costs(api_client, shop):
    response = api_client(roles.OWNER).get("/api/v1/variants/?sku=API-1")

    assert response.json()["results"][0]["cost_amount"] == 40_000


def test_variant_list_runs_a_fixed_number_of_queries(api_client, shop, django_assert_max_num_queries):
    client = api_client(roles.OWNER)
    for i in range(10):
        VariantFactory(sku=f"MORE-{i}")

    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/variants/")

    assert response.json()["count"] == 15


def test_product_list_runs_a_fixed_number_of_queries(api_client, shop, django_assert_max_num_queries):
    client = api_client(roles.ADMIN)
    for i in range(10):
        VariantFactory(sku=f"MORE-{i}")

    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/products/?search=")

    assert response.status_code == 200
    assert response.json()["count"] == 15


def test_products_can_be_searched_and_created_by_admin(api_client, shop):
    admin = api_client(roles.ADMIN)

    created = admin.post("/api/v1/products/", {"name": "Sandal Jepit", "category": "Alas Kaki"}, format="json")
    found = admin.get("/api/v1/products/?search=sandal")

    assert created.status_code == 201
    assert [p["name"] for p in found.json()["results"]] == ["Sandal Jepit"]


def test_warehouse_staff_cannot_create_products(api_client):
    response = api_client(roles.WAREHOUSE).post("/api/v1/products/", {"name": "X"}, format="json")

    assert response.status_code == 403


def test_warehouses_are_listed_default_first(api_client, shop):
    response = api_client(roles.CUSTOMER_SERVICE).get("/api/v1/warehouses/")

    assert [w["code"] for w in response.json()["results"]] == ["utama", "sby"]


def test_stock_movements_filter_by_sku(api_client, shop, django_assert_max_num_queries):
    client = api_client(roles.WAREHOUSE)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/stock-movements/?sku=API-0")

    kinds = [(m["kind"], m["warehouse"], m["on_hand_change"], m["reserved_change"]) for m in response.json()["results"]]
    assert sorted(kinds) == sorted([("receipt", "utama", 10, 0), ("receipt", "sby", 4, 0), ("reserve", "utama", 0, 3)])


def test_customer_service_cannot_read_the_ledger(api_client, shop):
    assert api_client(roles.CUSTOMER_SERVICE).get("/api/v1/stock-movements/").status_code == 403


def test_stock_adjustment_with_a_reason_changes_stock_and_names_the_actor(api_client, shop):
    client = api_client(roles.WAREHOUSE)

    response = client.post("/api/v1/stock-adjustments/",
                           {"sku": "API-1", "warehouse": "utama", "quantity_change": -2, "reason": "rusak"},
                           format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["on_hand_change"], body["actor"]) == ("adjustment", -2, client.user.username)
    assert body["stock"]["on_hand"] == 8


def test_stock_count_sets_the_counted_quantity(api_client, shop):
    response = api_client(roles.WAREHOUSE).post("/api/v1/stock-adjustments/",
                                                {"sku": "API-2", "counted_quantity": 7}, format="json")

    assert response.status_code == 201
    assert StockLevel.objects.get(variant__sku="API-2", warehouse__code="utama").on_hand == 7
    assert StockMovement.objects.filter(variant__sku="API-2", kind="count", on_hand_change=-3).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sku": "NOPE", "quantity_change": 1, "reason": "x"}, "sku"),
        ({"sku": "API-1", "warehouse": "mars", "quantity_change": 1, "reason": "x"}, "warehouse"),
        ({"sku": "API-1", "quantity_change": 1, "counted_quantity": 3, "reason": "x"}, "quantity_change"),
        ({"sku": "API-1", "reason": "x"}, "quantity_change"),
        ({"sku": "API-1", "quantity_change": 2}, "reason"),
        ({"sku": "API-1", "counted_quantity": -1}, "counted_quantity"),
        ({"sku": "API-0", "quantity_change": -9, "reason": "hilang"}, "quantity_change"),
    ],
)
def test_bad_adjustments_get_400_naming_the_field(api_client, shop, payload, field):
    response = api_client(roles.WAREHOUSE).post("/api/v1/stock-adjustments/", payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_customer_service_cannot_adjust_stock(api_client, shop):
    response = api_client(roles.CUSTOMER_SERVICE).post(
        "/api/v1/stock-adjustments/", {"sku": "API-1", "quantity_change": 1, "reason": "x"}, format="json")

    assert response.status_code == 403


def test_anonymous_callers_are_refused(api_client):
    assert api_client(None).get("/api/v1/variants/").status_code in (401, 403)


def test_product_and_variant_detail(api_client, shop):
    client = api_client(roles.CUSTOMER_SERVICE)
    variant = shop[0]

    product = client.get(f"/api/v1/products/{variant.product_id}/").json()
    detail = client.get(f"/api/v1/variants/{variant.pk}/").json()

    assert [v["sku"] for v in product["variants"]] == ["API-0"]
    assert (detail["sku"], detail["available"]) == ("API-0", 11)
    assert client.get("/api/v1/variants/999999/").json()["error"]["code"] == "not_found"


def test_a_bad_ledger_kind_filter_is_a_400(api_client, shop):
    response = api_client(roles.OWNER).get("/api/v1/stock-movements/?kind=teleport")

    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]
