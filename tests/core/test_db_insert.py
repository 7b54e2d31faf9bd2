"""core.db.insert_instance: the same row as save(force_insert=True), from an INSERT built once."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_save

from core.db import insert_instance
from orders.models import Customer, OrderEvent
from tests.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_row_matches_what_save_writes(make_user, django_assert_max_num_queries):
    # given the same customer written both ways
    with django_assert_max_num_queries(1):
        fast = insert_instance(Customer(name="Sari", phone="+6281311112222", email="sari@example.id"))
    saved = Customer(name="Sari", phone="+6281311113333", email="sari2@example.id")
    saved.save(force_insert=True)
    # then one statement, the key and state set, the defaults and auto_now_add filled alike
    assert fast.pk and not fast._state.adding and fast._state.db == "default"
    stored = Customer.objects.get(pk=fast.pk)
    for field in ("name", "phone", "email", "city", "province", "notes"):
        assert getattr(stored, field) == getattr(fast, field)
    assert stored.created_at == fast.created_at and stored.created_at is not None
    assert type(stored.created_at) is type(Customer.objects.get(pk=saved.pk).created_at)


def test_a_given_primary_key_is_kept():
    customer = CustomerFactory()
    channel = ChannelFactory()
    from orders.models import Order

    order = Order.objects.create(channel=channel, customer=customer, number="T-1", placed_at="2026-11-23T10:00:00Z")
    event = insert_instance(OrderEvent(id=987_654, order=order, kind="note", data={"a": 1}))
    assert event.pk == 987_654
    assert OrderEvent.objects.get(pk=987_654).data == {"a": 1}


def test_a_model_with_save_receivers_is_saved_the_usual_way():
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.name, created))

    post_save.connect(receiver, sender=Customer, dispatch_uid="test-insert-instance")
    try:
        insert_instance(Customer(name="Dewi", phone="+6281311114444"))
    finally:
        post_save.disconnect(dispatch_uid="test-insert-instance", sender=Customer)
    assert seen == [("Dewi", True)]


@pytest.mark.parametrize("count", [3, 12])  # a short list (built INSERT) and a long one (bulk_create)
def test_many_rows_in_one_statement_with_their_keys_in_order(count, django_assert_max_num_queries):
    from core.db import insert_instances

    rows = [Customer(name=f"Pembeli {n}", phone=f"+628130000{n:03d}") for n in range(count)]
    with django_assert_max_num_queries(1):
        insert_instances(rows)
    assert [Customer.objects.get(pk=row.pk).name for row in rows] == [f"Pembeli {n}" for n in range(count)]
    assert all(not row._state.adding for row in rows)
    assert insert_instances([]) == []
