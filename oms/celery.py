"""Celery application: Redis broker when REDIS_URL is set, a filesystem broker otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms", task_cls="core.tasking:OmsTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
