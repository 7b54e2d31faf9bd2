from __future__ import annotations

import random
from types import SimpleNamespace

from channels import demo
from channels.models import Channel


def test_demo_channels_are_created_once_with_their_webhook_urls(settings, db):
    said: list[str] = []
    ctx = SimpleNamespace(rng=random.Random(1), say=said.append, shared={})

    demo.seed(ctx)
    demo.seed(ctx)

    assert Channel.objects.count() == len(demo.DEMO_CHANNELS)
    shopee = Channel.objects.get(code="SHP")
    assert shopee.callback_url == f"{settings.SITE_URL}/webhooks/shopee/"
    assert Channel.objects.get(code="WEB").callback_url == ""
    assert "simulate_marketplace" in said[0]
