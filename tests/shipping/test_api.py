import pytest

from core import roles
from shipping.models import Rate, RateTable, Shipment

pytestmark = pytest.mark.django_db


def test_cs_reads_tracking_but_not_costs_and_cannot_write(api_client, shipped):
    shipment = shipped("CM-API-1")
    client = api_client(roles.CUSTOMER_SERVICE)
    listing = client.get("/api/v1/shipments/?resi=CM-API-1")
    assert listing.status_code == 200
    row = listing.json()["results"][0]
    assert (row["tracking_number"], row["courier"], row["status"], row["costs"]) == ("CM-API-1", "jne",
                                                                                      "picked_up", None)
    assert client.get(f"/api/v1/shipments/{shipment.pk}/tracking-events/").status_code == 200
    assert client.post(f"/api/v1/shipments/{shipment.pk}/cancel/", {"reason": "x"}).status_code == 403


def test_finance_sees_costs(api_client, shipped):
    shipment = shipped("CM-API-2")
    Shipment.objects.filter(pk=shipment.pk).update(cost_amount=18_000, quoted_cost_amount=17_000)
    row = api_client(roles.FINANCE).get(f"/api/v1/shipments/{shipment.pk}/").json()
    assert row["costs"]["cost_amount"] == 18_000 and row["costs"]["quoted_cost_amount"] == 17_000


def test_warehouse_adds_a_resi_and_a_duplicate_gets_a_409_naming_the_order(api_client, place_order):
    client = api_client(roles.WAREHOUSE)
    first, second = place_order(), place_order()
    one = client.post("/api/v1/shipments/", {"order": first.pk}, format="json")
    two = client.post("/api/v1/shipments/", {"order": second.pk}, format="json")
    assert one.status_code == 201 and two.status_code == 201
    ok = client.post(f"/api/v1/shipments/{one.json()['id']}/resi/", {"tracking_number": "JP123", "courier": "jnt"},
                     format="json")
    dup = client.post(f"/api/v1/shipments/{two.json()['id']}/resi/", {"tracking_number": "JP123", "courier": "J&T"},
                      format="json")
    assert ok.status_code == 200 and ok.json()["tracking_number"] == "JP123"
    assert dup.status_code == 409 and first.number in dup.json()["error"]["message"]


def test_filters_and_bad_filters(api_client, shipped, django_assert_max_num_queries):
    for n in range(3):
        shipped(f"CM-F{n}")
    client = api_client(roles.OWNER)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/shipments/?courier=jne&status=picked_up").json()["count"] == 3
    assert client.get("/api/v1/shipments/?status=flying").status_code == 400
    assert client.get("/api/v1/shipments/999999/").status_code == 404


def test_creating_a_parcel_for_a_cancelled_or_missing_order_is_refused(api_client, place_order):
    from orders.services import order_cancel

    order = place_order()
    order_cancel(order_id=order.pk, reason="x")
    client = api_client(roles.WAREHOUSE)
    assert client.post("/api/v1/shipments/", {"order": order.pk}, format="json").status_code == 409
    assert client.post("/api/v1/shipments/", {"order": 999999}, format="json").status_code == 404
    assert client.post("/api/v1/shipments/", {"order": "abc"}, format="json").status_code == 400


@pytest.mark.parametrize("key", ["", "abc", "²", "99999999999999999999"])
def test_a_parcel_line_key_that_is_no_line_id_is_a_400_naming_the_field(api_client, place_order, key):
    order = place_order()
    response = api_client(roles.WAREHOUSE).post("/api/v1/shipments/", {"order": order.pk, "lines": {key: 1}},
                                                format="json")
    assert response.status_code == 400
    assert "lines" in response.json()["error"]["fields"]


def test_rates_quote_from_the_table_and_validation(api_client, jne_reg):
    table = RateTable.objects.create(name="T", origin_city="Jakarta Barat")
    Rate.objects.create(table=table, service=jne_reg, origin_key="jakarta barat", province_key="bali",
                        destination="Bali", price_per_kg_amount=24_000, etd_min_days=2, etd_max_days=3)
    client = api_client(roles.CUSTOMER_SERVICE)
    answer = client.post("/api/v1/shipping/rates/", {"province": "Bali", "weight_grams": 1300}, format="json")
    assert answer.status_code == 200
    option = answer.json()["options"][0]
    assert (option["courier_code"], option["price_amount"], option["cheapest"]) == ("jne", 24_000, True)
    bad = client.post("/api/v1/shipping/rates/", {"province": "Bali"}, format="json")
    assert bad.status_code == 400 and "weight_grams" in bad.json()["error"]["fields"]
    huge = client.post("/api/v1/shipping/rates/", {"province": "Bali", "weight_grams": 10**9}, format="json")
    assert huge.status_code == 400


def test_the_schema_lists_the_shipping_endpoints(api_client):
    schema = api_client(roles.OWNER).get("/api/schema/").content.decode()
    assert "/api/v1/shipments/{id}/resi/" in schema and "/api/v1/shipping/rates/" in schema


def test_a_rate_quote_for_an_order(api_client, place_order, jne_reg):
    table = RateTable.objects.create(name="T", origin_city="Jakarta Barat")
    Rate.objects.create(table=table, service=jne_reg, origin_key="jakarta barat", province_key="jawa barat",
                        destination="Jawa Barat", price_per_kg_amount=11_000)
    order = place_order([("KAOS-L", 2)])
    answer = api_client(roles.WAREHOUSE).post("/api/v1/shipping/rates/", {"order": order.pk}, format="json")
    assert answer.status_code == 200 and answer.json()["options"][0]["price_amount"] == 11_000


@pytest.mark.parametrize("query", ["status=", "status=nope", "direction=", "direction=sideways"])
def test_an_empty_or_unknown_enum_filter_is_a_400(api_client, query):
    response = api_client(roles.WAREHOUSE).get(f"/api/v1/shipments/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["fields"]
