"""API permissions per role, the OpenAPI schema, and the dashboard pages."""

from __future__ import annotations

import pytest

from aftersales.models import Case, ReturnRequest
from aftersales.services import cases, returns
from core import roles

pytestmark = pytest.mark.django_db


def _inspected(delivered_order, cs_user, warehouse_user):
    order = delivered_order(qty=1)
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    returns.return_receive(return_id=rma.pk, actor=warehouse_user)
    returns.return_inspect(return_id=rma.pk, results=[returns.InspectionResult(rma.lines.get().pk, 1, 0)])
    return rma


def test_customer_service_opens_and_answers_a_case_through_the_api(api_client, delivered_order):
    client = api_client(roles.CUSTOMER_SERVICE)
    order = delivered_order()

    created = client.post("/api/v1/cases/", {"subject": "Paket telat", "category": "late_delivery",
                                             "order_id": order.pk, "channel": "whatsapp",
                                             "description": "Sudah 5 hari belum sampai"}, format="json")
    case_id = created.json()["id"]
    replied = client.post(f"/api/v1/cases/{case_id}/reply/", {"body": "Kami cek ke kurir"}, format="json")

    assert created.status_code == 201 and created.json()["customer_id"] == order.customer_id
    assert replied.status_code == 200 and replied.json()["status"] == "in_progress"
    assert [m["kind"] for m in replied.json()["messages"]] == ["inbound", "outbound"]
    # the customer's own message has no staff author: null, as the schema says
    assert replied.json()["messages"][0]["author"] is None
    schema = client.get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["CaseMessageOutput"]["properties"]["author"].get("nullable") is True


def test_bad_case_input_is_a_400_that_names_the_field(api_client):
    response = api_client(roles.CUSTOMER_SERVICE).post("/api/v1/cases/", {"subject": "", "category": "nope"},
                                                       format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"subject", "category"}


@pytest.mark.parametrize("url", ["/api/v1/cases/", "/api/v1/returns/", "/api/v1/shipments/"])
@pytest.mark.parametrize("body, content_type", [
    ("subject=x&category=damaged&lines=order_line_id", "application/x-www-form-urlencoded"),
    ("--b\r\nNone--b--\r\n", "multipart/form-data; boundary=b"),
])
def test_a_form_body_cannot_carry_lines_and_is_a_415(api_client, url, body, content_type):
    response = api_client(roles.OWNER).generic("POST", url, body, content_type=content_type)

    assert response.status_code == 415


def test_the_warehouse_cannot_work_cases_or_approve_returns(api_client, delivered_order):
    client = api_client(roles.WAREHOUSE)
    order = delivered_order()
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")

    assert client.post("/api/v1/cases/", {"subject": "x"}, format="json").status_code == 403
    assert client.post(f"/api/v1/returns/{rma.pk}/approve/", {}, format="json").status_code == 403


def test_the_warehouse_receives_and_inspects_a_return(api_client, delivered_order, cs_user):
    order = delivered_order()
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")
    returns.return_approve(return_id=rma.pk, actor=cs_user)
    client = api_client(roles.WAREHOUSE)

    received = client.post(f"/api/v1/returns/{rma.pk}/receive/", {}, format="json")
    line_id = received.json()["lines"][0]["id"]
    inspected = client.post(f"/api/v1/returns/{rma.pk}/inspect/",
                            {"lines": [{"return_line_id": line_id, "resellable": 1, "damaged": 0}]}, format="json")

    assert received.status_code == 200 and inspected.json()["status"] == "inspected"


def test_only_finance_completes_a_return_with_a_refund(api_client, delivered_order, cs_user, warehouse_user):
    rma = _inspected(delivered_order, cs_user, warehouse_user)

    by_cs = api_client(roles.CUSTOMER_SERVICE).post(f"/api/v1/returns/{rma.pk}/complete/", {"outcome": "refund"},
                                                    format="json")
    by_finance = api_client(roles.FINANCE).post(f"/api/v1/returns/{rma.pk}/complete/", {"outcome": "refund"},
                                                format="json")

    assert by_cs.status_code == 403
    assert by_finance.status_code == 200 and by_finance.json()["refund_amount"] == 150_000


def test_an_invalid_return_transition_is_a_409(api_client, delivered_order):
    order = delivered_order()
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")

    response = api_client(roles.ADMIN).post(f"/api/v1/returns/{rma.pk}/receive/", {}, format="json")

    assert response.status_code == 409
    assert ReturnRequest.objects.get().status == "requested"


def test_the_schema_lists_the_after_sales_endpoints(api_client):
    schema = api_client(roles.OWNER).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in ("/api/v1/cases/", "/api/v1/returns/", "/api/v1/reviews/", "/api/v1/returns/{id}/inspect/"):
        assert path in schema["paths"]


@pytest.mark.parametrize("url", ["/dashboard/aftersales/", "/dashboard/aftersales/?queue=breached",
                                 "/dashboard/aftersales/returns/?queue=approve", "/dashboard/aftersales/reviews/",
                                 "/dashboard/aftersales/feedback/?group=courier", "/dashboard/aftersales/settings/",
                                 "/dashboard/aftersales/cases/new/"])
def test_dashboard_pages_render_for_the_owner(staff_client, url, delivered_order):
    order = delivered_order()
    case = cases.case_open(subject="Paket rusak", order_id=order.pk, description="kemasan penyok")
    cases.case_add_note(case_id=case.pk, body="cek CCTV")

    response = staff_client().get(url)

    assert response.status_code == 200


def test_case_and_return_pages_render(staff_client, delivered_order, cs_user, warehouse_user):
    rma = _inspected(delivered_order, cs_user, warehouse_user)
    client = staff_client()

    assert client.get(f"/dashboard/aftersales/cases/{rma.case_id}/").status_code == 200
    assert client.get(f"/dashboard/aftersales/returns/{rma.pk}/").status_code == 200


def test_the_warehouse_does_not_see_the_case_form_actions(staff_client, delivered_order):
    order = delivered_order()
    case = cases.case_open(subject="x", order_id=order.pk)

    response = staff_client(roles.WAREHOUSE).post(f"/dashboard/aftersales/cases/{case.pk}/reply/", {"body": "hai"})

    assert response.status_code == 403
    assert not Case.objects.get().messages.exists()


def test_the_settings_page_refuses_a_window_below_two_working_days(staff_client):
    response = staff_client().post("/dashboard/aftersales/settings/", {
        "form": "policy", "window_working_days": "1", "shipping_paid_by": "buyer"})

    assert response.status_code == 400


def test_customer_service_opens_a_warranty_claim_from_the_dashboard(staff_client, delivered_order, variant):
    from aftersales.models import WarrantyClaim
    from aftersales.services.warranty import product_warranty_set

    order = delivered_order()
    product_warranty_set(product_id=variant.product_id, months=12)
    client = staff_client(roles.CUSTOMER_SERVICE)

    response = client.post("/dashboard/aftersales/warranty/new/", {
        "order_number": order.number, "sku": variant.sku, "serial_number": "sn-001", "problem": "Mati total"})
    wrong = client.post("/dashboard/aftersales/warranty/new/", {
        "order_number": order.number, "sku": "NOPE", "serial_number": "sn-002", "problem": "x"})

    claim = WarrantyClaim.objects.get()
    assert response.status_code == 302 and claim.unit.serial_number == "SN-001"
    assert wrong.status_code == 400


def test_a_replacement_unit_keeps_the_remaining_warranty(delivered_order, variant, cs_user):
    from aftersales.services import warranty

    order = delivered_order()
    warranty.product_warranty_set(product_id=variant.product_id, months=12)
    claim = warranty.warranty_claim_open(order_line_id=order.lines.get().pk, serial_number="A1", problem="rusak")
    warranty.warranty_claim_accept(claim_id=claim.pk, outcome="replacement", actor=cs_user)

    claim = warranty.warranty_claim_complete(claim_id=claim.pk, replacement_serial="B2", actor=cs_user)

    assert claim.replacement_unit.serial_number == "B2"
    assert claim.replacement_unit.ends_on == claim.unit.ends_on
    claim.case.refresh_from_db()
    assert claim.case.status == "resolved" and claim.case.resolution == "replacement"


@pytest.mark.parametrize(("method", "gets_shipment"), [("pickup", True), ("drop_off", True), ("in_person", False)])
def test_the_api_approves_a_return_with_how_the_parcel_comes_back(api_client, delivered_order, method, gets_shipment):
    # given
    order = delivered_order()
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")

    # when
    response = api_client(roles.CUSTOMER_SERVICE).post(f"/api/v1/returns/{rma.pk}/approve/",
                                                       {"method": method, "note": "Dus asli ya"}, format="json")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["return_method"]) == ("approved", method)
    assert (body["return_shipment_id"] is not None) == gets_shipment


def test_the_api_approve_defaults_to_drop_off(api_client, delivered_order):
    order = delivered_order()
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")

    response = api_client(roles.CUSTOMER_SERVICE).post(f"/api/v1/returns/{rma.pk}/approve/", {}, format="json")

    assert response.status_code == 200 and response.json()["return_method"] == "drop_off"


@pytest.mark.parametrize("method", ["teleport", "", None, 3, "PICKUP"])
def test_the_api_refuses_an_unknown_return_method_and_changes_nothing(api_client, delivered_order, method):
    order = delivered_order()
    rma = returns.return_request_create(order_id=order.pk, lines=[returns.ReturnLineRequest(order.lines.get().pk, 1)],
                                        reason="damaged", description="x")

    response = api_client(roles.CUSTOMER_SERVICE).post(f"/api/v1/returns/{rma.pk}/approve/", {"method": method},
                                                       format="json")

    assert response.status_code == 400
    assert "method" in response.json()["error"]["fields"]
    rma.refresh_from_db()
    assert rma.status == "requested" and rma.return_shipment_id is None


def test_the_schema_documents_the_return_methods_of_approve(api_client):
    schema = api_client(roles.OWNER).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    body = schema["paths"]["/api/v1/returns/{id}/approve/"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
    method = schema["components"]["schemas"][ref]["properties"]["method"]
    enum_ref = method.get("$ref") or method["allOf"][0]["$ref"]
    assert set(schema["components"]["schemas"][enum_ref.rsplit("/", 1)[-1]]["enum"]) == {
        "drop_off", "pickup", "in_person"}
