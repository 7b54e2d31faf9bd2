"""orders.services.idempotency: the Idempotency-Key rules, called as the API calls them."""

from __future__ import annotations

import pytest

from orders.models import IdempotencyKey
from orders.services.idempotency import idempotency_request_hash, order_create_idempotent


def test_the_request_fingerprint_ignores_the_order_of_json_keys():
    assert idempotency_request_hash({"a": 1, "b": [1, 2]}) == idempotency_request_hash({"b": [1, 2], "a": 1})
    assert idempotency_request_hash({"a": 1}) != idempotency_request_hash({"a": 2})


@pytest.mark.django_db
def test_a_create_that_fails_leaves_no_key(django_user_model):
    user = django_user_model.objects.create(username="api")

    def fail(**_reserved):
        raise RuntimeError("out of stock")

    with pytest.raises(RuntimeError):
        order_create_idempotent(user_id=user.pk, key="k-1", request_data={"a": 1}, create=fail)

    assert not IdempotencyKey.objects.exists()
