"""SOP tasks: the weekly summary to the owner; keeping the stored compliance items current."""

from __future__ import annotations

from celery import shared_task

from core.tasking import OmsTask


@shared_task(base=OmsTask, name="sop.tasks.weekly_summary_task", ignore_result=True,
             autoretry_for=(OSError,), max_retries=5)
def weekly_summary_task() -> int:
    from sop.services.summary import weekly_summary_send

    return weekly_summary_send()


@shared_task(base=OmsTask, name="sop.tasks.compliance_refresh_task", ignore_result=True)
def compliance_refresh_task() -> int:
    """Every 30 s (beat): measure again the subjects that changed, sweeping the last ids of each source."""
    from sop.services.compliance import compliance_refresh

    result = compliance_refresh(sweep=True)
    return 0 if result is None else result.subjects
