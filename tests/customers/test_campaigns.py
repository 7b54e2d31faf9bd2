"""Campaigns: consenting segment, personal vouchers, constant statements per batch, rate limit,
consent withdrawal mid-campaign, nobody twice after a crash, results."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Campaign, CampaignRecipient, Voucher
from customers.services import campaigns
from notifications.consent import consent_record
from notifications.models import Notification
from notifications.services import notification_sweep
from orders.models import Customer
from orders.services import CustomerInput, LineInput, order_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _scripted(settings):
    from tests.notifications.conftest import ScriptedProvider

    settings.NOTIFY_WHATSAPP_PROVIDER = "tests.notifications.conftest.ScriptedProvider"
    ScriptedProvider.script, ScriptedProvider.sent = [], []
    return ScriptedProvider


def customers_with_consent(n: int, *, consent: bool = True) -> list[Customer]:
    people = [CustomerFactory() for _ in range(n)]
    for person in people:
        if consent:
            consent_record(customer_id=person.pk, purpose="marketing", granted=True, source="web_store",
                           proof="checkbox 'kirimi saya promo' v2")
    return people


def make_campaign(**kwargs) -> Campaign:
    fields = {"name": "Kangen", "channel": "whatsapp", "segment_filters": {},
              "body": "Halo {{ name }}, pakai {{ voucher_code }} ({{ voucher_value }}). {{ unsubscribe_link }}",
              "voucher_kind": "fixed", "voucher_value_amount": 25_000, "voucher_valid_days": 7}
    fields.update(kwargs)
    return campaigns.campaign_create(**fields)


def test_only_customers_who_opted_in_are_reached(_scripted):
    opted = customers_with_consent(3)
    customers_with_consent(2, consent=False)
    campaign = make_campaign()

    queued = campaigns.campaign_queue(campaign_id=campaign.pk)

    assert queued == 3
    assert set(CampaignRecipient.objects.values_list("customer_id", flat=True)) == {c.pk for c in opted}
    voucher = Voucher.objects.filter(campaign=campaign).first()
    assert voucher.customer_id is not None and voucher.total_limit == 1
    body = Notification.objects.get(customer_id=voucher.customer_id).body
    assert voucher.code in body and "Rp 25.000" in body and "/unsubscribe/" in body


def test_queueing_costs_the_same_statements_per_batch_whatever_its_size():
    customers_with_consent(30)

    def statements(batch: int) -> int:
        campaign = make_campaign()
        with CaptureQueriesContext(connection) as ctx:
            campaigns.campaign_queue(campaign_id=campaign.pk, batch=batch)
        return len(ctx.captured_queries)

    three_batches = statements(10)
    one_batch = statements(30)
    # 5 statements per batch (vouchers, recipients, notifications, link back, savepoints aside)
    assert three_batches - one_batch <= 2 * 7


def test_the_sender_respects_the_rate_limit(_scripted):
    customers_with_consent(6)
    campaign = make_campaign()
    campaigns.campaign_queue(campaign_id=campaign.pk)
    clock = {"t": 0.0}
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock["t"] += seconds

    def now():
        clock["t"] += 0.01  # each send takes 10 ms
        return clock["t"]

    sent_at = []
    original = _scripted.send

    def send(self, message):
        sent_at.append(clock["t"])
        return original(self, message)

    _scripted.send = send
    try:
        sent = campaigns.campaign_send(channel="whatsapp", rate=2, sleep=sleep, clock=now)
    finally:
        _scripted.send = original

    assert sent == 6 and len(_scripted.sent) == 6
    # never more than 2 messages in any one-second window
    assert all(sent_at[i + 2] - sent_at[i] > 1.0 for i in range(len(sent_at) - 2))
    campaign.refresh_from_db()
    assert campaign.status == "finished"


def test_a_withdrawal_during_the_campaign_stops_that_persons_message(_scripted):
    first, second = customers_with_consent(2)
    campaign = make_campaign()
    campaigns.campaign_queue(campaign_id=campaign.pk)

    consent_record(customer_id=second.pk, purpose="marketing", granted=False, source="unsubscribe_link",
                   proof="link")
    campaigns.campaign_send(channel="whatsapp", rate=1000)

    assert [m.recipient for m in _scripted.sent] == [first.phone]
    assert Notification.objects.get(customer=second).status == "skipped"
    assert campaigns.campaign_results(campaign_id=campaign.pk)["skipped"] == 1


def test_a_resend_after_a_crash_sends_nobody_twice(_scripted):
    people = customers_with_consent(4)
    campaign = make_campaign()
    campaigns.campaign_queue(campaign_id=campaign.pk)
    assert campaigns.campaign_queue(campaign_id=campaign.pk) == 0  # queueing again (after a crash) adds nobody
    # a worker died while sending the first message: its row stays claimed
    crashed = Notification.objects.filter(customer=people[0]).get()
    Notification.objects.filter(pk=crashed.pk).update(status="sending", last_attempt_at=timezone.now()
                                                      - timedelta(hours=1))

    notification_sweep()
    campaigns.campaign_send(channel="whatsapp", rate=1000)
    campaigns.campaign_send(channel="whatsapp", rate=1000)

    recipients = [m.recipient for m in _scripted.sent]
    assert len(recipients) == len(set(recipients)) == 3
    assert people[0].phone not in recipients
    assert CampaignRecipient.objects.count() == 4


def test_results_count_redemptions_and_revenue(web_channel, variant, _scripted):
    [person] = customers_with_consent(1)
    campaign = make_campaign()
    campaigns.campaign_queue(campaign_id=campaign.pk)
    campaigns.campaign_send(channel="whatsapp", rate=1000)
    code = Voucher.objects.get(campaign=campaign).code

    order = order_create(channel_id=web_channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                         customer=CustomerInput(name=person.name, phone=person.phone), discounts={"voucher": code})

    results = campaigns.campaign_results(campaign_id=campaign.pk)
    assert results["sent"] == 1 and results["redemptions"] == 1
    assert results["revenue"] == order.total_amount == 125_000 and results["discount"] == 25_000


def test_a_campaign_with_a_broken_template_or_an_unknown_filter_is_refused():
    with pytest.raises(ValidationError):
        make_campaign(body="Halo {% if %}")
    with pytest.raises(ValidationError):
        make_campaign(segment_filters={"planet": "mars"})


def test_preview_and_test_send_go_to_staff_only(_scripted):
    customers_with_consent(2)
    campaign = make_campaign()

    preview = campaigns.campaign_preview(campaign_id=campaign.pk)
    test = campaigns.campaign_test_send(campaign_id=campaign.pk, recipient="0812-9999-0000")

    assert preview["audience"] == 2 and "CONTOH123" in preview["body"]
    assert test.recipient == "+6281299990000" and test.customer_id is None
    assert not CampaignRecipient.objects.exists()


def test_a_segment_of_lapsed_buyers(delivered_order):
    from customers import segments

    old = delivered_order(phone="0812-0000-0001")
    recent = delivered_order(phone="0812-0000-0002")
    from orders.models import Order

    Order.objects.filter(pk=old.pk).update(placed_at=timezone.now() - timedelta(days=120))

    lapsed = set(segments.segment_queryset({"inactive_days": 90}).values_list("pk", flat=True))

    assert old.customer_id in lapsed and recent.customer_id not in lapsed
