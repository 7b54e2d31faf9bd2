"""The marketplace tasks moved from channels/ to marketplaces/ under their old names: messages a
running system has queued (and beat's schedule) still reach them."""

from __future__ import annotations

from django.conf import settings

from oms.celery import app

OLD_NAMES = [
    "channels.tasks.delivery_process",
    "channels.tasks.deliveries_retry",
    "channels.tasks.deliveries_drain",
    "channels.tasks.deliveries_sweep",
    "channels.tasks.channel_sync",
    "channels.tasks.channels_sync_all",
]


def test_tasks_queued_under_their_channels_names_still_find_their_code():
    app.loader.import_default_modules()

    assert {name: app.tasks[name].__module__ for name in OLD_NAMES} == dict.fromkeys(OLD_NAMES, "marketplaces.tasks")


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()

    assert [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks] == []
