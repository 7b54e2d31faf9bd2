"""Merge without losing a row, data export and erasure, profile pages and API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from aftersales.models import Case, Review, SurveyResponse
from aftersales.services import cases, reviews, surveys
from core import roles
from customers.models import CustomerMerge, CustomerNote, CustomerTag, PointsEntry
from customers.services import loyalty, merge, privacy, profile
from notifications.consent import consent_record
from notifications.models import ConsentRecord, Notification
from orders.models import Customer, Order
from orders.services import order_complete
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _rows_pointing_at(customer_id: int) -> int:
    total = 0
    for rel in Customer._meta.related_objects:
        total += rel.related_model.objects.filter(**{rel.field.name: customer_id}).count()
    return total


def test_a_merge_moves_every_row_and_keeps_a_record(delivered_order, cs_user):
    # given: the same person as two customers, each with orders, a case, a review, a survey, points, tags
    keep = delivered_order(phone="0812-1111-0001")
    dup = delivered_order(phone="0812-1111-0002")
    order_complete(order_id=dup.pk)
    cases.case_open(subject="Telat", order_id=dup.pk)
    reviews.review_submit(order=dup, ratings=[reviews.LineRating(dup.lines.get().pk, 5)])
    surveys.survey_answer(kind="nps", score=9, order=dup)
    profile.customer_tags_set(customer_id=dup.customer_id, tags=["reseller"])
    profile.customer_tags_set(customer_id=keep.customer_id, tags=["reseller", "vip"])
    profile.customer_note_add(customer_id=dup.customer_id, body="Suka warna gelap")
    consent_record(customer_id=dup.customer_id, purpose="marketing", granted=True, source="whatsapp", proof="chat")
    before = _rows_pointing_at(dup.customer_id)

    # when
    record = merge.customer_merge(source_id=dup.customer_id, target_id=keep.customer_id, actor=cs_user)

    # then: nothing points at the duplicate, which is gone; every row now belongs to the kept customer
    assert not Customer.objects.filter(pk=dup.customer_id).exists()
    assert _rows_pointing_at(dup.customer_id) == 0
    assert Order.objects.filter(customer_id=keep.customer_id).count() == 2
    assert Case.objects.get().customer_id == keep.customer_id
    assert Review.objects.get().customer_id == keep.customer_id
    assert SurveyResponse.objects.get().customer_id == keep.customer_id
    assert PointsEntry.objects.get().customer_id == keep.customer_id
    assert ConsentRecord.objects.get().customer_id == keep.customer_id
    assert set(CustomerTag.objects.values_list("customer_id", "tag")) == {(keep.customer_id, "reseller"),
                                                                         (keep.customer_id, "vip")}
    assert CustomerNote.objects.get().customer_id == keep.customer_id
    assert sum(record.moved.values()) >= before - 1  # the duplicate tag was folded into the kept one
    assert record.source_snapshot["phone"] == "+6281211110002"


def test_merging_a_customer_into_itself_is_refused(delivered_order):
    order = delivered_order()

    with pytest.raises(ValidationError):
        merge.customer_merge(source_id=order.customer_id, target_id=order.customer_id)
    assert not CustomerMerge.objects.exists()


def test_export_holds_what_the_shop_knows(delivered_order):
    order = delivered_order()
    cases.case_open(subject="Telat", order_id=order.pk, description="Belum sampai", channel="whatsapp")

    data = privacy.customer_data_export(customer_id=order.customer_id)

    assert data["customer"]["phone"] == "+6281234567001"
    assert data["orders"][0]["number"] == order.number and data["orders"][0]["lines"][0]["quantity"] == 2
    assert data["cases"][0]["messages"][0]["body"] == "Belum sampai"
    assert data["payments"][0]["status"] == "paid"


def test_erasure_removes_the_person_but_keeps_the_bookkeeping(delivered_order):
    order = delivered_order()
    cases.case_open(subject="Telat", order_id=order.pk, description="Alamat saya Jl. Mawar 3", channel="whatsapp")
    consent_record(customer_id=order.customer_id, purpose="marketing", granted=False, source="phone", proof="STOP")

    privacy.customer_erase(customer_id=order.customer_id, reason="Permintaan pelanggan")

    order.refresh_from_db()
    customer = Customer.objects.get(pk=order.customer_id)
    assert customer.phone == "" and customer.email == "" and "terhapus" in customer.name
    assert order.shipping_phone == "" and order.shipping_address == ""
    assert order.total_amount == 300_000 and order.lines.count() == 1  # bookkeeping stays
    assert order.events.filter(kind="personal_data_erased").exists()
    assert Case.objects.get().messages.get().body == "[dihapus]"
    assert not Notification.objects.exclude(recipient="").filter(order=order).exists()
    assert ConsentRecord.objects.filter(customer=customer).count() == 1  # the proof stays


def test_the_profile_page_shows_the_timeline_and_figures(staff_client, delivered_order):
    order = delivered_order()
    order_complete(order_id=order.pk)
    cases.case_open(subject="Telat", order_id=order.pk)

    html = staff_client(roles.CUSTOMER_SERVICE).get(f"/dashboard/customers/{order.customer_id}/").content.decode()

    assert order.number in html and 'id="timeline"' in html and "Telat" in html
    assert 'id="consents"' in html


@pytest.mark.parametrize("url", ["/dashboard/customers/", "/dashboard/customers/?q=0812-3456-7001",
                                 "/dashboard/customers/duplicates/", "/dashboard/customers/vouchers/",
                                 "/dashboard/customers/loyalty/", "/dashboard/customers/campaigns/"])
def test_crm_pages_render(staff_client, delivered_order, url):
    delivered_order()

    assert staff_client().get(url).status_code == 200


def test_a_same_email_pair_is_listed_as_a_possible_duplicate(staff_client):
    a = CustomerFactory(email="sama@example.id")
    b = CustomerFactory(email="SAMA@example.id")

    html = staff_client().get("/dashboard/customers/duplicates/").content.decode()

    assert f"#{a.pk}" in html and f"#{b.pk}" in html


def test_customer_service_records_a_consent_from_the_profile(staff_client, delivered_order):
    order = delivered_order()

    staff_client(roles.CUSTOMER_SERVICE).post(f"/dashboard/customers/{order.customer_id}/consent/", {
        "purpose": "marketing", "granted": "1", "source": "whatsapp", "proof": "Chat: 'mau info promo'"})

    assert ConsentRecord.objects.get().granted is True


def test_customer_service_cannot_erase(staff_client, delivered_order):
    order = delivered_order()

    staff_client(roles.CUSTOMER_SERVICE).post(f"/dashboard/customers/{order.customer_id}/erase/", {
        "confirm": str(order.customer_id), "reason": "x"})

    assert Customer.objects.get(pk=order.customer_id).phone != ""


def test_the_crm_api(api_client, delivered_order):
    order = delivered_order()
    order_complete(order_id=order.pk)
    other = CustomerFactory()
    client = api_client(roles.ADMIN)
    cid = order.customer_id

    assert client.get(f"/api/v1/customers/{cid}/profile/").json()["points"] == 300
    assert client.put(f"/api/v1/customers/{cid}/tags/", {"tags": ["VIP", "vip"]}, format="json").json() == {
        "tags": ["vip"]}
    assert client.post(f"/api/v1/customers/{cid}/consents/", {"purpose": "marketing", "granted": True,
                                                              "source": "marketplace", "proof": "x"},
                       format="json").status_code == 400
    assert client.get(f"/api/v1/customers/{cid}/timeline/").status_code == 200
    assert client.get(f"/api/v1/loyalty/{cid}/").json()["points"] == 300
    assert client.post(f"/api/v1/loyalty/{cid}/adjust/", {"points": 20, "note": "kompensasi"},
                       format="json").json()["points"] == 320
    merged = client.post("/api/v1/customers/merge/", {"keep_id": cid, "duplicate_id": other.pk}, format="json")
    assert merged.status_code == 200 and merged.json()["source_id"] == other.pk
    assert client.get("/api/v1/customers/").status_code == 200  # orders' list still answers
    assert loyalty.points_balance(customer_id=cid) == 320


def test_the_schema_lists_the_crm_endpoints(api_client):
    paths = api_client(roles.OWNER).get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    for path in ("/api/v1/customers/", "/api/v1/customers/{id}/profile/", "/api/v1/customers/merge/",
                 "/api/v1/vouchers/", "/api/v1/loyalty/{customer_id}/"):
        assert path in paths
