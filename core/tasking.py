"""The base class of every oms Celery task.

Tasks are queued after commit (`task.delay_on_commit(...)`), retry with capped exponential
backoff on the exceptions they declare, and when the last retry fails they leave a TaskFailure
row that staff can see on the dashboard and send again.
"""

from __future__ import annotations

import logging
import traceback as tb

from celery.contrib.django.task import DjangoTask

logger = logging.getLogger(__name__)


class OmsTask(DjangoTask):
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        from core.models import TaskFailure

        try:
            TaskFailure.objects.create(
                task_name=self.name,
                task_id=task_id or "",
                args=list(args or []),
                kwargs=dict(kwargs or {}),
                exception=f"{type(exc).__name__}: {exc}"[:2000],
                traceback=str(einfo) if einfo else "".join(tb.format_exception(exc)),
            )
        except Exception:  # the record must never hide the original failure
            logger.exception("could not record failure of task %s", self.name)
        super().on_failure(exc, task_id, args, kwargs, einfo)
