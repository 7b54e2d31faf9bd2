import pytest
from django.utils import timezone

from core import roles
from shipping.models import Shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_client):
    """The dashboard in English (Accept-Language), so messages can be asserted word for word."""

    def login(role):
        client = staff_client(role)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login

PAGES = ["/dashboard/shipping/", "/dashboard/shipping/waves/", "/dashboard/shipping/pack/",
         "/dashboard/shipping/handover/", "/dashboard/shipping/shipments/", "/dashboard/shipping/on-time/",
         "/dashboard/shipping/couriers/"]


@pytest.mark.parametrize("url", PAGES)
def test_warehouse_opens_every_shipping_page(staff_client, shipped, url):
    shipped("CM-V1")
    response = staff_client(roles.WAREHOUSE).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and " onclick=" not in html and ' style="' not in html


def test_customer_service_cannot_open_the_pack_station(staff_client):
    assert staff_client(roles.CUSTOMER_SERVICE).get("/dashboard/shipping/pack/").status_code == 403


def test_finance_sees_disputes_and_warehouse_does_not(staff_client):
    assert staff_client(roles.FINANCE).get("/dashboard/shipping/disputes/").status_code == 200
    assert staff_client(roles.WAREHOUSE).get("/dashboard/shipping/disputes/").status_code == 403


def test_shipment_page_and_queue_list_run_a_bounded_number_of_queries(staff_client, shipped,
                                                                       django_assert_max_num_queries):
    shipment = shipped("CM-V2")
    client = staff_client(roles.OWNER)
    with django_assert_max_num_queries(30):
        assert client.get(f"/dashboard/shipping/shipments/{shipment.pk}/").status_code == 200
    for n in range(5):
        shipped(f"CM-V3{n}")
    with django_assert_max_num_queries(20):
        assert client.get("/dashboard/shipping/shipments/?queue=late").status_code == 200


def test_the_pack_endpoints_answer_json_with_clear_refusals(staff_client, place_order):
    client = staff_client(roles.WAREHOUSE)
    order = place_order([("KAOS-L", 1)])
    start = client.post("/dashboard/shipping/pack/start/", {"code": order.number}).json()
    assert start["ok"] and start["shipment"]["lines"][0]["sku"] == "KAOS-L"
    shipment_id = start["shipment"]["id"]
    wrong = client.post(f"/dashboard/shipping/pack/{shipment_id}/scan/", {"code": "XYZ"})
    assert wrong.status_code == 409 and "Wrong item" in wrong.json()["message"]
    barcode = order.lines.get().variant.barcode
    good = client.post(f"/dashboard/shipping/pack/{shipment_id}/scan/", {"code": barcode}).json()
    assert good["ok"] and good["complete"]
    bad_weight = client.post(f"/dashboard/shipping/pack/{shipment_id}/finish/", {"weight_grams": "abc"})
    assert bad_weight.status_code == 400 and "Weight" in bad_weight.json()["message"]
    done = client.post(f"/dashboard/shipping/pack/{shipment_id}/finish/", {"weight_grams": "450"}).json()
    assert done["ok"] and f"ids={shipment_id}" in done["label_url"]
    unknown = client.post("/dashboard/shipping/pack/start/", {"code": "NOT-AN-ORDER"})
    assert unknown.status_code == 409 and "is not an order" in unknown.json()["message"]


def test_the_handover_scan_endpoint(staff_client, place_order, jne):
    from shipping.services.shipments import shipment_create

    client = staff_client(roles.WAREHOUSE)
    shipment = shipment_create(order_id=place_order().pk, courier_id=jne.pk, tracking_number="CM-HV1")
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now())
    response = client.post("/dashboard/shipping/handover/", {"courier": jne.pk})
    manifest_url = response["Location"]
    ok = client.post(f"{manifest_url}scan/", {"code": "CM-HV1"}).json()
    again = client.post(f"{manifest_url}scan/", {"code": "CM-HV1"})
    assert ok["ok"] and ok["count"] == 1
    assert again.status_code == 409 and "already scanned" in again.json()["message"]
    pdf = client.get(f"{manifest_url}?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"


def test_the_customer_page_shows_courier_resi_and_timeline(client, shipped):
    from shipping.providers.base import TrackingEntry
    from shipping.services.tracking import tracking_record

    shipment = shipped("CM-CUST-1")
    tracking_record(shipment_id=shipment.pk, source="biteship", entries=[
        TrackingEntry("in_transit", timezone.now(), "Sorting Jakarta")])
    order = shipment.order
    html = client.get(f"/track/{order.number}/{order.access_key}/").content.decode()
    assert "CM-CUST-1" in html and "JNE" in html and "Sorting Jakarta" in html
    assert 'data-copy-target="resi-1"' in html
