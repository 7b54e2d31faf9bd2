"""Order lists, filters, tracking lookups and the work-queue counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core import roles
from core.navigation import queues_for
from orders.models import Order
from orders.selectors import (
    customer_list,
    order_find_for_tracking,
    order_get,
    order_list,
    order_queue_counts,
)
from orders.services import CustomerInput, order_confirm, order_mark_paid, order_set_tags, order_upsert_external

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _ids(filters):
    return [o.id for o in order_list(filters=filters)]


def test_order_list_filters(place_order, make_variant, shopee_channel, external_order):
    # given orders on two channels with different customers, payments, SKUs and tags
    kaos = make_variant("KAOS-L", stock=10)
    web = place_order(variant=kaos, payment_method="qris")
    cod = place_order(payment_method="cod", customer=CustomerInput(name="Ayu Lestari", phone="081398765432",
                                                                  email="ayu@example.id"))
    order_set_tags(order_id=cod.id, tags=["vip", "gift"])
    market = order_upsert_external(channel_id=shopee_channel.id, external=external_order(
        lines=[external_order().lines[0].__class__(external_line_id="1", sku="NOPE", name="?", quantity=1,
                                                   unit_price_amount=1000)]))
    # then every filter narrows the list
    assert set(_ids({})) == {web.id, cod.id, market.id}
    assert _ids({"channel": "SHP"}) == [market.id]
    assert set(_ids({"channel": [web.channel_id]})) == {web.id, cod.id}
    assert _ids({"status": "paid"}) == [market.id]
    assert _ids({"payment_method": "qris"}) == [web.id]
    assert _ids({"sku": "kaos-l"}) == [web.id]
    assert _ids({"customer": "ayu"}) == [cod.id]
    assert _ids({"customer": cod.customer_id}) == [cod.id]
    assert _ids({"q": "+62 813-9876-5432"}) == [cod.id]
    assert _ids({"q": market.external_id[-6:]}) == [market.id]
    assert _ids({"oversold": True}) == [market.id]
    assert _ids({"tags": ["vip", "gift"]}) == [cod.id]
    assert _ids({"tag": "gift"}) == [cod.id]
    assert _ids({"queue": "to_confirm"}) == [cod.id, market.id]
    assert _ids({"queue": "oversold"}) == [market.id]
    Order.objects.filter(pk=market.pk).update(placed_at=timezone.now() - timedelta(days=3))
    today = timezone.localdate()
    assert set(_ids({"date_from": today, "date_to": today})) == {web.id, cod.id}
    assert _ids({"date_to": today - timedelta(days=2)}) == [market.id]
    assert _ids({"date_from": (today - timedelta(days=3)).isoformat(), "date_to": today - timedelta(days=3)}) == [
        market.id]


@pytest.mark.parametrize("order_count", [1, 12])
def test_order_list_uses_fixed_queries(place_order, django_assert_max_num_queries, order_count):
    for _ in range(order_count):
        place_order()
    with django_assert_max_num_queries(2):  # the orders with customer and channel, then their lines
        orders = list(order_list(filters={}, with_lines=True))
        assert sum(len(o.lines.all()) for o in orders) == order_count
        assert all(o.customer.name and o.channel.code for o in orders)


def test_order_get_loads_lines_and_events(place_order, django_assert_max_num_queries):
    order = place_order()
    order_mark_paid(order_id=order.id)
    with django_assert_max_num_queries(3):
        found = order_get(order_id=order.id)
        assert [e.kind for e in found.events.all()] == ["created", "status_changed"]
        assert found.lines.all()[0].variant.product.name
    assert order_get(order_id=999999) is None


def test_tracking_needs_the_number_and_a_matching_contact(place_order):
    order = place_order()
    assert order_find_for_tracking(number=order.number.lower(), contact="0812 3456 7890") == order
    assert order_find_for_tracking(number=order.number, contact="+6281234567890") == order
    assert order_find_for_tracking(number=order.number, contact="BUDI@example.id") == order
    assert order_find_for_tracking(number=order.number, contact="081299999999") is None
    assert order_find_for_tracking(number=order.number, contact="") is None
    assert order_find_for_tracking(number="WEB-000000-000000", contact="081234567890") is None


def test_tracking_takes_the_same_queries_for_a_wrong_contact_and_an_unknown_number(
    place_order, django_assert_max_num_queries
):
    order = place_order()
    with django_assert_max_num_queries(1):
        order_find_for_tracking(number="NOPE-1", contact="081234567890")
    with django_assert_max_num_queries(3):  # the order, then its lines and events
        order_find_for_tracking(number=order.number, contact="081299999999")


def test_queue_counts_and_dashboard_queues(place_order, make_user):
    paid = place_order()
    order_mark_paid(order_id=paid.id)
    cod = place_order(payment_method="cod")
    processing = place_order(payment_method="cod")
    order_confirm(order_id=processing.id)
    Order.objects.filter(pk=paid.pk).update(is_oversold=True)
    assert order_queue_counts() == {"to_confirm": 2, "to_pack": 1, "oversold": 1}
    assert cod.id in [o.id for o in order_list(filters={"queue": "to_confirm"})]
    queues = {q["key"]: q["count"] for q in queues_for(make_user(roles.WAREHOUSE), stage="orders")}
    assert queues["orders.to_confirm"] == 2 and queues["orders.to_pack"] == 1 and queues["orders.oversold"] == 1


def test_roles_get_the_order_permissions(make_user):
    cs, warehouse, finance, admin = (make_user(r) for r in (roles.CUSTOMER_SERVICE, roles.WAREHOUSE, roles.FINANCE,
                                                             roles.ADMIN))
    assert cs.has_perms(["orders.view_order", "orders.add_order", "orders.process_order", "orders.cancel_order"])
    assert not cs.has_perm("orders.export_order")
    assert warehouse.has_perms(["orders.view_order", "orders.process_order"])
    assert not warehouse.has_perm("orders.cancel_order")
    assert finance.has_perms(["orders.view_order", "orders.export_order"])
    assert not finance.has_perm("orders.process_order")
    assert admin.has_perms(["orders.view_order", "orders.add_order", "orders.process_order", "orders.cancel_order",
                            "orders.export_order"])


def test_customer_search_by_name_email_and_phone(place_order):
    place_order()
    assert [c.name for c in customer_list(search="budi")] == ["Budi Santoso"]
    assert customer_list(search="0812-3456-7890").get().order_count == 1
    assert customer_list(search="3456").count() == 1
    assert customer_list(search="nobody").count() == 0
