"""The weekly SOP summary to the owner: the three worst steps and the handbook lines they break."""

from __future__ import annotations

from celery import shared_task

from core.tasking import OmsTask


@shared_task(base=OmsTask, name="sop.tasks.weekly_summary_task", ignore_result=True,
             autoretry_for=(OSError,), max_retries=5)
def weekly_summary_task() -> int:
    from sop.services.summary import weekly_summary_send

    return weekly_summary_send()
