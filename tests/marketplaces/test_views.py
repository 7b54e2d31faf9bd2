"""Dashboard: sync a marketplace channel now, its webhook delivery log and retry."""

from __future__ import annotations

from core import roles
from core.models import InboundDelivery


def test_sync_now_runs_a_sync(staff_client, make_channel, fake, django_capture_on_commit_callbacks):
    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "UI1", status="READY_TO_SHIP")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(roles.ADMIN).post(f"/dashboard/channels/{channel.pk}/sync/")

    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.last_synced_at is not None
    assert channel.orders.filter(external_id="UI1").exists()


def test_the_delivery_log_lists_and_retries_failed_deliveries(staff_client, make_channel, fake,
                                                              django_capture_on_commit_callbacks):
    channel = make_channel("shopee", fake)
    fake.put_order("shopee", "LOG1", status="READY_TO_SHIP")
    delivery = InboundDelivery.objects.create(
        provider="shopee", channel=channel, account_ref=channel.shop_id, external_id="m1",
        body=fake.push_body("shopee", "LOG1"), status="failed", error="HTTP 503",
    )
    client = staff_client(roles.ADMIN)

    page = client.get(f"/dashboard/channels/{channel.pk}/deliveries/?status=failed").content.decode()
    assert "HTTP 503" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/dashboard/channels/deliveries/{delivery.pk}/retry/")

    delivery.refresh_from_db()
    assert delivery.status == "processed"
