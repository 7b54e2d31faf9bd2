"""Automatic cases (marketplace returns, low reviews), review and survey links, CSV import."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from aftersales.models import Case, CaseChannel, Invitation, Review, SurveyResponse
from aftersales.services import intake, reviews, surveys
from channels.models import Channel
from core.errors import Conflict, NotFound
from core.models import InboundDelivery
from orders.inputs import ExternalOrder, ExternalOrderLine
from orders.services import order_upsert_external
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def _external(status: str, minutes: int, variant) -> ExternalOrder:
    from datetime import timedelta

    from django.utils import timezone

    base = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    return ExternalOrder(
        external_id="220810QSK8S7BX", status=status, placed_at=base, updated_at=base + timedelta(minutes=minutes),
        lines=[ExternalOrderLine(external_line_id="1", sku=variant.sku, name="Kaos", quantity=1,
                                 unit_price_amount=150_000)], total_amount=150_000, buyer_name="Siti",
    )


def test_shopee_to_return_opens_one_case_with_the_marketplace_deadline(variant, django_capture_on_commit_callbacks):
    shopee = ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee", code="SHP", shop_id="1")
    order_upsert_external(channel_id=shopee.pk, external=_external("COMPLETED", 0, variant))

    with django_capture_on_commit_callbacks(execute=True):
        order_upsert_external(channel_id=shopee.pk, external=_external("TO_RETURN", 5, variant))
    # the same push again, and the periodic intake, open nothing more
    with django_capture_on_commit_callbacks(execute=True):
        order_upsert_external(channel_id=shopee.pk, external=_external("TO_RETURN", 5, variant))
    intake.marketplace_returns_intake()

    case = Case.objects.get()
    assert case.kind == "return" and case.channel == CaseChannel.MARKETPLACE
    assert case.marketplace_status == "TO_RETURN" and case.marketplace_due_at is not None
    assert case.order.external_id == "220810QSK8S7BX"


def test_the_periodic_intake_makes_good_a_lost_task(variant):
    shopee = ChannelFactory(kind=Channel.Kind.SHOPEE, name="Shopee", code="SHP", shop_id="1")
    order_upsert_external(channel_id=shopee.pk, external=_external("TO_RETURN", 0, variant))  # task never ran
    assert not Case.objects.exists()

    intake.marketplace_returns_intake()

    assert Case.objects.filter(marketplace_status="TO_RETURN").count() == 1


def test_a_tiktok_type_12_push_opens_a_return_case_once(variant):
    tiktok = ChannelFactory(kind=Channel.Kind.TIKTOK_SHOP, name="TikTok", code="TTS", shop_id="7000")
    external = _external("DELIVERED", 0, variant)
    order = order_upsert_external(channel_id=tiktok.pk, external=ExternalOrder(**{**external.__dict__,
                                                                                 "external_id": "576"}))
    body = json.dumps({"type": 12, "tts_notification_id": "n1", "shop_id": "7000", "timestamp": 1764000000,
                       "data": {"order_id": "576", "return_id": "R-99", "return_type": "RETURN_AND_REFUND",
                                "return_status": "RETURN_OR_REFUND_REQUEST_PENDING", "update_time": 1764000000}})
    InboundDelivery.objects.create(provider="tiktok", channel=tiktok, account_ref="7000", external_id="n1",
                                   event_type="12", headers={}, body=body.encode(), status="processed")

    intake.marketplace_returns_intake()
    intake.marketplace_returns_intake()

    case = Case.objects.get()
    assert case.order == order and case.marketplace_ref == "R-99"
    assert case.marketplace_status == "RETURN_OR_REFUND_REQUEST_PENDING"


def test_a_rating_of_one_or_two_opens_a_case(delivered_order):
    order = delivered_order()
    line = order.lines.get()

    [review] = reviews.review_submit(order=order, ratings=[reviews.LineRating(line.pk, 2, "Bahannya tipis")])

    review.refresh_from_db()
    assert review.case is not None and review.case.channel == CaseChannel.REVIEW
    assert review.case.priority == "high"


def test_a_product_cannot_be_reviewed_twice_for_one_order(delivered_order):
    order = delivered_order()
    line = order.lines.get()
    reviews.review_submit(order=order, ratings=[reviews.LineRating(line.pk, 5, "Bagus")])

    with pytest.raises(Conflict):
        reviews.review_submit(order=order, ratings=[reviews.LineRating(line.pk, 4)])

    assert Review.objects.count() == 1


def test_an_invitation_link_is_bound_to_its_order_and_single_use(delivered_order):
    first, other = delivered_order(), delivered_order(phone="0812-3456-7002")
    invitation, token = surveys.invitation_create(kind=Invitation.Kind.CSAT_DELIVERY, order=first)

    surveys.survey_answer(kind="csat_delivery", score=5, order=invitation.order, invitation_id=invitation.pk)

    with pytest.raises(Conflict):
        surveys.invitation_get(token)
    with pytest.raises(NotFound):
        surveys.invitation_get(token + "x")
    assert SurveyResponse.objects.get().order == first
    assert not SurveyResponse.objects.filter(order=other).exists()


def test_one_answer_per_order_and_kind_and_scores_in_range(delivered_order):
    order = delivered_order()
    surveys.survey_answer(kind="nps", score=10, order=order)

    with pytest.raises(Conflict):
        surveys.survey_answer(kind="nps", score=9, order=order)
    with pytest.raises(ValidationError):
        surveys.survey_answer(kind="csat_delivery", score=6, order=order)


def test_delivery_sends_review_and_survey_invitations_once(delivered_order, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        order = delivered_order()

    assert set(Invitation.objects.filter(order=order).values_list("kind", flat=True)) == {"review", "csat_delivery"}
    assert Notification.objects.filter(event__in=["review_invitation", "survey_invitation"],
                                       purpose="reviews").count() == 2


def test_csv_import_names_every_bad_row_and_writes_nothing(variant):
    data = ("sku,rating,text,reviewer,date,review_id\n"
            f"{variant.sku},5,Mantap,Andi,2026-11-01,r1\n"
            f"{variant.sku},9,?,Budi,2026-11-02,r2\n"
            "NOPE,4,ok,Cici,2026-11-03,r3\n").encode()

    with pytest.raises(ValidationError) as exc:
        reviews.reviews_import_csv(data=data, source="shopee")

    text = " ".join(exc.value.message_dict["file"])
    assert "3" in text and "4" in text and "NOPE" in text
    assert not Review.objects.exists()


def test_csv_import_stores_each_marketplace_review_once_and_low_ones_open_cases(variant):
    data = (f"sku;rating;text;reviewer;date;review_id\n{variant.sku};1;Rusak parah;Dedi;2026-11-01;r1\n"
            f"{variant.sku};5;Bagus;Eka;2026-11-02;r2\n").encode()

    assert reviews.reviews_import_csv(data=data, source="tokopedia") == 2
    assert reviews.reviews_import_csv(data=data, source="tokopedia") == 0

    assert Review.objects.count() == 2
    assert Case.objects.filter(channel=CaseChannel.REVIEW).count() == 1


def test_recent_buyers_get_one_nps_question_per_90_days(delivered_order):
    from aftersales.services.surveys import nps_invitations_send

    order = delivered_order()
    delivered_order()  # the same customer's second order

    assert nps_invitations_send() == 1
    assert nps_invitations_send() == 0
    assert Invitation.objects.filter(kind="nps", order__customer=order.customer).count() == 1
