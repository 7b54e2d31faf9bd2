"""Dashboard pages for channels."""

from __future__ import annotations

from channels.models import Channel
from core import roles
from core.models import InboundDelivery


def test_the_channel_list_shows_health_and_a_sync_button(staff_client, make_channel, django_assert_max_num_queries):
    client = staff_client(roles.ADMIN)
    for i in range(8):
        make_channel("shopee", code=f"S{i}", name=f"Shop {i}", shop_id=str(1000 + i))

    with django_assert_max_num_queries(15):
        response = client.get("/dashboard/channels/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Shop 7" in page
    assert "/sync/" in page
    assert "Sinkronkan sekarang" in page  # Bahasa Indonesia by default (make messages compiles it)


def test_a_warehouse_user_sees_channels_but_no_management_buttons(staff_client, make_channel):
    make_channel("shopee")
    client = staff_client(roles.WAREHOUSE)

    page = client.get("/dashboard/channels/").content.decode()

    assert "/sync/" not in page
    assert "/edit/" not in page
    assert client.get("/dashboard/channels/new/").status_code == 403


def test_an_admin_creates_a_channel_from_the_form(staff_client):
    client = staff_client(roles.ADMIN)
    response = client.post("/dashboard/channels/new/", {
        "kind": "tiktok_shop", "name": "TikTok Shop Baru", "code": "TTB", "shop_id": "7495",
        "is_active": "on", "commission_percent": "7", "fixed_fee_amount": "1000",
        "cred_app_key": "k", "cred_app_secret": "s-e-c-r-e-t",
    })

    assert response.status_code == 302
    channel = Channel.objects.get(code="TTB")
    assert channel.credentials == {"app_key": "k", "app_secret": "s-e-c-r-e-t"}


def test_the_edit_form_never_renders_secrets_and_blank_keeps_them(staff_client, make_channel):
    channel = make_channel("shopee", credentials={"partner_id": "2001887", "partner_key": "p-a-r-t-n-e-r"})
    client = staff_client(roles.OWNER)

    page = client.get(f"/dashboard/channels/{channel.pk}/edit/").content.decode()
    assert "p-a-r-t-n-e-r" not in page
    response = client.post(f"/dashboard/channels/{channel.pk}/edit/", {
        "kind": "shopee", "name": "Renamed", "code": channel.code, "shop_id": channel.shop_id,
        "callback_url": channel.callback_url, "is_active": "on", "commission_percent": "8",
        "fixed_fee_amount": "0", "cred_partner_key": "", "cred_access_token": "new-token",
        "clear_credentials": ["partner_id"],
    })

    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed"
    assert channel.credentials == {"partner_key": "p-a-r-t-n-e-r", "access_token": "new-token"}


def test_the_edit_form_shows_the_field_error(staff_client, make_channel):
    channel = make_channel("shopee")
    response = staff_client(roles.OWNER).post(f"/dashboard/channels/{channel.pk}/edit/", {
        "kind": "shopee", "name": "", "code": channel.code, "commission_percent": "8", "fixed_fee_amount": "0",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["name"]


def test_the_failing_channels_queue_counts_channels_with_problems(make_channel):
    from channels.selectors import channel_failing_count

    ok = make_channel("shopee")
    make_channel("tiktok")
    assert channel_failing_count() == 0
    Channel.objects.filter(pk=ok.pk).update(sync_failures=2)
    assert channel_failing_count() == 1


def test_the_problems_filter_lists_channels_with_failed_syncs_or_deliveries(staff_client, make_channel):
    broken = make_channel("shopee", name="Broken shop")
    make_channel("tiktok", name="Healthy shop")
    failing_sync = make_channel("lazada", name="Sync failing")
    Channel.objects.filter(pk=failing_sync.pk).update(sync_failures=1, last_sync_error="HTTP 503")
    InboundDelivery.objects.create(provider="shopee", channel=broken, account_ref="1", external_id="f1", body=b"{}",
                                   status="failed", error="boom")
    InboundDelivery.objects.create(provider="shopee", channel=broken, account_ref="1", external_id="f2", body=b"{}",
                                   status="processed")

    response = staff_client(roles.ADMIN).get("/dashboard/channels/?health=problems")

    names = [c.name for c in response.context["channels"]]
    assert names == ["Broken shop", "Sync failing"]
    broken_row = response.context["channels"][0]
    assert (broken_row.deliveries_day, broken_row.deliveries_failed_day) == (2, 1)
    assert broken_row.last_delivery_at is not None
