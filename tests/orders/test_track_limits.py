"""The /track/ and /pay/ limiter: trusted proxies, per order number, atomic, 429, Redis down."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.ratelimit import client_ip
from orders import track_views
from payments.services.opening import payment_open
from tests.payments.factories import make_order

LOOKUP = "/track/"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _wrong_link(order) -> str:
    return reverse("track:order", kwargs={"number": order.number, "key": "x" * 32})


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    behind = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9, 10.9.9.9")
    forged = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.1.1.1")
    garbage = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="<script>")

    assert client_ip(behind) == "203.0.113.9"  # the right-most address our proxy did not add
    assert client_ip(forged) == "198.51.100.7"
    assert client_ip(garbage) == "10.1.2.3"


@pytest.mark.django_db
def test_behind_the_proxy_customers_are_limited_one_by_one(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for i in range(track_views.FAILURE_LIMIT):
        client.post(LOOKUP, {"number": f"X-{i}", "contact": "0812"}, REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="203.0.113.1")

    blocked = client.post(LOOKUP, {"number": "X-a", "contact": "0812"}, REMOTE_ADDR="10.0.0.1",
                          HTTP_X_FORWARDED_FOR="203.0.113.1")
    other = client.post(LOOKUP, {"number": "X-b", "contact": "0812"}, REMOTE_ADDR="10.0.0.1",
                        HTTP_X_FORWARDED_FOR="203.0.113.2")

    assert blocked.status_code == 429
    assert other.status_code == 200


@pytest.mark.django_db
def test_wrong_guesses_at_one_order_number_are_limited_across_addresses(client):
    order = make_order()
    for i in range(track_views.FAILURE_LIMIT):
        client.post(LOOKUP, {"number": order.number, "contact": f"08123{i:05d}"}, REMOTE_ADDR=f"192.0.2.{i}")

    response = client.post(LOOKUP, {"number": order.number, "contact": "0899"}, REMOTE_ADDR="192.0.2.200")

    assert response.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_sixteen_parallel_wrong_look_ups_count_sixteen_and_at_most_ten_get_through():
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def guess(i: int) -> None:
        try:
            barrier.wait()
            response = Client().post(LOOKUP, {"number": f"X-{i}", "contact": "0812"}, REMOTE_ADDR="198.51.100.1")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == 16
    assert statuses.count(200) == track_views.FAILURE_LIMIT  # looked up and failed
    assert statuses.count(429) == 16 - track_views.FAILURE_LIMIT
    assert track_views.LOOKUPS.count("ip:198.51.100.1") == track_views.FAILURE_LIMIT


@pytest.mark.django_db
def test_wrong_signed_links_answer_429_past_the_limit(client):
    order = make_order()
    for _ in range(track_views.FAILURE_LIMIT):
        assert client.get(_wrong_link(order)).status_code == 404

    response = client.get(_wrong_link(order))

    assert response.status_code == 429
    assert response["Retry-After"]


@pytest.mark.django_db
def test_wrong_pay_links_answer_429_past_the_limit(client):
    order = make_order()
    payment_open(order_id=order.pk)
    wrong = reverse("payments-pay:proof", kwargs={"number": order.number, "key": "y" * 32})
    for _ in range(track_views.FAILURE_LIMIT):
        assert client.get(wrong).status_code == 404

    assert client.get(wrong).status_code == 429
    right = reverse("payments-pay:proof", kwargs={"number": order.number, "key": order.access_key})
    assert client.get(right).status_code == 200  # the customer's own link still works


@pytest.mark.django_db
def test_with_redis_down_the_lookup_fails_open_to_the_database(client, settings):
    order = make_order()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    from django.core.cache import caches

    caches._settings = None  # read the changed setting
    try:
        caches.close_all()
        with pytest.raises(Exception):  # noqa: B017 - redis-py's ConnectionError: the cache is really gone
            caches["default"].get("probe")
        wrong = client.post(LOOKUP, {"number": order.number, "contact": "0899"})
        link = client.get(reverse("track:order", kwargs={"number": order.number, "key": order.access_key}))
    finally:
        caches._settings = None

    assert wrong.status_code == 200  # looked up in the database, not a 500
    assert link.status_code == 200
