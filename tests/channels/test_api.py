"""/api/v1/channels/: secrets are write-only, roles decide who may manage channels."""

from __future__ import annotations

import pytest

from channels.models import Channel
from core import roles

NEW_SHOP = {
    "kind": "shopee",
    "name": "Shopee - Toko Baru",
    "code": "SHPB",
    "shop_id": "811122233",
    "credentials": {"partner_id": "2001887", "partner_key": "super-secret-partner-key", "access_token": "tok-123"},
    "api_base_url": "https://partner.test-stable.shopeemobile.com",
    "callback_url": "https://oms.example.id/webhooks/shopee/",
}


def test_an_owner_creates_a_channel_and_never_sees_its_secrets_again(api_client):
    client = api_client(roles.OWNER)

    created = client.post("/api/v1/channels/", NEW_SHOP, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["credentials_set"] == ["access_token", "partner_id", "partner_key"]
    assert "credentials" not in body
    assert body["health"] == "not_synced"
    for response in (client.get("/api/v1/channels/"), client.get(f"/api/v1/channels/{body['id']}/")):
        assert "super-secret-partner-key" not in response.content.decode()
        assert "tok-123" not in response.content.decode()
    assert Channel.objects.get(pk=body["id"]).credential("partner_key") == "super-secret-partner-key"


def test_a_patch_merges_credentials_and_keeps_secrets_sent_blank(api_client):
    client = api_client(roles.ADMIN)
    channel_id = client.post("/api/v1/channels/", NEW_SHOP, format="json").json()["id"]

    response = client.patch(f"/api/v1/channels/{channel_id}/", {"name": "Renamed", "credentials": {
        "partner_key": "", "push_key": "push-1"}}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Renamed"
    channel = Channel.objects.get(pk=channel_id)
    assert channel.credential("partner_key") == "super-secret-partner-key"
    assert channel.credential("push_key") == "push-1"
    assert channel.code == "SHPB"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credentials": {"password": "x"}}, "credentials"),
        ({"kind": "friendster"}, "kind"),
        ({"api_base_url": "not a url"}, "api_base_url"),
        ({"code": "has spaces"}, "code"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field(api_client, change, field):
    response = api_client(roles.OWNER).post("/api/v1/channels/", {**NEW_SHOP, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Channel.objects.exists()


def test_a_duplicate_shop_id_on_the_same_platform_is_a_400(api_client):
    client = api_client(roles.OWNER)
    client.post("/api/v1/channels/", NEW_SHOP, format="json")

    response = client.post("/api/v1/channels/", {**NEW_SHOP, "name": "Other", "code": "OTH"}, format="json")

    assert response.status_code == 400
    assert Channel.objects.count() == 1


@pytest.mark.parametrize("role", [roles.CUSTOMER_SERVICE, roles.WAREHOUSE, roles.FINANCE])
def test_other_roles_may_list_channels_but_not_create_or_change_them(api_client, role):
    client = api_client(role)
    channel = Channel.objects.create(kind="website", name="Web", code="WEB")

    assert client.get("/api/v1/channels/").status_code == 200
    assert client.post("/api/v1/channels/", NEW_SHOP, format="json").status_code == 403
    assert client.patch(f"/api/v1/channels/{channel.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.post(f"/api/v1/channels/{channel.pk}/sync/").status_code == 403


def test_anonymous_requests_are_refused(api_client):
    assert api_client(None).get("/api/v1/channels/").status_code in (401, 403)


def test_the_channel_list_uses_a_fixed_number_of_queries(api_client, make_channel, django_assert_max_num_queries):
    client = api_client(roles.OWNER)
    for i in range(12):
        make_channel("shopee", code=f"S{i}", name=f"Shop {i}", shop_id=str(1000 + i))

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/channels/")

    assert response.json()["count"] == 12
