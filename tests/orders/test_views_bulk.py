"""Bulk actions on selected orders, with a per-order result summary."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from django.urls import reverse

from core import roles
from orders.models import Order, OrderStatus
from tests.orders.ui_helpers import advance

URL = reverse("orders:bulk")


def test_bulk_confirm_reports_which_orders_moved_and_why_others_failed(staff_client, place_order):
    # given: two paid orders, one unpaid transfer (cannot be confirmed), one already processing
    paid_a = advance(place_order(), OrderStatus.PAID)
    paid_b = advance(place_order(), OrderStatus.PAID)
    unpaid = place_order()
    already = advance(place_order(), OrderStatus.PROCESSING)

    # when
    response = staff_client(roles.WAREHOUSE).post(
        URL, {"action": "confirm", "order_ids": [paid_a.pk, paid_b.pk, unpaid.pk, already.pk, 999999]}
    )

    # then
    assert response.status_code == 200
    results = {r.number: r for r in response.context["results"]}
    assert results[paid_a.number].ok and results[paid_b.number].ok
    assert not results[unpaid.number].ok
    assert results[unpaid.number].message == "Tidak bisa selama pesanan berstatus Menunggu pembayaran."
    assert results[already.number].ok
    assert not results["#999999"].ok
    assert len(response.context["failed"]) == 2
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses[paid_a.pk] == statuses[paid_b.pk] == OrderStatus.PROCESSING
    assert statuses[unpaid.pk] == OrderStatus.AWAITING_PAYMENT
    html = response.content.decode()
    assert unpaid.number in html and paid_a.number in html


def test_bulk_mark_packed_moves_processing_orders_only(staff_client, place_order):
    processing = advance(place_order(), OrderStatus.PROCESSING)
    paid = advance(place_order(), OrderStatus.PAID)

    response = staff_client().post(URL, {"action": "pack", "order_ids": [processing.pk, paid.pk]})

    results = {r.number: r.ok for r in response.context["results"]}
    assert results == {processing.number: True, paid.number: False}
    assert Order.objects.get(pk=processing.pk).status == OrderStatus.PACKED
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAID


def test_bulk_print_and_export_redirect_to_the_documents_of_the_selection(staff_client, place_order):
    a, b = place_order(), place_order()
    client = staff_client()

    for action, url_name in [("pick_list", "shipping:waves"), ("packing_slips", "orders:packing-slips"),
                             ("export_xlsx", "orders:export")]:
        response = client.post(URL, {"action": action, "order_ids": [a.pk, b.pk]})
        assert response.status_code == 302
        location = urlparse(response["Location"])
        assert location.path == reverse(url_name)
        assert parse_qs(location.query)["ids"] == [f"{a.pk},{b.pk}"]


def test_bulk_without_a_selection_goes_back_to_the_list_with_a_message(staff_client, place_order):
    place_order()

    response = staff_client().post(URL, {"action": "confirm", "back": "?status=paid"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("orders:list") + "?status=paid"
    assert [str(m) for m in response.context["messages"]] == ["Pilih minimal satu pesanan."]


def test_bulk_actions_check_the_permission_of_each_action(staff_client, place_order):
    order = advance(place_order(), OrderStatus.PAID)
    finance = staff_client(roles.FINANCE)

    assert finance.post(URL, {"action": "confirm", "order_ids": [order.pk]}).status_code == 403
    assert finance.post(URL, {"action": "export_csv", "order_ids": [order.pk]}).status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_warehouse_cannot_export(staff_client, place_order):
    order = place_order()

    response = staff_client(roles.WAREHOUSE).post(URL, {"action": "export_csv", "order_ids": [order.pk]})

    assert response.status_code == 403


def test_the_list_only_offers_bulk_actions_the_role_may_use(staff_client, place_order):
    place_order()

    warehouse = [key for key, _label in staff_client(roles.WAREHOUSE).get(reverse("orders:list")).context[
        "bulk_actions"]]
    assert warehouse == ["confirm", "pack", "pick_list", "packing_slips"]
