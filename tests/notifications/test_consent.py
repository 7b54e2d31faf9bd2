"""Consent per purpose (UU PDP): recorded with proof, withdrawable, honoured by every send."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.consent import (
    consent_allows,
    consent_allows_many,
    consent_record,
    consent_state,
    unsubscribe_token,
    unsubscribe_url,
)
from notifications.models import ConsentPurpose, ConsentRecord, ConsentSource, Notification
from notifications.services import notification_queue, notification_send, notification_sweep
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
P = ConsentPurpose


def test_marketing_needs_an_opt_in_while_order_updates_and_reviews_are_allowed_until_withdrawn():
    customer = CustomerFactory()

    assert not consent_allows(customer_id=customer.pk, purpose=P.MARKETING)
    assert consent_allows(customer_id=customer.pk, purpose=P.ORDER_UPDATES)
    assert consent_allows(customer_id=customer.pk, purpose=P.REVIEWS)


def test_the_latest_record_counts_and_a_withdrawal_records_its_legal_deadline():
    customer = CustomerFactory()
    consent_record(customer_id=customer.pk, purpose=P.MARKETING, granted=True, source=ConsentSource.WHATSAPP,
                   proof="Chat 12 Mei: 'boleh kirim promo'")
    assert consent_allows(customer_id=customer.pk, purpose=P.MARKETING)

    with time_machine.travel(timezone.now() + timedelta(days=3)):
        withdrawal = consent_record(customer_id=customer.pk, purpose=P.MARKETING, granted=False,
                                    source=ConsentSource.PHONE, proof="Telepon: minta berhenti promo")

    assert not consent_allows(customer_id=customer.pk, purpose=P.MARKETING)
    assert withdrawal.honour_by == withdrawal.recorded_at + timedelta(hours=72)
    state = {row["purpose"]: row for row in consent_state(customer_id=customer.pk)}
    assert state[P.MARKETING]["granted"] is False and state[P.MARKETING]["record"] == withdrawal
    assert ConsentRecord.objects.filter(customer=customer).count() == 2


def test_marketing_consent_from_a_marketplace_chat_is_refused():
    customer = CustomerFactory()

    with pytest.raises(ValidationError) as exc:
        consent_record(customer_id=customer.pk, purpose=P.MARKETING, granted=True,
                       source=ConsentSource.MARKETPLACE, proof="Shopee chat")

    assert "source" in exc.value.message_dict
    assert not ConsentRecord.objects.exists()


def test_a_consent_without_proof_is_refused_with_the_field_named():
    customer = CustomerFactory()

    with pytest.raises(ValidationError) as exc:
        consent_record(customer_id=customer.pk, purpose=P.MARKETING, granted=True, source="whatsapp", proof=" ")

    assert "proof" in exc.value.message_dict


def test_consent_allows_many_uses_one_rule_for_many_customers(django_assert_max_num_queries):
    opted_in, silent, withdrawn = CustomerFactory(), CustomerFactory(), CustomerFactory()
    consent_record(customer_id=opted_in.pk, purpose=P.MARKETING, granted=True, source="web_store", proof="checkbox v1")
    consent_record(customer_id=withdrawn.pk, purpose=P.MARKETING, granted=True, source="web_store", proof="v1")
    consent_record(customer_id=withdrawn.pk, purpose=P.MARKETING, granted=False, source="email", proof="reply STOP")

    with django_assert_max_num_queries(1):
        allowed = consent_allows_many(customer_ids=[opted_in.pk, silent.pk, withdrawn.pk], purpose=P.MARKETING)

    assert allowed == {opted_in.pk}


def test_a_queued_marketing_message_is_not_sent_once_the_customer_withdrew(scripted):
    # given: a customer who opted in and a campaign message queued for them
    provider = scripted(["ok"])
    customer = CustomerFactory()
    consent_record(customer_id=customer.pk, purpose=P.MARKETING, granted=True, source="whatsapp", proof="chat")
    message = notification_queue(event="campaign", channel="whatsapp", recipient=customer.phone, subject="",
                                 body="Diskon 20%!", customer_id=customer.pk, purpose=P.MARKETING)

    # when: they withdraw before the sender reaches their message
    consent_record(customer_id=customer.pk, purpose=P.MARKETING, granted=False, source="whatsapp", proof="STOP")
    result = notification_send(notification_id=message.pk)

    # then: the provider is never called and the row says why
    assert result.status == Notification.Status.SKIPPED
    assert provider.sent == []
    assert "consent" in result.error


def test_a_marketing_message_stuck_in_sending_is_failed_not_sent_again():
    customer = CustomerFactory()
    long_ago = timezone.now() - timedelta(hours=1)
    row = Notification.objects.create(event="campaign", channel="whatsapp", recipient=customer.phone, body="Promo",
                                      customer=customer, purpose=P.MARKETING, status=Notification.Status.SENDING,
                                      last_attempt_at=long_ago)

    notification_sweep()

    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert "not sent again" in row.error


def test_the_unsubscribe_link_asks_first_then_records_the_withdrawal(client):
    customer = CustomerFactory()
    consent_record(customer_id=customer.pk, purpose=P.MARKETING, granted=True, source="whatsapp", proof="chat")
    url = unsubscribe_url(customer_id=customer.pk, purpose=P.MARKETING)
    path = url.split("://", 1)[1].split("/", 1)[1]

    page = client.get("/" + path)
    assert page.status_code == 200
    # the token stays out of referrers, but the form's POST keeps a real Origin (no CSRF 403)
    assert page["Referrer-Policy"] == "strict-origin"
    assert 'content="no-referrer"' not in page.content.decode()
    assert consent_allows(customer_id=customer.pk, purpose=P.MARKETING)  # a GET never unsubscribes

    client.post("/" + path)

    assert not consent_allows(customer_id=customer.pk, purpose=P.MARKETING)
    record = ConsentRecord.objects.get(customer=customer, granted=False)
    assert record.source == ConsentSource.UNSUBSCRIBE_LINK


def test_a_forged_unsubscribe_link_is_a_404(client):
    token = unsubscribe_token(customer_id=1, purpose=P.MARKETING)

    response = client.get(f"/unsubscribe/{token[:-2]}xx/")

    assert response.status_code == 404
