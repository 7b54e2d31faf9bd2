"""/api/v1/channels/<id>/sync/ and /deliveries/: the marketplace side of the channels API."""

from __future__ import annotations

import json

from channels.models import Channel
from core import roles
from core.models import InboundDelivery


def test_sync_now_queues_a_sync_of_a_marketplace_channel(api_client, make_channel, fake):
    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "API1", status="READY_TO_SHIP")

    response = api_client(roles.ADMIN).post(f"/api/v1/channels/{channel.pk}/sync/")

    assert response.status_code == 202
    website = Channel.objects.create(kind="website", name="Web", code="WEB")
    assert api_client(roles.ADMIN).post(f"/api/v1/channels/{website.pk}/sync/").status_code == 409


def test_deliveries_of_a_channel_are_listed_without_bodies(api_client, make_channel):
    channel = make_channel("shopee")
    InboundDelivery.objects.create(provider="shopee", channel=channel, account_ref="1", external_id="e1",
                                   body=json.dumps({"secret": "body"}).encode(), status="failed", error="boom")

    response = api_client(roles.ADMIN).get(f"/api/v1/channels/{channel.pk}/deliveries/")

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["external_id"], row["status"], row["error"]) == ("e1", "failed", "boom")
    assert "body" not in row
