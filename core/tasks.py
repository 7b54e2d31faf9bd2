from celery import shared_task

from core import services


@shared_task(name="core.tasks.task_failures_purge")
def task_failures_purge() -> int:
    return services.task_failures_purge()
