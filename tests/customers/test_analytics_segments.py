"""A campaign aimed at the analytics app's customer lists (churn risk, RFM segments)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from analytics.services.customer_model import customer_model_fit
from analytics.services.rollups import rollup_mark_all, rollup_refresh
from catalog.services import stock_receive
from customers import segments
from customers.services import campaigns
from notifications.consent import consent_record
from orders.services import CustomerInput, LineInput, order_create
from tests.catalog.factories import VariantFactory
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_customers():
    """Lapsed (bought 100 and 90 days ago: every 10 days, silent for 90), regular (20 and 10 days
    ago) and new (one order 5 days ago), all consenting to marketing; the nightly model run."""
    channel = ChannelFactory(code="WEB")
    variant = VariantFactory(sku="KAOS-SEG", price_amount=120_000)
    stock_receive(variant_id=variant.pk, quantity=50, reason="awal")
    now = timezone.now()
    people = {}
    for name, phone, days_ago in [("Lapsed", "081211110001", (100, 90)), ("Regular", "081211110002", (20, 10)),
                                  ("New", "081211110003", (5,))]:
        for days in days_ago:
            with time_machine.travel(now - timedelta(days=days), tick=False):
                order = order_create(channel_id=channel.pk, lines=[LineInput(sku=variant.sku, quantity=1)],
                                     customer=CustomerInput(name=name, phone=phone))
        people[name] = order.customer_id
        consent_record(customer_id=order.customer_id, purpose="marketing", granted=True, source="web_store",
                       proof="checkbox")
    rollup_mark_all()
    rollup_refresh()
    customer_model_fit(now=now)
    return people


def test_analytics_registers_its_lists_as_segment_sources():
    keys = dict(segments.segment_sources())

    assert "churn_risk" in keys and "rfm_champions" in keys and "rfm_hibernating" in keys
    assert str(keys["rfm_at_risk"]).startswith("RFM")


def test_a_campaign_to_the_churn_risk_list_reaches_only_lapsed_customers(scored_customers):
    campaign = campaigns.campaign_create(
        name="Kangen kamu", channel="whatsapp", segment_filters={"list": "churn_risk"},
        body="Halo {{ name }}, pakai {{ voucher_code }}. {{ unsubscribe_link }}", voucher_kind="fixed",
        voucher_value_amount=20_000)

    audience = set(campaigns.audience(campaign).values_list("pk", flat=True))

    assert audience == {scored_customers["Lapsed"]}


def test_a_campaign_to_an_rfm_segment_reaches_its_customers(scored_customers):
    from analytics.models import CustomerScore

    # fewer than five customers: every quintile is 3, so all three are "need attention"
    assert set(CustomerScore.objects.values_list("segment", flat=True)) == {"need_attention"}
    campaign = campaigns.campaign_create(
        name="Perhatian", channel="whatsapp", segment_filters={"list": "rfm_need_attention"},
        body="Halo {{ name }} {{ unsubscribe_link }}")

    assert set(campaigns.audience(campaign).values_list("pk", flat=True)) == set(scored_customers.values())
    assert not campaigns.audience(campaigns.campaign_create(
        name="Juara", channel="whatsapp", segment_filters={"list": "rfm_champions"},
        body="Halo {{ name }} {{ unsubscribe_link }}")).exists()


def test_an_unknown_list_is_refused():
    with pytest.raises(ValidationError):
        segments.clean_filters({"list": "rfm_nobody"})
