"""Deliveries stranded by a broker outage or a killed worker are processed within two minutes, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core import inbox
from core.models import InboundDelivery
from marketplaces import tasks
from orders.models import Order

Status = InboundDelivery.Status


@pytest.fixture
def shopee(make_channel, fake):
    return make_channel("shopee", fake)



def test_a_push_stored_during_a_broker_outage_is_processed_by_the_sweep_within_two_minutes_once(
    shopee, fake, post_push, django_capture_on_commit_callbacks, monkeypatch
):
    # Given a push stored while the broker was down (its drain was never queued)
    received = timezone.now()
    with time_machine.travel(received, tick=False), django_capture_on_commit_callbacks(execute=False):
        fake.put_order("shopee", "2211LOST", status="READY_TO_SHIP")
        assert post_push(fake, "shopee", "2211LOST").status_code == 200
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.RECEIVED

    # When the broker is back and the sweep runs (every 30 s): not yet at 30 s ...
    with time_machine.travel(received + timedelta(seconds=30), tick=False):
        assert tasks.deliveries_sweep() == 0
    # ... but at the first sweep after 60 s, well within two minutes
    with time_machine.travel(received + inbox.SWEEP_RECEIVED_AFTER + inbox.SWEEP_EVERY, tick=False):
        assert tasks.deliveries_sweep.apply().get() == 1
        # a second sweep right after finds nothing left: processed once
        assert tasks.deliveries_sweep() == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)
    assert Order.objects.filter(external_id="2211LOST").count() == 1
    assert timedelta(minutes=2) >= inbox.SWEEP_RECEIVED_AFTER + 2 * inbox.SWEEP_EVERY


def test_a_delivery_claimed_by_a_killed_worker_is_taken_again_after_90_seconds_once(shopee, fake, post_push,
                                                                                   django_capture_on_commit_callbacks):
    # Given a push a worker claimed and then died with
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            fake.put_order("shopee", "2211KILL", status="READY_TO_SHIP")
            post_push(fake, "shopee", "2211KILL")
        delivery = InboundDelivery.objects.get()
        assert inbox.delivery_claim(delivery_id=delivery.pk) is not None

    # When the sweep runs a minute later the claim is still respected
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert tasks.deliveries_sweep() == 0
    # and after 90 s (+ one sweep period, within two minutes) it is processed, once
    with time_machine.travel(start + inbox.SWEEP_CLAIMED_AFTER + inbox.SWEEP_EVERY, tick=False):
        assert tasks.deliveries_sweep() == 1
        assert tasks.deliveries_sweep() == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 2)
    assert Order.objects.filter(external_id="2211KILL").count() == 1
    assert timedelta(minutes=2) >= inbox.SWEEP_CLAIMED_AFTER + inbox.SWEEP_EVERY


def test_a_delivery_that_keeps_failing_is_marked_failed_instead_of_being_retried_for_ever(shopee):
    delivery = InboundDelivery.objects.create(
        provider="shopee", channel=shopee, account_ref="1", external_id="x", body=b"{}",
        status=Status.PROCESSING, attempts=inbox.SWEEP_MAX_ATTEMPTS,
    )
    InboundDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(hours=1))

    assert inbox.delivery_stale_ids(providers=["shopee"]) == []

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "gave up" in delivery.error


def test_the_beat_runs_both_sweeps_every_30_seconds(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["channels.sweep_deliveries"]["schedule"] == inbox.SWEEP_EVERY.total_seconds()
    assert schedule["payments.sweep_deliveries"]["schedule"] == inbox.SWEEP_EVERY.total_seconds()
