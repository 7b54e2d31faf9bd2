"""How changes reach the rollups: hook marks after commit, the event/refund scan, a packing cost change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import DirtyKey, OrderFact, SalesDaily
from analytics.services.rollups import rollup_mark_packing_changes, rollup_refresh, rollup_scan_changes
from catalog.models import ChannelCatalogSettings
from catalog.services import stock_receive
from orders.services import CustomerInput, LineInput, order_cancel, order_create
from tests.catalog.factories import VariantFactory
from tests.factories import ChannelFactory


@pytest.fixture
def variant(db):
    variant = VariantFactory(sku="MARK-1", price_amount=50_000, cost_amount=20_000)
    stock_receive(variant_id=variant.pk, quantity=20, reason="awal")
    return variant


def _order(channel, variant):
    return order_create(channel_id=channel.pk, lines=[LineInput(variant_id=variant.pk, quantity=1)],
                        customer=CustomerInput(name="Rina", phone="081233334444"))


@pytest.mark.django_db(transaction=True)
def test_a_new_order_marks_its_day_after_commit_and_the_next_refresh_shows_it(variant):
    channel = ChannelFactory(code="WEB")
    order = _order(channel, variant)
    assert DirtyKey.objects.filter(day=timezone.localdate(order.placed_at), channel_id=channel.pk).exists()

    result = rollup_refresh(scan=False)

    assert result.keys == 1 and not DirtyKey.objects.exists()
    assert OrderFact.objects.get(order_id=order.pk).net_amount == 50_000
    order_cancel(order_id=order.pk, reason="batal")
    rollup_refresh(scan=False)
    row = SalesDaily.objects.get(channel_id=channel.pk)
    assert (row.orders, row.cancelled_orders, row.net_amount) == (0, 1, 0)


@pytest.mark.django_db
def test_the_scan_marks_orders_with_new_events_or_refunds(variant):
    from payments.models import Payment, Refund

    channel = ChannelFactory(code="WEB")
    order = _order(channel, variant)  # on_commit never runs here: nothing is marked by the hook
    assert not DirtyKey.objects.exists()
    rollup_scan_changes(since=timezone.now() - timedelta(minutes=1))
    assert DirtyKey.objects.filter(channel_id=channel.pk).count() == 1
    rollup_refresh(scan=False)

    payment = Payment.objects.get(order=order)
    Payment.objects.filter(pk=payment.pk).update(status="paid", received_amount=payment.amount)
    Refund.objects.create(payment=payment, order=order, amount=10_000, kind="return", reason="retur")
    rollup_scan_changes(since=timezone.now() - timedelta(minutes=1))
    rollup_refresh(scan=False)
    assert OrderFact.objects.get(order_id=order.pk).refund_amount == 10_000


@pytest.mark.django_db
def test_a_packing_cost_change_recomputes_the_channels_past_orders(variant):
    channel = ChannelFactory(code="WEB")
    order = _order(channel, variant)
    settings = ChannelCatalogSettings.objects.create(channel=channel, packaging_cost_amount=1_000)
    rollup_mark_packing_changes()  # first look remembers the costs
    rollup_scan_changes(since=timezone.now() - timedelta(minutes=1))
    rollup_refresh(scan=False)
    assert OrderFact.objects.get(order_id=order.pk).packing_amount == 1_000

    settings.packaging_cost_amount = 2_500
    settings.save()
    assert rollup_mark_packing_changes() == 1
    rollup_refresh(scan=False)
    assert OrderFact.objects.get(order_id=order.pk).packing_amount == 2_500
