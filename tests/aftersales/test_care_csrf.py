"""The customer's /care/ views are protected by Django's CSRF check (not csrf_exempt): a POST without
the form's token is refused, one with it is accepted."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from aftersales import care_views

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("view", ["complaint", "return_request", "case_message", "review", "survey", "invitation"])
def test_no_care_view_is_exempt_from_csrf(view):
    assert not getattr(getattr(care_views, view), "csrf_exempt", False)


def test_a_complaint_post_without_the_csrf_token_is_refused_and_with_it_accepted(delivered_order):
    order = delivered_order()
    client = Client(enforce_csrf_checks=True)
    url = reverse("care:complaint", kwargs={"number": order.number, "key": order.access_key})
    data = {"complaint-category": "damaged", "complaint-description": "Retak di sudut."}

    assert client.post(url, data).status_code == 403

    page = client.get(reverse("track:order", kwargs={"number": order.number, "key": order.access_key}))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert order.cases.count() == 1
