"""Celery tasks of the CRM: ids in, services called; periodic jobs from beat."""

from __future__ import annotations

from celery import shared_task

from core.tasking import OmsTask


@shared_task(bind=True, base=OmsTask, name="customers.tasks.campaign_queue_task")
def campaign_queue_task(self, campaign_id: int) -> int:
    from customers.services.campaigns import campaign_queue

    return campaign_queue(campaign_id=campaign_id)


@shared_task(name="customers.tasks.campaign_send_task")
def campaign_send_task(channel: str) -> int:
    from customers.services.campaigns import campaign_send

    return campaign_send(channel=channel)


@shared_task(name="customers.tasks.campaigns_wake_task")
def campaigns_wake_task() -> int:
    """Periodic: a sender per channel with queued campaign messages (a running one keeps its lock)."""
    from customers.models import Campaign, CampaignStatus
    from customers.services.campaigns import campaigns_finish

    channels = set(Campaign.objects.filter(status=CampaignStatus.QUEUED).values_list("channel", flat=True))
    for channel in channels:
        campaign_send_task.delay(channel)
    campaigns_finish()
    return len(channels)


@shared_task(name="customers.tasks.points_expire_task")
def points_expire_task() -> int:
    from customers.services.loyalty import points_expire

    return points_expire()
