"""Fixtures for tests of channels and marketplaces: channels wired to the fake marketplace,
signed pushes, catalog variants with stock. Imported by tests/channels and tests/marketplaces conftests."""

from __future__ import annotations

import pytest

from channels import services
from channels.models import Channel
from tests.fakes.marketplace import Credentials, FakeMarketplace

KINDS = {"shopee": Channel.Kind.SHOPEE, "tiktok": Channel.Kind.TIKTOK_SHOP, "lazada": Channel.Kind.LAZADA,
         "tokopedia": Channel.Kind.TOKOPEDIA}
SHOPEE_CALLBACK = "https://oms.example.id/webhooks/shopee/"


@pytest.fixture
def fake():
    with FakeMarketplace() as server:
        yield server


@pytest.fixture
def make_channel(db):
    """A marketplace channel wired to a fake (or to an unreachable base URL without one)."""

    def make(provider: str = "shopee", fake: FakeMarketplace | None = None, **overrides) -> Channel:
        creds = fake.creds if fake else Credentials()
        fields = {
            "kind": KINDS[provider],
            "name": f"{provider.title()} shop",
            "code": provider[:3].upper(),
            "shop_id": creds.shop_id(provider),
            "credentials": creds.for_channel(provider),
            "api_base_url": fake.base_url(provider) if fake else "http://127.0.0.1:9/",
            "callback_url": SHOPEE_CALLBACK if provider == "shopee" else "",
        }
        fields.update(overrides)
        return services.channel_create(**fields)

    return make


@pytest.fixture
def post_push(client):
    """POST a signed push from the fake to the app through the Django test client."""

    def post(fake: FakeMarketplace, provider: str, order_id: str, *, event_id: str | None = None,
             body: bytes | None = None, headers: dict | None = None):
        path = f"/webhooks/{provider}/"
        body = body if body is not None else fake.push_body(provider, order_id, event_id=event_id)
        signed = fake.sign_push(provider, body, callback_url=SHOPEE_CALLBACK)
        signed.update(headers or {})
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items() if k != "Content-Type"}
        return client.post(path, data=body, content_type="application/json", **extra)

    return post
