"""Rejected and duplicate webhook deliveries are purged after the retention; accepted ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core import tasks
from core.models import InboundDelivery

Status = InboundDelivery.Status
pytestmark = pytest.mark.django_db


def _delivery(status: str, age_days: int) -> InboundDelivery:
    delivery = InboundDelivery.objects.create(provider="shopee", body=b"x" * 60_000, status=status,
                                              external_id=f"{status}-{age_days}")
    InboundDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timedelta(days=age_days))
    return delivery


def test_old_rejected_and_duplicate_deliveries_are_purged_and_accepted_ones_kept(settings):
    settings.INBOX_REJECTED_RETENTION_DAYS = 14
    old_rejected = _delivery(Status.REJECTED, 15)
    old_duplicate = _delivery(Status.DUPLICATE, 20)
    fresh_rejected = _delivery(Status.REJECTED, 3)
    old_processed = _delivery(Status.PROCESSED, 400)
    old_failed = _delivery(Status.FAILED, 400)

    assert tasks.inbound_deliveries_purge() == 2

    left = set(InboundDelivery.objects.values_list("pk", flat=True))
    assert left == {fresh_rejected.pk, old_processed.pk, old_failed.pk}
    assert old_rejected.pk not in left and old_duplicate.pk not in left


def test_the_purge_runs_from_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["core.purge_rejected_deliveries"]
    assert entry["task"] == "core.tasks.inbound_deliveries_purge"
