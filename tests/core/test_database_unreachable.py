"""With the database unreachable, the API, /track/ and webhooks answer 503 within seconds with a
generic body (and Retry-After), never a bare 500 after a long hang."""

from __future__ import annotations

import time

import pytest
from django.db import connections
from django.test import Client


@pytest.fixture
def database_unreachable():
    """The default connection pointed at a port nothing listens on (2 s connect timeout, no pool)."""
    original = connections["default"]
    options = {k: v for k, v in original.settings_dict.get("OPTIONS", {}).items() if k != "pool"}
    broken = original.__class__(
        {**original.settings_dict, "HOST": "127.0.0.1", "PORT": "1", "OPTIONS": {**options, "connect_timeout": 2}},
        alias="default",
    )
    connections["default"] = broken
    yield
    connections["default"] = original
    broken.close()


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("get", "/api/v1/orders/", {"HTTP_AUTHORIZATION": "Token 0123456789abcdef0123456789abcdef01234567"}),
    ("get", "/track/ORD-1/key/", {}),
    ("post", "/track/", {"data": {"number": "ORD-1", "contact": "0812"}}),
    ("post", "/webhooks/shopee/", {"data": b'{"shop_id": 1, "code": 3}', "content_type": "application/json"}),
    ("post", "/webhooks/midtrans/", {"data": b'{"order_id": "x"}', "content_type": "application/json"}),
])
def test_requests_are_answered_503_fast_when_the_database_is_unreachable(database_unreachable, method, path, kwargs):
    client = Client(raise_request_exception=False)

    started = time.monotonic()
    response = getattr(client, method)(path, **kwargs)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response["Retry-After"]
    assert elapsed < 8
    assert b"127.0.0.1" not in response.content and b"port 1" not in response.content
