"""Failed webhook deliveries of any provider can be sent back for processing from one page."""

import pytest

from core import inbox
from core.models import InboundDelivery


def failed_delivery(provider: str) -> InboundDelivery:
    return InboundDelivery.objects.create(provider=provider, body=b"{}", status=InboundDelivery.Status.FAILED,
                                          error="marketplace API timed out", external_id=f"{provider}-1")


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ["shopee", "tiktok", "lazada", "tokopedia", "midtrans", "xendit"])
def test_every_receiving_provider_has_a_retry_handler(provider, monkeypatch, django_capture_on_commit_callbacks):
    delivery = failed_delivery(provider)
    queued = []
    monkeypatch.setattr(inbox, "_enqueue", lambda task, delivery_id: queued.append((task.name, delivery_id)))

    with django_capture_on_commit_callbacks(execute=True):
        assert inbox.delivery_retry(delivery_id=delivery.pk) is True

    delivery.refresh_from_db()
    assert delivery.status == InboundDelivery.Status.RECEIVED
    assert [d for _name, d in queued] == [delivery.pk]


@pytest.mark.django_db
def test_retry_from_the_failed_work_page_requeues_once(staff_client, monkeypatch):
    delivery = failed_delivery("midtrans")
    monkeypatch.setattr(inbox, "_enqueue", lambda task, delivery_id: None)
    client = staff_client("Owner")

    page = client.get("/dashboard/failed-work/").content.decode()
    assert f"/dashboard/failed-work/deliveries/{delivery.pk}/retry/" in page

    first = client.post(f"/dashboard/failed-work/deliveries/{delivery.pk}/retry/", follow=True)
    second = client.post(f"/dashboard/failed-work/deliveries/{delivery.pk}/retry/", follow=True)

    assert "diantrekan untuk diproses lagi" in first.content.decode()
    assert "tidak (lagi) gagal" in second.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == InboundDelivery.Status.RECEIVED


@pytest.mark.django_db
def test_only_roles_that_may_retry_can_post(staff_client):
    delivery = failed_delivery("shopee")

    response = staff_client("Warehouse").post(f"/dashboard/failed-work/deliveries/{delivery.pk}/retry/")

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == InboundDelivery.Status.FAILED
