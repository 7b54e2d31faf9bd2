"""Retrying failed work that no longer exists is a clear message, never a 500."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core import roles
from core.errors import NotFound
from core.models import InboundDelivery
from core.services import task_failure_retry

pytestmark = pytest.mark.django_db


def test_the_service_says_not_found_for_a_purged_failure(owner):
    with pytest.raises(NotFound):
        task_failure_retry(failure_id=987654, actor=owner)


def test_retrying_a_failure_that_no_longer_exists_redirects_with_a_message(staff_client):
    client = staff_client(roles.OWNER)

    response = client.post(reverse("dashboard:failed-work-retry", args=[987654]))

    assert response.status_code == 302
    assert any("no longer exists" in str(m) or "sudah tidak ada" in str(m) for m in get_messages(response.wsgi_request))


def test_retrying_a_delivery_of_a_provider_without_a_handler_is_a_message_not_a_500(staff_client):
    delivery = InboundDelivery.objects.create(provider="gone-provider", body=b"{}", status="failed")
    client = staff_client(roles.OWNER)

    response = client.post(reverse("dashboard:failed-delivery-retry", args=[delivery.pk]))

    assert response.status_code == 302
    assert client.post(reverse("dashboard:failed-delivery-retry", args=[99999999])).status_code == 302
