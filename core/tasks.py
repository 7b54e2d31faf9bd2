from celery import shared_task

from core import services


@shared_task(name="core.tasks.task_failures_purge")
def task_failures_purge() -> int:
    return services.task_failures_purge()


@shared_task(name="core.tasks.inbound_deliveries_purge")
def inbound_deliveries_purge() -> int:
    """Beat: drop rejected and duplicate webhook deliveries past their retention."""
    return services.inbound_deliveries_purge()
