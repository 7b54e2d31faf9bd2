"""Celery application: the Redis broker of REDIS_URL, or this checkout's embedded Redis (oms/embedded.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms", task_cls="core.tasking:OmsTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
