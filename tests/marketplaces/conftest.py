from __future__ import annotations

import pytest

from tests.channel_fixtures import (  # noqa: F401 - fixtures
    KINDS,
    SHOPEE_CALLBACK,
    fake,
    make_channel,
    post_push,
)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Drain markers live in the cache (Redis db of this test run); start every test without them."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def delayed_retries(monkeypatch):
    """Eager Celery ignores countdowns; keep the delayed channel retries queued here instead.

    A test runs them with `tasks.deliveries_retry.run(channel_id)`.
    """
    from marketplaces import tasks

    queued: list[tuple] = []
    monkeypatch.setattr(tasks.deliveries_retry, "apply_async",
                        lambda args, countdown=None, **kw: queued.append((tuple(args), countdown)))
    return queued
