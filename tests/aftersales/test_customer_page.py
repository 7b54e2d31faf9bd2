"""The customer's after-sales actions on the order status page, and the photo rules."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from aftersales.models import Attachment, Case, ReturnRequest, Review, SurveyResponse
from aftersales.services import attachments, cases

pytestmark = pytest.mark.django_db


def png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def base(order) -> str:
    return f"/care/{order.number}/{order.access_key}"


def test_the_order_page_shows_the_policy_and_the_forms_after_delivery(client, delivered_order):
    order = delivered_order()

    page = client.get(f"/track/{order.number}/{order.access_key}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="return-policy"' in html and 'id="complaint"' in html and 'id="return"' in html
    assert 'id="review"' in html and 'id="survey"' in html


def test_a_customer_opens_a_complaint_with_a_photo_which_is_reencoded(client, delivered_order):
    order = delivered_order()

    response = client.post(f"{base(order)}/complaint/", {
        "complaint-category": "damaged", "complaint-description": "Kardus penyok, isi pecah",
        "complaint-photo": SimpleUploadedFile("bukti.png", png(), content_type="image/png"),
        "complaint-video_url": "https://drive.example.id/unboxing.mp4"})

    assert response.status_code == 302
    case = Case.objects.get()
    assert case.order == order and case.channel == "order_page"
    photo = case.attachments.get(kind="image")
    assert photo.content_type == "image/jpeg" and photo.file.name.endswith(".jpg")
    with photo.file.open("rb") as f:
        assert f.read(3) == b"\xff\xd8\xff"
    assert case.attachments.filter(kind="video_link").exists()


def test_a_file_that_is_not_a_picture_is_refused_whatever_its_name(client, delivered_order):
    order = delivered_order()

    response = client.post(f"{base(order)}/complaint/", {
        "complaint-category": "damaged", "complaint-description": "lihat",
        "complaint-photo": SimpleUploadedFile("foto.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")})

    assert response.status_code == 400
    assert 'id="care-error"' in response.content.decode()
    assert not Case.objects.exists()  # nothing half-written


def test_an_upload_announced_too_large_is_refused_before_reading(client, delivered_order, settings):
    settings.AFTERSALES_PHOTO_MAX_BYTES = 10_000
    order = delivered_order()

    response = client.post(f"{base(order)}/complaint/", {
        "complaint-category": "damaged", "complaint-description": "besar",
        "complaint-photo": SimpleUploadedFile("big.png", b"x" * 200_000, content_type="image/png")})

    assert response.status_code == 413
    assert not Case.objects.exists()


def test_a_wrong_key_is_a_404_and_nothing_is_written(client, delivered_order):
    order = delivered_order()

    response = client.post(f"/care/{order.number}/wrong-key/complaint/",
                           {"complaint-category": "other", "complaint-description": "x"})

    assert response.status_code == 404
    assert not Case.objects.exists()


def test_customer_actions_are_rate_limited(client, delivered_order, settings):
    settings.AFTERSALES_CUSTOMER_ACTIONS_PER_HOUR = 2
    from django.core.cache import cache

    cache.clear()
    order = delivered_order()
    codes = [client.post(f"{base(order)}/complaint/",
                         {"complaint-category": "other", "complaint-description": f"x{i}"}).status_code
             for i in range(3)]

    assert codes == [302, 302, 429]


def test_a_customer_requests_a_return_reviews_and_answers_the_survey(client, delivered_order):
    order = delivered_order(qty=2)
    line = order.lines.get()

    returned = client.post(f"{base(order)}/return/", {
        f"return-qty_{line.pk}": "1", "return-reason": "damaged", "return-requested_outcome": "refund",
        "return-description": "Robek", "return-photo": SimpleUploadedFile("r.png", png(), content_type="image/png")})
    reviewed = client.post(f"{base(order)}/review/", {f"rating_{line.pk}": "4", f"text_{line.pk}": "Nyaman"})
    answered = client.post(f"{base(order)}/survey/", {"kind": "csat_delivery", "score": "5"})
    again = client.post(f"{base(order)}/survey/", {"kind": "csat_delivery", "score": "1"})

    assert (returned.status_code, reviewed.status_code, answered.status_code) == (302, 302, 302)
    assert again.status_code == 400
    rma = ReturnRequest.objects.get()
    assert rma.lines.get().quantity == 1 and rma.case.attachments.count() == 1
    assert Review.objects.get().rating == 4
    assert SurveyResponse.objects.get().score == 5


def test_a_return_for_more_units_than_bought_names_the_problem(client, delivered_order):
    order = delivered_order(qty=1)
    line = order.lines.get()

    response = client.post(f"{base(order)}/return/", {
        f"return-qty_{line.pk}": "5", "return-reason": "damaged", "return-requested_outcome": "refund",
        "return-description": "x", "return-photo": SimpleUploadedFile("r.png", png(), content_type="image/png")})

    assert response.status_code == 400
    assert not ReturnRequest.objects.exists()


def test_the_customer_answers_a_waiting_case_and_the_clock_resumes(client, delivered_order, cs_user):
    order = delivered_order()
    case = cases.case_open(subject="x", order_id=order.pk)
    cases.case_wait_for_customer(case_id=case.pk, actor=cs_user)

    response = client.post(f"{base(order)}/cases/{case.pk}/message/", {"body": "Sudah saya kirim"})

    case.refresh_from_db()
    assert response.status_code == 302 and case.status == "in_progress"


def test_staff_download_a_photo_as_an_attachment_that_cannot_run(staff_client, delivered_order):
    order = delivered_order()
    case = cases.case_open(subject="x", order_id=order.pk)
    photo = attachments.attachment_add_photo(case_id=case.pk, by_customer=True,
                                             uploaded=SimpleUploadedFile("a.png", png(), content_type="image/png"))

    response = staff_client("Customer Service").get(f"/dashboard/aftersales/attachments/{photo.pk}/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert Attachment.objects.count() == 1
